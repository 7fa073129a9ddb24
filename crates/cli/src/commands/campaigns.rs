//! `tgfleet campaigns create | add-variant | pause | resume | list`

use crate::output::{print, print_line};
use crate::table::{Align, Table};
use crate::{CliError, Context};
use chrono::{DateTime, Utc};
use clap::{ArgGroup, Args, Subcommand};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tgfleet_domain::GroupHandle;
use tgfleet_domain::campaign::{
    Content, MAX_PHOTO_BYTES, SourcePost, format_interval, has_link, parse_interval,
};
use tgfleet_domain::relay::{
    MAX_DELAY, MAX_MAX_AGE, MIN_MAX_AGE, RelayFilters, RelayMode, parse_relay_span,
};
use tgfleet_domain::{
    BodyFormat, CampaignName, CampaignStatus, Clock as _, VariantContent, VariantText,
    normalize_tag,
};
use tgfleet_store::{CampaignSummary, CampaignTarget, NewCampaign, NewRelay, NewVariant};

/// `tgfleet campaigns ...`
#[derive(Debug, Subcommand)]
pub enum CampaignsCommand {
    /// Create a campaign (active at once) posting in all groups or in groups with tags.
    Create(CreateArgs),
    /// Add a message variant: text, a photo or document with a caption, or a post of a
    /// source channel forwarded (keeps the author) or copied. Variants rotate.
    AddVariant(AddVariantArgs),
    /// Stop posting a campaign until resumed.
    Pause {
        /// The campaign's name.
        name: String,
    },
    /// Post a paused campaign again (running marketers hear it at once).
    Resume {
        /// The campaign's name.
        name: String,
    },
    /// List the campaigns with their variants and posts.
    List,
}

/// `tgfleet campaigns create NAME (--all | --tag TAG...) [--interval 24h] [--starts T] [--ends T]`
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["all", "tags"])))]
pub struct CreateArgs {
    /// A unique name (1-100 characters).
    pub name: String,
    /// Post in every group of the catalogue.
    #[arg(long)]
    pub all: bool,
    /// Post in groups carrying this tag (repeatable: any of the tags).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// How often a group may see the campaign, e.g. 24h, 90m, 1d12h (default:
    /// posting.default_repeat_interval_secs).
    #[arg(long, value_name = "INTERVAL")]
    pub interval: Option<String>,
    /// No post before this instant (RFC 3339, e.g. 2026-01-10T09:00:00+07:00).
    #[arg(long, value_name = "RFC3339")]
    pub starts: Option<String>,
    /// No post from this instant on (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub ends: Option<String>,
    /// A relay campaign: the new posts of this public channel become its variants.
    #[arg(long, value_name = "@CHANNEL")]
    pub relay: Option<String>,
    /// How relayed posts go out: forward (keeps the author, the default) or copy.
    #[arg(long, value_name = "MODE", requires = "relay")]
    pub mode: Option<String>,
    /// Relay only posts whose text matches this regular expression (repeatable: any).
    #[arg(long = "include", value_name = "REGEX", requires = "relay")]
    pub include: Vec<String>,
    /// Never relay posts whose text matches this regular expression (repeatable).
    #[arg(long = "exclude", value_name = "REGEX", requires = "relay")]
    pub exclude: Vec<String>,
    /// How long after it is read a post is relayed, e.g. 5m (default 0s).
    #[arg(long, value_name = "DURATION", requires = "relay")]
    pub delay: Option<String>,
    /// A post older than this is not relayed, e.g. 24h (the default).
    #[arg(long = "max-age", value_name = "DURATION", requires = "relay")]
    pub max_age: Option<String>,
    /// In forward mode, copy the posts of a source that forbids forwards (otherwise
    /// they are skipped).
    #[arg(long = "allow-copy-fallback", requires = "relay")]
    pub allow_copy_fallback: bool,
}

