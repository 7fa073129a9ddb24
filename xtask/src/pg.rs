//! A private Postgres for development and tests, used when `DATABASE_URL` is unset.
//!
//! It lives in `target/tgfleet-pg/` (data directory, unix socket directory, log and
//! the port it listens on), listens on 127.0.0.1 only, trusts local connections and
//! runs with `fsync=off`: it holds throwaway test data, never anything precious.
//! Its port is 54329 unless something else holds that port, in which case a free
//! port is picked and remembered in `target/tgfleet-pg/port`.
//!
//! Postgres refuses to run as root; as root, every server command runs through
//! `runuser -u postgres --` and the directory belongs to `postgres`. The server
//! binaries come from `/usr/lib/postgresql/<newest>/bin` (Debian's layout) or PATH;
//! when there are none and we are root, Debian's `postgresql` package is installed.

use crate::process;
use anyhow::{Context as _, bail};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const DEFAULT_PORT: u16 = 54329;
const DATABASE: &str = "tgfleet";
const SUPERUSER: &str = "postgres";
const SERVICE_USER: &str = "postgres";
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The repository root (the parent of `xtask/`).
pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ lives in the repository root")
        .to_path_buf()
}

/// The private server: where it lives and how to run its binaries.
#[derive(Debug)]
pub struct PrivatePostgres {
    root: PathBuf,
    bin: PathBuf,
    as_root: bool,
}

impl PrivatePostgres {
    /// Finds (or installs) the server binaries and picks the directory.
    pub fn locate() -> anyhow::Result<Self> {
        let as_root = running_as_root();
        let bin = match find_server_binaries() {
            Some(bin) => bin,
            None if as_root => {
                install_debian_postgresql()?;
                find_server_binaries()
                    .context("installed the postgresql package but found no pg_ctl")?
            }
            None => bail!(
                "no PostgreSQL server binaries (pg_ctl, initdb) in /usr/lib/postgresql/*/bin or on PATH; \
                 install them (Debian: apt-get install postgresql) or set DATABASE_URL"
            ),
        };
        let mut root = repository_root().join("target").join("tgfleet-pg");
        if as_root && !service_user_can_reach(root.parent().unwrap_or(&root))? {
            let fallback = PathBuf::from(format!(
                "/var/tmp/tgfleet-pg-{:016x}",
                fnv1a(repository_root().to_string_lossy().as_bytes())
            ));
            eprintln!(
                "xtask: user {SERVICE_USER} cannot reach {}; keeping the private Postgres in {} instead",
                root.display(),
                fallback.display()
            );
            root = fallback;
        }
        Ok(Self { root, bin, as_root })
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    fn socket_dir(&self) -> PathBuf {
        self.root.join("socket")
    }

    fn log_file(&self) -> PathBuf {
        self.root.join("server.log")
    }

    fn port_file(&self) -> PathBuf {
        self.root.join("port")
    }

    /// A server command, run as `postgres` when we are root.
    fn server_command(&self, program: &str) -> Command {
        let binary = self.bin.join(program);
        let mut command = if self.as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", SERVICE_USER, "--"]).arg(binary);
            command
        } else {
            Command::new(binary)
        };
        // The service user may not be allowed into the caller's working directory.
        command.current_dir(&self.root);
        command
    }

    /// The client tools run as the caller, over TCP.
    fn client_command(&self, program: &str) -> Command {
        let local = self.bin.join(program);
        if local.is_file() {
            Command::new(local)
        } else {
            Command::new(program)
        }
    }

    /// Starts the server if it is not running (initialising it on first use), waits
    /// until it accepts connections, creates the `tgfleet` database, and returns the
    /// URL of `tgfleet`.
    pub fn ensure_running(&self) -> anyhow::Result<String> {
        Ok(url(self.ensure_running_port()?, DATABASE))
    }

    /// The URL tests get: the maintenance database `postgres`, from which sqlx::test
    /// creates a fresh database per test, so the `tgfleet` database stays the
    /// developer's (and the demo's).
    pub fn ensure_running_for_tests(&self) -> anyhow::Result<String> {
        Ok(url(self.ensure_running_port()?, "postgres"))
    }

    /// Starts the server if needed and returns the URL of `database`, created when
    /// missing; with `recreate`, dropped first (its connections closed).
    pub fn ensure_database(&self, database: &str, recreate: bool) -> anyhow::Result<String> {
        let port = self.ensure_running_port()?;
        if recreate {
            process::capture(self.psql_command(port, "postgres").args([
                "-c",
                &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
            ]))?;
        }
        self.create_named_database(port, database)?;
        Ok(url(port, database))
    }

    /// The psql of the server's installation (or PATH's).
    pub fn psql_program(&self) -> Command {
        self.client_command("psql")
    }

