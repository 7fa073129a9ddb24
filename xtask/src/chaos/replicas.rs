//! The fleet as separate processes: three replicas each of account-manager and marketer,
//! one activity, one group-reviewer; each killed with SIGKILL and restarted on demand, its
//! output appended to `logs/<service>-<n>.log`, its recovery timed by its `/health`.

use crate::demo::http;
use crate::demo::setup::Demo;
use anyhow::Context as _;
use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The processes of the fleet: (binary, replicas).
pub const FLEET: [(&str, u16); 4] = [
    ("account-manager", 3),
    ("marketer", 3),
    ("activity", 1),
    ("group-reviewer", 1),
];

/// The offsets of the services' ports from `telemetry.health_base_port` (tgfleet-config's
/// `Service::port_offset`).
fn port_offset(service: &str) -> u16 {
    match service {
        "account-manager" => 1,
        "marketer" => 2,
        "activity" => 3,
        _ => 4,
    }
}

/// One replica of a service.
#[derive(Debug)]
pub struct Replica {
    /// The binary.
    pub service: &'static str,
    /// Which replica of it (from 1).
    pub number: u16,
    base_port: u16,
    health: SocketAddr,
    log: PathBuf,
    child: Option<Child>,
    /// Set from a kill until `/health` answers again.
    recovering_since: Option<Instant>,
}

impl Replica {
    /// `service-number`.
    pub fn name(&self) -> String {
        format!("{}-{}", self.service, self.number)
    }

    /// Starts the process (its output appended to its log).
    pub fn start(&mut self, demo: &Demo) -> anyhow::Result<()> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("cannot open {}", self.log.display()))?;
        let mut command = demo.fleet_binary(self.service);
        command
            .env(
                "TGFLEET__TELEMETRY__HEALTH_BASE_PORT",
                self.base_port.to_string(),
            )
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", self.name()))?;
        self.child = Some(child);
        Ok(())
    }

    /// SIGKILL, reaped at once.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.recovering_since = Some(Instant::now());
    }

    /// SIGTERM and up to `grace` to finish; then SIGKILL.
    pub fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Whether the process exited by itself (a crash the harness did not cause).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// Whether `/health` answers `200 OK` (the database answers and an account can work).
    pub fn healthy(&self) -> bool {
        http::get(self.health, "/health").is_ok()
    }

    /// If the replica was recovering and is healthy now, the time since its kill.
    pub fn check_recovered(&mut self) -> Option<Duration> {
        let since = self.recovering_since?;
        if !self.healthy() {
            return None;
        }
        self.recovering_since = None;
        Some(since.elapsed())
    }

    /// Whether it is still recovering.
    pub fn is_recovering(&self) -> bool {
        self.recovering_since.is_some()
    }
}

/// Every replica of [`FLEET`], with health ports from `base` up (10 apart per replica).
pub fn fleet(dir: &Path, base: u16) -> Vec<Replica> {
    let logs = dir.join("logs");
    let _ = std::fs::create_dir_all(&logs);
    let mut replicas = Vec::new();
    for (service, count) in FLEET {
        for number in 1..=count {
            let base_port = base + 10 * replicas.len() as u16;
            replicas.push(Replica {
                service,
                number,
                base_port,
                health: SocketAddr::from(([127, 0, 0, 1], base_port + port_offset(service))),
                log: logs.join(format!("{service}-{number}.log")),
                child: None,
                recovering_since: None,
            });
        }
    }
    replicas
}
