//! `tgfleet console [serve] | add-user NAME | token create|list|revoke`: the operator
//! console and its credentials. Passwords are read without echo (or one line from
//! stdin with `--password-stdin`) and stored as argon2id hashes; an API token is
//! printed once and stored as a digest. Every change is recorded in the audit trail.

use crate::output::print_line;
use crate::table::{Align, Table};
use crate::{CliError, Context};
use clap::{Args, Subcommand};
use std::io::BufRead as _;
use std::path::Path;
use std::sync::Arc;
use tgfleet_config::Settings;
use tgfleet_console::secrets::{digest, hash_password, new_api_token};
use tgfleet_store::{NewAudit, Store, TokenScope};
use tokio_util::sync::CancellationToken;

/// `tgfleet console ...`
#[derive(Debug, Args)]
pub struct ConsoleArgs {
    /// What to do (default: serve the console).
    #[command(subcommand)]
    pub command: Option<ConsoleCommand>,
}

/// The console's subcommands.
#[derive(Debug, Subcommand)]
pub enum ConsoleCommand {
    /// Serve the console and API on `console.listen` (default 127.0.0.1:9170).
    Serve,
    /// Create an operator (the password is asked twice, without echo).
    AddUser {
        /// The login name (letters, digits, `_`, `.`, `-`).
        name: String,
        /// Read the password from the first line of stdin instead of asking.
        #[arg(long)]
        password_stdin: bool,
        /// Set a new password for an existing operator.
        #[arg(long)]
        replace: bool,
    },
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

/// `tgfleet console token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (once).
    Create {
        /// What the token is for.
        name: String,
        /// `read` (GET only) or `write`.
        #[arg(long, value_parser = ["read", "write"])]
        scope: String,
    },
    /// List the tokens (never the tokens themselves).
    List,
    /// Revoke a token by id.
    Revoke {
        /// The token's id (see `token list`).
        id: i64,
    },
}

/// Runs a `console` subcommand.
pub async fn run(config: Option<&Path>, args: ConsoleArgs) -> Result<(), CliError> {
    let context = Context::load(config)?;
    match args.command.unwrap_or(ConsoleCommand::Serve) {
        ConsoleCommand::Serve => {
            tgfleet_runtime::telemetry::init_logging(match context.settings.telemetry.log_format {
                tgfleet_config::LogFormat::Text => tgfleet_runtime::telemetry::LogFormat::Text,
                tgfleet_config::LogFormat::Json => tgfleet_runtime::telemetry::LogFormat::Json,
            });
            let store = context.store().await?;
            let shutdown = tgfleet_runtime::shutdown_on_signals();
            serve(store, Arc::new(context.settings), shutdown)
                .await
                .map_err(|error| CliError::Failed(format!("{error:#}")))
        }
        ConsoleCommand::AddUser {
            name,
            password_stdin,
            replace,
        } => add_user(&context, &name, password_stdin, replace).await,
        ConsoleCommand::Token(command) => token(&context, command).await,
    }
}

/// Serves the console until `shutdown`, recording its heartbeat as service `console`.
pub async fn serve(
    store: Store,
    settings: Arc<Settings>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let holder = tgfleet_runtime::holder_name(tgfleet_config::Service::All)
        .replacen("tgfleet", "console", 1);
    tgfleet_runtime::spawn_heartbeat(store.clone(), "console", &holder, shutdown.clone());
    tgfleet_console::serve(store, settings, shutdown).await
}

fn cli_audit(action: &str, target: &str, detail: Option<String>) -> NewAudit {
    NewAudit {
        at: chrono::Utc::now(),
        actor: "cli".to_owned(),
        action: action.to_owned(),
        target: Some(target.to_owned()),
        source_addr: "local".to_owned(),
        detail,
    }
}

fn read_password(from_stdin: bool) -> Result<String, CliError> {
    let failed =
        |error: std::io::Error| CliError::Failed(format!("cannot read the password: {error}"));
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(failed)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password("Password: ").map_err(failed)?;
    let second = rpassword::prompt_password("Password again: ").map_err(failed)?;
    if first != second {
        return Err(CliError::Failed(
            "the passwords differ; nothing saved".to_owned(),
        ));
    }
    Ok(first)
}

async fn add_user(
    context: &Context,
    name: &str,
    from_stdin: bool,
    replace: bool,
) -> Result<(), CliError> {
    tgfleet_store::check_operator_name(name)?;
    let password = read_password(from_stdin)?;
    let hash =
        hash_password(&password).map_err(|error| CliError::Failed(format!("password: {error}")))?;
    let store = context.store().await?;
    let operator = store.save_operator(name, &hash, replace).await?;
    store
        .record_audit(&cli_audit("operator.save", &operator.name, None))
        .await?;
    print_line(&format!("Operator {} saved.", operator.name));
    Ok(())
}

async fn token(context: &Context, command: TokenCommand) -> Result<(), CliError> {
    let store = context.store().await?;
    match command {
        TokenCommand::Create { name, scope } => {
            let scope: TokenScope = scope.parse()?;
            let token = new_api_token();
            let created = store
                .create_api_token(&name, &digest(&token), scope, "cli")
                .await?;
            store
                .record_audit(&cli_audit(
                    "token.create",
                    &created.name,
                    Some(format!("id {}, {scope}", created.id)),
                ))
                .await?;
            print_line(&format!(
                "Token {} ({}, {scope} scope). It is shown once; keep it secret:",
                created.id, created.name
            ));
            print_line(&token);
        }
        TokenCommand::List => {
            let mut table = Table::new(&[
                ("ID", Align::Right),
                ("NAME", Align::Left),
                ("SCOPE", Align::Left),
                ("CREATED", Align::Left),
                ("LAST USED", Align::Left),
                ("REVOKED", Align::Left),
            ]);
            for token in store.list_api_tokens().await? {
                table.row(vec![
                    token.id.to_string(),
                    token.name,
                    token.scope.to_string(),
                    context.local_time(token.created_at),
                    token
                        .last_used_at
                        .map(|at| context.local_time(at))
                        .unwrap_or_default(),
                    token
                        .revoked_at
                        .map(|at| context.local_time(at))
                        .unwrap_or_default(),
                ]);
            }
            crate::output::print(&table.render());
        }
        TokenCommand::Revoke { id } => {
            store.revoke_api_token(id, chrono::Utc::now()).await?;
            store
                .record_audit(&cli_audit("token.revoke", &id.to_string(), None))
                .await?;
            print_line(&format!("Token {id} revoked."));
        }
    }
    Ok(())
}