    fn ensure_running_port(&self) -> anyhow::Result<u16> {
        self.prepare_directory()?;
        let port = match self.running_port()? {
            Some(port) => port,
            None => self.start()?,
        };
        self.wait_until_ready(port)?;
        self.create_database(port)?;
        Ok(port)
    }

    fn prepare_directory(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(self.socket_dir())
            .with_context(|| format!("cannot create {}", self.root.display()))?;
        if self.as_root {
            process::run(
                Command::new("chown")
                    .arg("-R")
                    .arg(format!("{SERVICE_USER}:{SERVICE_USER}"))
                    .arg(&self.root),
            )?;
        }
        let data = self.data_dir();
        if data.join("PG_VERSION").is_file() {
            let data_version = std::fs::read_to_string(data.join("PG_VERSION"))?;
            let server_version = self.server_major_version()?;
            if data_version.trim() != server_version {
                bail!(
                    "{} was initialised by PostgreSQL {} but the server binaries are {}; \
                     stop it and remove {} to start afresh",
                    data.display(),
                    data_version.trim(),
                    server_version,
                    self.root.display()
                );
            }
            return Ok(());
        }
        eprintln!(
            "xtask: initialising a private Postgres in {}",
            data.display()
        );
        process::capture(self.server_command("initdb").arg("-D").arg(&data).args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        ]))?;
        Ok(())
    }

    fn server_major_version(&self) -> anyhow::Result<String> {
        let version = process::capture(self.client_command("pg_ctl").arg("--version"))?;
        // "pg_ctl (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
        let number = version
            .split_whitespace()
            .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))
            .context("cannot read the version of pg_ctl")?;
        Ok(number.split('.').next().unwrap_or(number).to_owned())
    }

    /// The port of our server when it runs (from its `postmaster.pid`).
    fn running_port(&self) -> anyhow::Result<Option<u16>> {
        let status = process::output(
            self.server_command("pg_ctl")
                .arg("status")
                .arg("-D")
                .arg(self.data_dir()),
        )?;
        if !status.status.success() {
            return Ok(None);
        }
        let pid_file = std::fs::read_to_string(self.data_dir().join("postmaster.pid"))
            .context("the server runs but postmaster.pid is unreadable")?;
        // Line 4 of postmaster.pid is the port.
        let port = pid_file
            .lines()
            .nth(3)
            .and_then(|line| line.trim().parse().ok())
            .context("cannot read the port from postmaster.pid")?;
        Ok(Some(port))
    }

    fn choose_port(&self) -> anyhow::Result<u16> {
        let remembered = std::fs::read_to_string(self.port_file())
            .ok()
            .and_then(|text| text.trim().parse().ok());
        let wanted = remembered.unwrap_or(DEFAULT_PORT);
        let port = if port_is_free(wanted) {
            wanted
        } else {
            let free = match (DEFAULT_PORT + 1..=DEFAULT_PORT + 70).find(|port| port_is_free(*port))
            {
                Some(port) => port,
                None => TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port(),
            };
            eprintln!("xtask: port {wanted} is taken by another program; using port {free}");
            free
        };
        std::fs::write(self.port_file(), format!("{port}\n"))?;
        Ok(port)
    }

    fn start(&self) -> anyhow::Result<u16> {
        let port = self.choose_port()?;
        eprintln!("xtask: starting the private Postgres on 127.0.0.1:{port}");
        let options = format!(
            "-p {port} -k '{}' -c listen_addresses=127.0.0.1 -c max_connections=200 \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            self.socket_dir().display()
        );
        let started = process::output(
            self.server_command("pg_ctl")
                .arg("start")
                .arg("-D")
                .arg(self.data_dir())
                .arg("-l")
                .arg(self.log_file())
                .args(["-w", "-t", "60", "-o", &options]),
        )?;
        if !started.status.success() {
            bail!(
                "the private Postgres did not start: {}\n--- last lines of {} ---\n{}",
                String::from_utf8_lossy(&started.stderr).trim(),
                self.log_file().display(),
                tail(&self.log_file(), 20)
            );
        }
        Ok(port)
    }

    fn wait_until_ready(&self, port: u16) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let ready = process::output(
                self.client_command("pg_isready")
                    .args(connection_args(port, "postgres")),
            )?;
            if ready.status.success() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the private Postgres on port {port} did not accept connections within {} s; see {}",
                    READY_TIMEOUT.as_secs(),
                    self.log_file().display()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn psql_command(&self, port: u16, database: &str) -> Command {
        let mut command = self.client_command("psql");
        command
            .arg("--no-psqlrc")
            .args(connection_args(port, database));
        command
    }

    fn create_database(&self, port: u16) -> anyhow::Result<()> {
        self.create_named_database(port, DATABASE)
    }

    fn create_named_database(&self, port: u16, database: &str) -> anyhow::Result<()> {
        let exists = process::capture(self.psql_command(port, "postgres").args([
            "-tAc",
            &format!("SELECT 1 FROM pg_database WHERE datname = '{database}'"),
        ]))?;
        if exists.trim() != "1" {
            process::capture(
                self.psql_command(port, "postgres")
                    .args(["-c", &format!("CREATE DATABASE {database}")]),
            )?;
            eprintln!("xtask: created database {database}");
        }
        Ok(())
    }

    /// Stops the server if it runs.
    pub fn stop(&self) -> anyhow::Result<()> {
        if !self.data_dir().join("PG_VERSION").is_file() || self.running_port()?.is_none() {
            eprintln!("xtask: the private Postgres is not running");
            return Ok(());
        }
        process::capture(
            self.server_command("pg_ctl")
                .arg("stop")
                .arg("-D")
                .arg(self.data_dir())
                .args(["-m", "fast", "-w"]),
        )?;
        eprintln!("xtask: stopped the private Postgres");
        Ok(())
    }

    /// Prints whether the server runs, its directory, binaries and URL.
    pub fn print_status(&self) -> anyhow::Result<()> {
        let initialised = self.data_dir().join("PG_VERSION").is_file();
        let running = if initialised {
            self.running_port()?
        } else {
            None
        };
        println!("directory: {}", self.root.display());
        println!("binaries:  {}", self.bin.display());
        match running {
            Some(port) => {
                println!("status:    running on 127.0.0.1:{port}");
                println!("url:       {}", url(port, DATABASE));
            }
            None if initialised => println!("status:    stopped"),
            None => println!("status:    not initialised (cargo xtask pg start)"),
        }
        Ok(())
    }

    /// Opens psql on the `tgfleet` database with `args`, and returns psql's exit code.
    pub fn psql(&self, url: &str, args: &[String]) -> anyhow::Result<ExitCode> {
        let status = self
            .client_command("psql")
            .arg("--no-psqlrc")
            .arg(url)
            .args(args)
            .status()?;
        Ok(if status.success() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(u8::try_from(status.code().unwrap_or(1)).unwrap_or(1))
        })
    }
}

