//! Just enough HTTP/1.1 to probe `/health` and `/metrics`.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// An answer (or the error that stood in its way, as the status).
#[derive(Debug, Clone)]
pub struct Answer {
    /// `HTTP/1.1 200 OK`, or what went wrong.
    pub status: String,
    /// The body.
    pub body: String,
}

impl Answer {
    /// Whether the status is 200.
    pub fn is_ok(&self) -> bool {
        self.status.split_whitespace().nth(1) == Some("200")
    }

    /// The status and the body on one line.
    pub fn summary(&self) -> String {
        format!("{} {}", self.status, self.body.trim())
    }
}

/// `GET path` on `address`, with a ten-second timeout.
pub fn get(address: SocketAddr, path: &str) -> Answer {
    match try_get(address, path) {
        Ok(answer) => answer,
        Err(error) => Answer {
            status: format!("no answer ({error})"),
            body: String::new(),
        },
    }
}

fn try_get(address: SocketAddr, path: &str) -> std::io::Result<Answer> {
    let timeout = Duration::from_secs(10);
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    Ok(Answer {
        status: head.lines().next().unwrap_or_default().to_owned(),
        body: body.to_owned(),
    })
}

/// `N tgfleet series, e.g. ...`: how much of tgfleet `/metrics` exposes.
pub fn tgfleet_series(metrics: &str) -> String {
    let series: Vec<&str> = metrics
        .lines()
        .filter(|line| line.starts_with("tgfleet_"))
        .collect();
    let examples: Vec<&str> = series
        .iter()
        .copied()
        .filter(|line| {
            line.starts_with("tgfleet_joins_total") || line.starts_with("tgfleet_posts_total")
        })
        .take(4)
        .collect();
    format!(
        "{} tgfleet series, e.g. {}",
        series.len(),
        examples.join("  ")
    )
}