/// `tgfleet campaigns add-variant NAME (--text T | --photo F | --document F | --forward P | --copy P)`
#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("content")
        .required(true)
        .args(["text", "photo", "document", "forward", "copy"])
))]
pub struct AddVariantArgs {
    /// The campaign's name.
    pub name: String,
    /// A text message.
    #[arg(long)]
    pub text: Option<String>,
    /// A photo (the file must exist and be readable; its path is stored).
    #[arg(long, value_name = "FILE")]
    pub photo: Option<PathBuf>,
    /// A document (any file; must exist and be readable; its path is stored).
    #[arg(long, value_name = "FILE")]
    pub document: Option<PathBuf>,
    /// Forward a public channel's post, keeping its author: @channel/123 or t.me/channel/123.
    #[arg(long, value_name = "POST")]
    pub forward: Option<String>,
    /// Copy a public channel's post as the account's own message: @channel/123.
    #[arg(long, value_name = "POST")]
    pub copy: Option<String>,
    /// The caption of a photo or document.
    #[arg(long)]
    pub caption: Option<String>,
    /// How the text or caption is formatted: plain (default), markdown or html.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// Runs a `campaigns` subcommand.
pub async fn run(context: &Context, command: CampaignsCommand) -> Result<(), CliError> {
    match command {
        CampaignsCommand::Create(args) => create(context, args).await,
        CampaignsCommand::AddVariant(args) => add_variant(context, args).await,
        CampaignsCommand::Pause { name } => {
            set_status(context, &name, CampaignStatus::Paused).await
        }
        CampaignsCommand::Resume { name } => {
            set_status(context, &name, CampaignStatus::Active).await
        }
        CampaignsCommand::List => list(context).await,
    }
}

fn bad(flag: &str, message: impl std::fmt::Display) -> CliError {
    CliError::Failed(format!("{flag}: {message}"))
}

fn instant(flag: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, CliError> {
    text.map(|text| {
        DateTime::parse_from_rfc3339(text.trim())
            .map(|at| at.to_utc())
            .map_err(|_| {
                bad(
                    flag,
                    format!(
                        "{text:?} is not an RFC 3339 instant such as 2026-01-10T09:00:00+07:00"
                    ),
                )
            })
    })
    .transpose()
}

/// Checks every flag before touching the database.
fn new_campaign(context: &Context, args: &CreateArgs) -> Result<NewCampaign, CliError> {
    let name = CampaignName::parse(&args.name).map_err(|err| bad("NAME", err))?;
    let target = if args.all {
        CampaignTarget::All
    } else {
        let tags = args
            .tags
            .iter()
            .map(|tag| normalize_tag(tag).map_err(|err| bad("--tag", err)))
            .collect::<Result<Vec<_>, _>>()?;
        CampaignTarget::Tags(tags)
    };
    let repeat_interval = match &args.interval {
        Some(text) => parse_interval(text).map_err(|err| bad("--interval", err))?,
        None => Duration::from_secs(context.settings.posting.default_repeat_interval_secs),
    };
    let starts_at = instant("--starts", args.starts.as_deref())?;
    let ends_at = instant("--ends", args.ends.as_deref())?;
    if let (Some(starts), Some(ends)) = (starts_at, ends_at)
        && ends <= starts
    {
        return Err(bad("--ends", "must come after --starts"));
    }
    Ok(NewCampaign {
        name,
        target,
        repeat_interval,
        starts_at,
        ends_at,
    })
}

/// The relay part of `campaigns create`, every flag checked before the database.
fn new_relay(args: &CreateArgs) -> Result<Option<NewRelay>, CliError> {
    let Some(source) = &args.relay else {
        return Ok(None);
    };
    let source = match GroupHandle::parse(source) {
        Ok(handle @ GroupHandle::Username(_)) => handle,
        Ok(GroupHandle::Invite(_)) | Err(_) => {
            return Err(bad(
                "--relay",
                format!("{source:?} is not a public channel: expected @channel or t.me/channel"),
            ));
        }
    };
    let mode = match args.mode.as_deref() {
        None => RelayMode::Forward,
        Some(text) => text.trim().parse::<RelayMode>().map_err(|_| {
            bad(
                "--mode",
                format!("{text:?} is not a relay mode: expected forward or copy"),
            )
        })?,
    };
    RelayFilters::parse(&args.include, &args.exclude)
        .map_err(|err| CliError::Failed(err.to_string()))?;
    let delay = match &args.delay {
        Some(text) => parse_relay_span("--delay", text, Duration::ZERO, MAX_DELAY)
            .map_err(|err| CliError::Failed(err.to_string()))?,
        None => Duration::ZERO,
    };
    let max_age = match &args.max_age {
        Some(text) => parse_relay_span("--max-age", text, MIN_MAX_AGE, MAX_MAX_AGE)
            .map_err(|err| CliError::Failed(err.to_string()))?,
        None => Duration::from_secs(86_400),
    };
    Ok(Some(NewRelay {
        source,
        mode,
        include: args.include.clone(),
        exclude: args.exclude.clone(),
        delay,
        max_age,
        allow_copy_fallback: args.allow_copy_fallback,
    }))
}

async fn create(context: &Context, args: CreateArgs) -> Result<(), CliError> {
    let campaign = new_campaign(context, &args)?;
    if let Some(relay) = new_relay(&args)? {
        let store = context.store().await?;
        let created = store
            .create_relay_campaign(&campaign, &relay, context.clock().now())
            .await?;
        print_line(&format!(
            "Created relay campaign {}: new posts of {} {} to {}{}, {} after they are read, none older than {}{}{}.",
            created.name,
            relay.source,
            match relay.mode {
                RelayMode::Forward => "forwarded",
                RelayMode::Copy => "copied",
            },
            describe_target(&created.target),
            describe_period(context, created.starts_at, created.ends_at),
            format_interval(relay.delay.as_secs()),
            format_interval(relay.max_age.as_secs()),
            if relay.include.is_empty() && relay.exclude.is_empty() {
                String::new()
            } else {
                format!(
                    "; filters: {} include, {} exclude",
                    relay.include.len(),
                    relay.exclude.len()
                )
            },
            if relay.allow_copy_fallback {
                "; a source that forbids forwards is copied"
            } else {
                ""
            }
        ));
        return Ok(());
    }
    let store = context.store().await?;
    let created = store
        .create_campaign(&campaign, context.clock().now())
        .await?;
    print_line(&format!(
        "Created campaign {}: {}, every {}{}. Add variants with `tgfleet campaigns add-variant {}`.",
        created.name,
        describe_target(&created.target),
        format_interval(created.repeat_interval_secs.unsigned_abs()),
        describe_period(context, created.starts_at, created.ends_at),
        created.name
    ));
    Ok(())
}

fn describe_target(target: &CampaignTarget) -> String {
    match target {
        CampaignTarget::All => "all groups".to_owned(),
        CampaignTarget::Tags(tags) => format!("groups tagged {}", tags.join(" or ")),
    }
}

fn describe_period(
    context: &Context,
    starts: Option<DateTime<Utc>>,
    ends: Option<DateTime<Utc>>,
) -> String {
    let mut text = String::new();
    if let Some(starts) = starts {
        text.push_str(&format!(", from {}", context.local_time(starts)));
    }
    if let Some(ends) = ends {
        text.push_str(&format!(", until {}", context.local_time(ends)));
    }
    text
}

/// Reads a media file now (it must exist, be a readable non-empty file) and returns its
/// absolute path and bytes.
fn media_file(flag: &str, path: &Path) -> Result<(String, Vec<u8>), CliError> {
    let shown = path.display();
    let absolute = std::fs::canonicalize(path)
        .map_err(|err| bad(flag, format!("{shown}: cannot open: {err}")))?;
    if !absolute.is_file() {
        return Err(bad(flag, format!("{shown}: not a file")));
    }
    let bytes = std::fs::read(&absolute)
        .map_err(|err| bad(flag, format!("{shown}: cannot read: {err}")))?;
    if bytes.is_empty() {
        return Err(bad(flag, format!("{shown}: the file is empty")));
    }
    let path = absolute
        .to_str()
        .ok_or_else(|| bad(flag, format!("{shown}: the path is not valid UTF-8")))?
        .to_owned();
    Ok((path, bytes))
}

/// Checks every flag (and reads the file) before touching the database.
fn new_variant(args: &AddVariantArgs) -> Result<NewVariant, CliError> {
    let format = match args.format.as_deref() {
        None => BodyFormat::Plain,
        Some(text) => text.parse().map_err(|err| bad("--format", err))?,
    };
    let has_media = args.photo.is_some() || args.document.is_some();
    if args.caption.is_some() && !has_media {
        return Err(bad("--caption", "only with --photo or --document"));
    }
    if args.format.is_some() && args.text.is_none() && args.caption.is_none() {
        return Err(bad("--format", "only with --text or --caption"));
    }
    let (content, media) = if let Some(text) = &args.text {
        let text = VariantText::message(text).map_err(|err| bad("--text", err))?;
        (VariantContent::Text(text), None)
    } else if let Some((flag, path)) = args
        .photo
        .as_ref()
        .map(|path| ("--photo", path))
        .or_else(|| args.document.as_ref().map(|path| ("--document", path)))
    {
        let caption = VariantText::caption(args.caption.as_deref().unwrap_or_default())
            .map_err(|err| bad("--caption", err))?;
        let (path, bytes) = media_file(flag, path)?;
        let size = bytes.len() as u64;
        if flag == "--photo" && size > MAX_PHOTO_BYTES {
            return Err(bad(
                flag,
                format!(
                    "{path}: {size} bytes; Telegram takes photos up to 10 MB ({MAX_PHOTO_BYTES} bytes): send it with --document"
                ),
            ));
        }
        let content = if flag == "--photo" {
            VariantContent::Photo { path, caption }
        } else {
            VariantContent::Document { path, caption }
        };
        (content, Some(bytes))
    } else {
        let content = match (&args.forward, &args.copy) {
            (Some(text), _) => VariantContent::Forward(
                SourcePost::parse(text).map_err(|err| bad("--forward", err))?,
            ),
            (None, Some(text)) => {
                VariantContent::Copy(SourcePost::parse(text).map_err(|err| bad("--copy", err))?)
            }
            (None, None) => {
                return Err(CliError::Failed(
                    "name the content: --text, --photo, --document, --forward or --copy".into(),
                ));
            }
        };
        (content, None)
    };
    let content_hash = Content {
        kind: content.kind(),
        format,
        body: content.body(),
        media: media.as_deref(),
        source: content.source(),
    }
    .hash();
    Ok(NewVariant {
        content,
        format,
        content_hash,
    })
}

async fn add_variant(context: &Context, args: AddVariantArgs) -> Result<(), CliError> {
    let variant = new_variant(&args)?;
    let store = context.store().await?;
    let added = store.add_variant(&args.name, &variant).await?;
    let what = match (&added.source, &added.media_path) {
        (Some(source), _) => format!("{} of {source}", added.kind),
        (None, Some(path)) => format!("{} {path}", added.kind),
        (None, None) => format!("{} ({})", added.kind, added.format),
    };
    print_line(&format!(
        "Added variant {} to campaign {}: {what}{}.",
        added.id,
        args.name,
        if has_link(&added.body) {
            " (contains a link: where links may not be previewed, it goes without its preview)"
        } else {
            ""
        }
    ));
    Ok(())
}

async fn set_status(context: &Context, name: &str, status: CampaignStatus) -> Result<(), CliError> {
    let store = context.store().await?;
    let change = store.set_campaign_status(name, status).await?;
    if change.from == change.to {
        print_line(&format!("Campaign {name} is already {}.", change.to));
    } else {
        print_line(&format!(
            "Campaign {name}: {} -> {}.",
            change.from, change.to
        ));
    }
    Ok(())
}

async fn list(context: &Context) -> Result<(), CliError> {
    let store = context.store().await?;
    let campaigns = store.list_campaigns().await?;
    let mut table = Table::new(&[
        ("NAME", Align::Left),
        ("STATUS", Align::Left),
        ("TARGET", Align::Left),
        ("EVERY", Align::Right),
        ("STARTS", Align::Left),
        ("ENDS", Align::Left),
        ("VARIANTS", Align::Right),
        ("SENT", Align::Right),
        ("NOT SENT", Align::Right),
        ("LAST SENT", Align::Left),
    ]);
    let time = |at: Option<DateTime<Utc>>| at.map(|at| context.local_time(at)).unwrap_or_default();
    for CampaignSummary {
        campaign,
        variants,
        sent,
        not_sent,
        last_sent_at,
    } in &campaigns
    {
        table.row(vec![
            campaign.name.clone(),
            campaign.status.to_string(),
            match &campaign.target {
                CampaignTarget::All => "all".to_owned(),
                CampaignTarget::Tags(tags) => tags.join(","),
            },
            format_interval(campaign.repeat_interval_secs.unsigned_abs()),
            time(campaign.starts_at),
            time(campaign.ends_at),
            variants.to_string(),
            sent.to_string(),
            not_sent.to_string(),
            time(*last_sent_at),
        ]);
    }
    if !table.is_empty() {
        print(&table.render());
    }
    let ids: Vec<_> = campaigns
        .iter()
        .map(|summary| summary.campaign.id)
        .collect();
    let relays = store.relays_of(&ids).await?;
    for summary in &campaigns {
        let campaign = &summary.campaign;
        if let Some(relay) = relays.get(&campaign.id)
            && let Some(reason) = &relay.waiting
        {
            print_line(&format!(
                "{}: relaying {} waits: {reason}",
                campaign.name, relay.source
            ));
        }
    }
    print_line(&format!("{} campaign(s)", campaigns.len()));
    Ok(())
}