fn url(port: u16, database: &str) -> String {
    format!("postgres://{SUPERUSER}@127.0.0.1:{port}/{database}")
}

/// Host, port, user and database options shared by psql and pg_isready.
fn connection_args(port: u16, database: &str) -> [String; 8] {
    [
        "-h".into(),
        "127.0.0.1".into(),
        "-p".into(),
        port.to_string(),
        "-U".into(),
        SUPERUSER.into(),
        "-d".into(),
        database.into(),
    ]
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

pub(crate) fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .and_then(|uids| uids.split_whitespace().nth(1).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// `/usr/lib/postgresql/<newest>/bin`, else the directory of `pg_ctl` on PATH.
/// psql from the newest installed server (Debian's layout), else from PATH.
pub fn psql_program() -> Command {
    match find_server_binaries().map(|bin| bin.join("psql")) {
        Some(psql) if psql.is_file() => Command::new(psql),
        _ => Command::new("psql"),
    }
}

fn find_server_binaries() -> Option<PathBuf> {
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("pg_ctl").is_file() && bin.join("initdb").is_file()).then_some((version, bin))
        })
        .max_by_key(|(version, _)| *version)
        .map(|(_, bin)| bin);
    debian.or_else(|| {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .find(|dir| dir.join("pg_ctl").is_file() && dir.join("initdb").is_file())
    })
}

fn install_debian_postgresql() -> anyhow::Result<()> {
    eprintln!(
        "xtask: no PostgreSQL server binaries found; installing Debian's postgresql package \
         (apt-get update && apt-get install -y postgresql)"
    );
    process::run(Command::new("apt-get").arg("update"))?;
    process::run(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "postgresql"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// Whether the service user can enter `dir` (every parent must be searchable).
fn service_user_can_reach(dir: &Path) -> anyhow::Result<bool> {
    let mut existing = dir.to_path_buf();
    while !existing.exists() {
        if !existing.pop() {
            break;
        }
    }
    let probe = process::output(
        Command::new("runuser")
            .args(["-u", SERVICE_USER, "--", "test", "-x"])
            .arg(&existing),
    )?;
    if probe.status.code() == Some(1) && String::from_utf8_lossy(&probe.stderr).contains("user") {
        bail!("user {SERVICE_USER} does not exist; install Debian's postgresql package");
    }
    Ok(probe.status.success())
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
