//! Running the real `tgfleet` binary against a test database.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of these helpers"
)]

use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The URL of the pool's database: `DATABASE_URL` (user, password, host, options) with
/// the database name taken from the pool's connect options.
pub fn database_url(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL is set for sqlx::test");
    let options = pool.connect_options();
    let database = options
        .get_database()
        .expect("sqlx::test names the database");
    let (scheme, rest) = base.split_once("://").expect("DATABASE_URL has a scheme");
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, format!("?{query}")),
        None => (rest, String::new()),
    };
    let authority = before_query.split('/').next().unwrap_or(before_query);
    format!("{scheme}://{authority}/{database}{query}")
}

/// A finished `tgfleet` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().expect("tgfleet exited normally"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// `tgfleet ARGS` with a clean environment plus `env`.
pub fn tgfleet_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    tgfleet_with_stdin(args, env, "")
}

/// `tgfleet ARGS` against the database at `url`.
pub fn tgfleet(url: &str, args: &[&str]) -> Run {
    tgfleet_with_env(args, &[("DATABASE_URL", url)])
}

/// The `psql` client: on PATH, or the newest in /usr/lib/postgresql/*/bin.
pub fn psql_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("psql"))
            .find(|candidate| candidate.is_file())
    });
    on_path.unwrap_or_else(|| {
        let mut installed: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL client installed")
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("bin/psql"))
            .filter(|path| path.is_file())
            .collect();
        installed.sort_by_key(|path| version_of(path));
        installed.pop().expect("a psql binary")
    })
}

fn version_of(psql: &Path) -> u32 {
    psql.components()
        .filter_map(|part| part.as_os_str().to_str()?.parse().ok())
        .next()
        .unwrap_or(0)
}

/// `psql URL -c SQL`, as an operator runs it; returns stdout.
pub fn psql(url: &str, sql: &str) -> String {
    let output = Command::new(psql_binary())
        .args(["--no-psqlrc", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        output.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("psql prints UTF-8")
}

/// `tgfleet ARGS` with a clean environment plus `env`, `stdin` written to its input.
pub fn tgfleet_with_stdin(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    use std::io::Write;
    use std::process::Stdio;
    let mut command = Command::new(env!("CARGO_BIN_EXE_tgfleet"));
    command
        .env_clear()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("tgfleet runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    input
        .write_all(stdin.as_bytes())
        .expect("stdin accepts the input");
    drop(input);
    child.wait_with_output().expect("tgfleet finishes").into()
}
