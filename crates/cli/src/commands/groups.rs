//! `tgfleet groups import | list`

use crate::import_file::parse_handles;
use crate::output::{print, print_line};
use crate::table::{Align, Table};
use crate::{CliError, Context};
use clap::Subcommand;
use std::path::PathBuf;
use tgfleet_domain::{GroupStatus, normalize_tag};
use tgfleet_store::{GroupFilter, ImportedGroup};

/// `tgfleet groups ...`
#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// Import handles from FILE, one per line (@name, name, t.me/name, https://t.me/name,
    /// https://t.me/+HASH, t.me/joinchat/HASH; # comments). Any bad line: nothing is written.
    Import {
        /// The file to read.
        file: PathBuf,
        /// Tag every imported group (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
    },
    /// List the catalogue.
    List {
        /// Only groups with this status (new, active, banned, inaccessible).
        #[arg(long)]
        status: Option<GroupStatus>,
        /// Only groups with this tag.
        #[arg(long)]
        tag: Option<String>,
    },
}

/// Runs a `groups` subcommand.
pub async fn run(context: &Context, command: GroupsCommand) -> Result<(), CliError> {
    match command {
        GroupsCommand::Import { file, tags } => import(context, file, tags).await,
        GroupsCommand::List { status, tag } => list(context, status, tag).await,
    }
}

async fn import(context: &Context, file: PathBuf, tags: Vec<String>) -> Result<(), CliError> {
    let tags = tags
        .iter()
        .map(|tag| normalize_tag(tag).map_err(|err| CliError::Failed(format!("--tag: {err}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let name = file.display().to_string();
    let contents = std::fs::read(&file)
        .map_err(|err| CliError::Failed(format!("{name}: cannot read: {err}")))?;
    let handles = match parse_handles(&contents) {
        Ok(handles) => handles,
        Err(bad_lines) => {
            for bad in &bad_lines {
                eprintln!("{name}:{}: {}", bad.line, bad.reason);
            }
            eprintln!(
                "error: {name}: {} invalid line(s); nothing imported",
                bad_lines.len()
            );
            return Err(CliError::Reported);
        }
    };
    if handles.is_empty() {
        return Err(CliError::Failed(format!("{name}: no group handles found")));
    }
    let store = context.store().await?;
    let groups: Vec<ImportedGroup> = handles
        .iter()
        .map(|entry| ImportedGroup {
            handle: entry.handle.clone(),
            tags: tags.clone(),
        })
        .collect();
    let report = store.import_groups(&groups).await?;
    print_line(&format!(
        "Imported {name}: {} handles read, {} unique, {} inserted, {} already present.",
        handles.len(),
        report.unique,
        report.inserted,
        report.already_present
    ));
    if !tags.is_empty() {
        print_line(&format!("Tagged: {}", tags.join(", ")));
    }
    Ok(())
}

async fn list(
    context: &Context,
    status: Option<GroupStatus>,
    tag: Option<String>,
) -> Result<(), CliError> {
    let store = context.store().await?;
    let filter = GroupFilter { status, tag };
    let groups = store.list_groups(&filter).await?;
    let mut table = Table::new(&[
        ("HANDLE", Align::Left),
        ("STATUS", Align::Left),
        ("CAN POST", Align::Left),
        ("KIND", Align::Left),
        ("ACCOUNT", Align::Left),
        ("TAGS", Align::Left),
        ("REVIEWED", Align::Left),
        ("TITLE", Align::Left),
    ]);
    for group in &groups {
        table.row(vec![
            group.handle.to_string(),
            group.status.to_string(),
            if group.can_post { "yes" } else { "no" }.to_owned(),
            group.kind.clone().unwrap_or_default(),
            group.responsible_account.clone().unwrap_or_default(),
            group.tags.join(","),
            group
                .last_reviewed_at
                .map(|at| context.local_time(at))
                .unwrap_or_default(),
            group.title.clone().unwrap_or_default(),
        ]);
    }
    if !table.is_empty() {
        print(&table.render());
    }
    print_line(&format!("{} group(s)", groups.len()));
    Ok(())
}
