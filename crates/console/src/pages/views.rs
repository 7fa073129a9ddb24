//! The pages operators read: overview, accounts, groups, campaigns, live events,
//! reviews and diagnostics. Each renders the same views the API answers with.

use super::{Operator, Page, PageError, render};
use crate::api::query::Params;
use crate::api::{accounts, campaigns, checks, events, groups, reviews, stats, system};
use crate::chart::{Stack, bars, strip};
use crate::state::AppState;
use axum::extract::{Path, State};

use secrecy::ExposeSecret as _;
use serde::Serialize;
use std::collections::BTreeMap;

/// The overview's charts and numbers.
#[derive(Serialize)]
struct Overview {
    stats: stats::StatsView,
    accounts_by_status: BTreeMap<String, usize>,
    accounts_held_back: usize,
    campaigns_active: i64,
    campaigns_paused: i64,
    joins_chart: String,
    posts_chart: String,
    floods_chart: String,
    replicas: Vec<(system::ReplicaView, String)>,
}

/// `GET /`
pub async fn overview(
    Operator(caller): Operator,
    State(state): State<AppState>,
) -> Result<Page, PageError> {
    // Independent reads, side by side on the pool.
    let (stats, accounts, (campaigns_active, campaigns_paused), replicas) = tokio::try_join!(
        stats::stats_view(&state, 14),
        accounts::account_views(&state),
        async {
            state
                .store
                .campaign_status_counts()
                .await
                .map_err(crate::error::ApiError::from)
        },
        system::replica_views(&state),
    )?;
    let labels: Vec<String> = stats.days.iter().map(|day| day.date.to_string()).collect();
    let series =
        |pick: fn(&stats::DayView) -> Stack| stats.days.iter().map(pick).collect::<Vec<_>>();
    let mut accounts_by_status = BTreeMap::new();
    for account in &accounts {
        *accounts_by_status
            .entry(account.status.clone())
            .or_insert(0) += 1;
    }
    let page = Overview {
        joins_chart: bars(&labels, &series(|day| vec![(day.joins, "joins")])),
        posts_chart: bars(
            &labels,
            &series(|day| {
                vec![
                    (day.posts_sent, "sent"),
                    (day.posts_failed, "failed"),
                    (day.posts_skipped, "skipped"),
                    (day.posts_unresolved, "unresolved"),
                ]
            }),
        ),
        floods_chart: bars(&labels, &series(|day| vec![(day.flood_waits, "flood")])),
        accounts_held_back: accounts
            .iter()
            .filter(|account| !account.conditions.is_empty())
            .count(),
        accounts_by_status,
        campaigns_active,
        campaigns_paused,
        replicas: replicas
            .into_iter()
            .map(|replica| {
                let svg = strip(&replica.hours);
                (replica, svg)
            })
            .collect(),
        stats,
    };
    render(&state, &caller, "overview.html", "overview", page)
}

/// `GET /accounts`
pub async fn accounts(
    Operator(caller): Operator,
    State(state): State<AppState>,
) -> Result<Page, PageError> {
    let accounts = accounts::account_views(&state).await?;
    render(&state, &caller, "accounts.html", "accounts", accounts)
}

/// `GET /accounts/{label}`
pub async fn account(
    Operator(caller): Operator,
    State(state): State<AppState>,
    Path(label): Path<String>,
) -> Result<Page, PageError> {
    let detail = accounts::account_detail(&state, &label).await?;
    render(&state, &caller, "account.html", "accounts", detail)
}

#[derive(Serialize)]
struct GroupsPage {
    page: groups::GroupPage,
    status: Option<String>,
    tag: Option<String>,
    q: Option<String>,
    offset: u32,
    limit: u32,
}

/// `GET /groups`
pub async fn groups(
    Operator(caller): Operator,
    State(state): State<AppState>,
    params: Params,
) -> Result<Page, PageError> {
    let search = groups::search_of(&params)?;
    let page = GroupsPage {
        page: groups::group_page(&state, &search).await?,
        status: params.text("status"),
        tag: params.text("tag"),
        q: params.text("q"),
        offset: search.offset,
        limit: search.limit,
    };
    render(&state, &caller, "groups.html", "groups", page)
}

