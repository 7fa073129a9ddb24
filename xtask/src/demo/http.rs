//! Just enough HTTP/1.1 to probe `/health` and `/metrics` and to reach tg-sim's admin
//! endpoint.

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
    /// The status code (0 when there was no answer).
    pub fn code(&self) -> u16 {
        self.status
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0)
    }

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
    request(address, "GET", path, "")
}

/// `POST path` on `address` with a JSON body, with a ten-second timeout.
pub fn post(address: SocketAddr, path: &str, json: &str) -> Answer {
    request(address, "POST", path, json)
}

fn request(address: SocketAddr, method: &str, path: &str, json: &str) -> Answer {
    with_headers(address, method, path, &[], json)
}

/// `METHOD path` on `address` with extra headers (e.g. `Authorization`) and a JSON
/// body, with a ten-second timeout.
pub fn with_headers(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    json: &str,
) -> Answer {
    match try_request(address, method, path, headers, json) {
        Ok(answer) => answer,
        Err(error) => Answer {
            status: format!("no answer ({error})"),
            body: String::new(),
        },
    }
}

fn try_request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    json: &str,
) -> std::io::Result<Answer> {
    let timeout = Duration::from_secs(10);
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n{extra}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{json}",
        json.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    Ok(Answer {
        status: head.lines().next().unwrap_or_default().to_owned(),
        body: body.to_owned(),
    })
}

/// `N tgfleet series; joins: ...; posts: ...`: how much tgfleet's `/metrics` exposes,
/// with every join and post counter by outcome.
pub fn tgfleet_series(metrics: &str) -> String {
    let series: Vec<&str> = metrics
        .lines()
        .filter(|line| line.starts_with("tgfleet_"))
        .collect();
    let counters = |name: &str| -> String {
        let mut lines: Vec<&str> = series
            .iter()
            .copied()
            .filter(|line| line.starts_with(name))
            .collect();
        lines.sort_unstable();
        if lines.is_empty() {
            "none yet".to_owned()
        } else {
            lines.join("  ")
        }
    };
    format!(
        "{} tgfleet series; joins: {}; posts: {}",
        series.len(),
        counters("tgfleet_joins_total{"),
        counters("tgfleet_posts_total{")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_lists_every_join_and_post_counter() {
        let metrics = "# TYPE tgfleet_joins_total counter\n\
            tgfleet_joins_total{outcome=\"joined\"} 5\n\
            tgfleet_joins_total{outcome=\"flood_wait\"} 1\n\
            tgfleet_joins_total{outcome=\"inaccessible\"} 1\n\
            tgfleet_joins_total{outcome=\"join_requested\"} 2\n\
            tgfleet_joins_total{outcome=\"failed\"} 1\n\
            tgfleet_posts_total{outcome=\"sent\"} 3\n\
            tgfleet_accounts{status=\"active\"} 5\n";
        let summary = tgfleet_series(metrics);
        assert!(summary.starts_with("7 tgfleet series"), "{summary}");
        assert!(
            summary.contains("tgfleet_posts_total{outcome=\"sent\"} 3"),
            "{summary}"
        );
        assert!(
            summary.contains("tgfleet_joins_total{outcome=\"failed\"} 1"),
            "{summary}"
        );
        assert!(tgfleet_series("").contains("posts: none yet"));
    }
}
