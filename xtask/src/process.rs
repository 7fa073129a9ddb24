//! Running commands: echoed, with their failures explained.

use anyhow::{Context as _, bail};
use std::process::{Command, Output, Stdio};

/// Runs `command` with inherited output; fails unless it exits 0.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {}", describe(command)))?;
    if !status.success() {
        bail!("{} failed ({status})", describe(command));
    }
    Ok(())
}

/// Runs `command` capturing its output; fails unless it exits 0, quoting stderr.
pub fn capture(command: &mut Command) -> anyhow::Result<String> {
    let output = output(command)?;
    if !output.status.success() {
        bail!(
            "{} failed ({}): {}",
            describe(command),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs `command` capturing its output, whatever its exit status.
pub fn output(command: &mut Command) -> anyhow::Result<Output> {
    command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", describe(command)))
}

/// `program arg arg`, for messages; a password in a URL argument is masked.
pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|arg| mask_password(&arg.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `scheme://user:secret@host/...` → `scheme://user:***@host/...`; anything else as is.
fn mask_password(arg: &str) -> String {
    let Some((scheme, rest)) = arg.split_once("://") else {
        return arg.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return arg.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => arg.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        let mut psql = Command::new("psql");
        psql.args(["-c", "SELECT 1", "postgres://fleet:hunter2@db:5432/tgfleet"]);
        psql.arg("postgres://postgres@127.0.0.1:54329/tgfleet");
        let described = describe(&psql);
        assert_eq!(
            described,
            "psql -c SELECT 1 postgres://fleet:***@db:5432/tgfleet postgres://postgres@127.0.0.1:54329/tgfleet"
        );
    }
}