/// `GET /groups/{id}`
pub async fn group(
    Operator(caller): Operator,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Page, PageError> {
    let id = id
        .parse()
        .map_err(|_| crate::error::ApiError::field("id", "not a group id"))?;
    let detail = groups::group_detail(&state, id).await?;
    render(&state, &caller, "group.html", "groups", detail)
}

/// `GET /campaigns`
pub async fn campaigns(
    Operator(caller): Operator,
    State(state): State<AppState>,
) -> Result<Page, PageError> {
    let campaigns = campaigns::campaign_views(&state).await?;
    render(&state, &caller, "campaigns.html", "campaigns", campaigns)
}

#[derive(Serialize)]
struct CampaignPage {
    detail: campaigns::CampaignDetail,
    percent_sent: u32,
}

/// `GET /campaigns/{id}`
pub async fn campaign(
    Operator(caller): Operator,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Page, PageError> {
    let detail = campaigns::campaign_detail(&state, campaigns::campaign_id(&id)?).await?;
    let total = detail.targets.len().max(1);
    let page = CampaignPage {
        percent_sent: u32::try_from(detail.progress.sent * 100 / total).unwrap_or(100),
        detail,
    };
    render(&state, &caller, "campaign.html", "campaigns", page)
}

#[derive(Serialize)]
struct EventsPage {
    events: Vec<events::EventView>,
    filters: BTreeMap<&'static str, String>,
    query: String,
}

/// `GET /events`: the latest events and a live stream with the same filters.
pub async fn events(
    Operator(caller): Operator,
    State(state): State<AppState>,
    params: Params,
) -> Result<Page, PageError> {
    let query = events::query_of(&params)?;
    let mut filters = BTreeMap::new();
    for name in ["service", "kind", "outcome", "account", "group"] {
        if let Some(value) = params.text(name) {
            filters.insert(name, value);
        }
    }
    let encoded: Vec<String> = filters
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect();
    let page = EventsPage {
        events: events::event_views(&state, &query).await?,
        query: encoded.join("&"),
        filters,
    };
    render(&state, &caller, "events.html", "events", page)
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `GET /reviews`
pub async fn reviews(
    Operator(caller): Operator,
    State(state): State<AppState>,
) -> Result<Page, PageError> {
    let view = reviews::reviews_view(&state).await?;
    render(&state, &caller, "reviews.html", "reviews", view)
}

#[derive(Serialize)]
struct Diagnostics {
    database: String,
    database_bytes: i64,
    migrations: Vec<(i64, String, String)>,
    replicas: Vec<system::ReplicaView>,
    settings: Vec<(&'static str, String)>,
    audit: Vec<system::AuditView>,
    checks: Vec<checks::CheckView>,
}

/// `postgres://user@host:port/db`: the URL without its password.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(not a URL)".to_owned();
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (user, host) = authority
        .rsplit_once('@')
        .map_or(("", authority), |(user, host)| (user, host));
    let user = user.split(':').next().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    let at = if user.is_empty() { "" } else { "@" };
    format!("{scheme}://{user}{at}{host}/{path}")
}

fn shown_settings(settings: &tgfleet_config::Settings) -> Vec<(&'static str, String)> {
    let set = |present: bool| {
        if present {
            "(set, hidden)"
        } else {
            "(not set)"
        }
        .to_owned()
    };
    vec![
        (
            "database.url",
            redact_url(settings.database.url.expose_secret()),
        ),
        (
            "database.max_connections",
            settings.database.max_connections.to_string(),
        ),
        (
            "telegram.api_id",
            settings
                .telegram
                .api_id
                .map_or_else(|| "(not set)".to_owned(), |id| id.to_string()),
        ),
        (
            "telegram.api_hash",
            set(settings.telegram.api_hash.is_some()),
        ),
        (
            "sessions.encryption_key",
            set(settings.sessions.encryption_key.is_some()),
        ),
        (
            "schedule.time_zone",
            settings.schedule.time_zone.0.to_string(),
        ),
        (
            "joins.max_groups_per_slot",
            settings.joins.max_groups_per_slot.to_string(),
        ),
        ("posting.per_day", settings.posting.per_day.to_string()),
        ("posting.per_hour", settings.posting.per_hour.to_string()),
        (
            "reviewer.enabled_schedule",
            settings.reviewer.enabled_schedule.to_string(),
        ),
        ("leases.ttl_secs", settings.leases.ttl_secs.to_string()),
        ("clock.scale", settings.clock.scale.to_string()),
        ("console.listen", settings.console.listen.to_string()),
        (
            "console.secure_cookies",
            settings.console.secure_cookies.to_string(),
        ),
        (
            "console.session_hours",
            settings.console.session_hours.to_string(),
        ),
        (
            "console.login_attempts_per_minute",
            settings.console.login_attempts_per_minute.to_string(),
        ),
    ]
}

/// `GET /diagnostics`
pub async fn diagnostics(
    Operator(caller): Operator,
    State(state): State<AppState>,
) -> Result<Page, PageError> {
    let (database, database_bytes) = state
        .store
        .database_facts()
        .await
        .map_err(crate::error::ApiError::from)?;
    let migrations = state
        .store
        .applied_migrations()
        .await
        .map_err(crate::error::ApiError::from)?
        .into_iter()
        .map(|(version, description, at)| (version, description, at.to_rfc3339()))
        .collect();
    let page = Diagnostics {
        database,
        database_bytes,
        migrations,
        replicas: system::replica_views(&state).await?,
        settings: shown_settings(&state.settings),
        audit: system::audit_views(&state).await?,
        checks: state
            .store
            .account_checks(None, 10)
            .await
            .map_err(crate::error::ApiError::from)?
            .into_iter()
            .map(checks::CheckView::from)
            .collect(),
    };
    render(&state, &caller, "diagnostics.html", "diagnostics", page)
}

#[cfg(test)]
mod tests {
    use super::{encode, redact_url};

    #[test]
    fn urls_lose_their_password() {
        assert_eq!(
            redact_url("postgres://tgfleet:s3cret@db:5432/tgfleet?sslmode=require"),
            "postgres://tgfleet@db:5432/tgfleet"
        );
        assert_eq!(
            redact_url("postgres://127.0.0.1/x"),
            "postgres://127.0.0.1/x"
        );
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }
}
