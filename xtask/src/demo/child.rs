//! Child processes whose output lines arrive on a channel, stopped with SIGTERM.

use anyhow::Context as _;
use std::io::{BufRead as _, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

/// A running child; its piped output arrives line by line on `lines`.
#[derive(Debug)]
pub struct Running {
    /// What it is, for messages.
    pub name: &'static str,
    child: Child,
    /// Lines of its standard output (and of its standard error when piped too).
    pub lines: Receiver<String>,
}

impl Running {
    /// Spawns `command` with standard output piped (and standard error too unless the
    /// command already redirects it).
    pub fn spawn(
        name: &'static str,
        command: &mut Command,
        pipe_stderr: bool,
    ) -> anyhow::Result<Self> {
        command.stdin(Stdio::null()).stdout(Stdio::piped());
        if pipe_stderr {
            command.stderr(Stdio::piped());
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", crate::process::describe(command)))?;
        let (sender, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            forward(stdout, sender.clone());
        }
        if let Some(stderr) = child.stderr.take() {
            forward(stderr, sender);
        }
        Ok(Self { name, child, lines })
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status, if it has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Sends SIGTERM (a clean stop: the services finish their unit of work).
    pub fn terminate(&self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Waits up to `grace` for it to exit after [`Running::terminate`], then kills it.
    /// Returns whether it stopped by itself.
    pub fn wait_or_kill(&mut self, grace: Duration) -> bool {
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if self.exited().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "xtask: {} did not stop within {grace:?}; killing it",
            self.name
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.exited().is_none() {
            self.terminate();
            self.wait_or_kill(Duration::from_secs(15));
        }
    }
}

fn forward(stream: impl Read + Send + 'static, sender: Sender<String>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
}
