//! The only crate with SQL: tgfleet's Postgres schema access, leases and views.
//!
//! Queries are checked at run time (`sqlx::query`, no compile-time macros), so building
//! needs no database. Every public function's documentation says what it locks and
//! which uniqueness it relies on. Time comes in as a `now` parameter from the caller's
//! injected clock; SQL `now()` only fills audit columns (`created_at`, `updated_at`).

mod accounts;
mod activity;
#[cfg(feature = "fixtures")]
pub mod bench_data;
mod board;
mod campaigns;
mod conflict;
mod connect;
mod cron;
mod devices;
mod error;
mod events;
#[cfg(feature = "fixtures")]
pub mod fixtures;
mod fleet;
mod groups;
mod heartbeats;
mod joins;
mod leases;
mod messages;
mod notify;
mod onboarding;
mod operators;
mod peers;
#[cfg(feature = "fixtures")]
pub mod posting_fixtures;
mod posts;
mod relay;
mod review;
mod sessions;
mod stats;
#[cfg(feature = "testing")]
pub mod testing;

pub use accounts::{Account, NewAccount, StatusChange};
pub use activity::ActivityPeer;
pub use board::{
    AccountToday, DayNumbers, EventQuery, EventRow, GroupSearch, ReviewRequest, TargetProgress,
};
pub use campaigns::{
    Campaign, CampaignStatusChange, CampaignSummary, CampaignTarget, NewCampaign, NewVariant,
    Variant,
};
pub use connect::{DEFAULT_CONNECT_TIMEOUT, MIGRATOR, MigrationStatus};
pub use devices::{DeviceParams, SessionSummary};
pub use error::StoreError;
pub use events::{NewEvent, record_event};
pub use groups::{Group, GroupFilter, ImportReport, ImportedGroup};
pub use heartbeats::{Beat, BeatHour, Heartbeat};
pub use joins::{
    AssignmentReport, ChatFacts, JoinEvent, JoinMembership, JoinQueue, JoinRecord, NextJoin,
    QueuedJoiner, SlotPlan,
};
pub use leases::Lease;
#[cfg(feature = "testing")]
pub use leases::check_lease;
#[cfg(not(feature = "testing"))]
pub(crate) use leases::check_lease;
pub use messages::{
    AccountCheck, DueMessage, MessageChat, MessageClaim, MessageClaimSnapshot, MessageDecision,
    MessagePost, MessageRequest, MessageRequested, NewMessage,
};
pub use notify::{CHANGES_CHANNEL, ChangeListener, EVENTS_CHANNEL};
pub use onboarding::{ImportOutcome, LoginRecorded, SessionImport, WhoamiOutcome};
pub use operators::{
    ApiToken, AuditEntry, NewAudit, NewSession, Operator, OperatorSession, TokenScope,
    check_operator_name, record_audit,
};
pub use peers::StoredPeer;
pub use posts::{
    Claim, ClaimSnapshot, ClaimedPost, GroupContent, LatestAttempt, Post, PostCompletion,
    PostFilter, PostToClaim, PostingAccount, PostingTarget, idempotency_key,
};
pub use relay::{
    DueRelay, KnownRelayPost, NewRelay, NewRelayPost, RelayConfig, RelayEdit, RelayMedia,
    RelayPart, RelayPost, RelayRead, RelayRecorded, relay_times,
};
pub use review::{
    CatalogueFacts, ERROR_FINDING, RecordedReview, ReviewFinding, ReviewHistoryEntry, ReviewRun,
    ReviewRunId, ReviewTarget, ReviewTotals,
};
pub use sessions::{AUTH_KEY_BYTES, SessionCipher, StoredSession, key_fingerprint};
pub use stats::{Overview, PostsPerDay};

/// A handle on tgfleet's Postgres database (a connection pool). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: sqlx::PgPool,
    conflicts: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Store {
    /// Wraps an existing pool (e.g. the one `#[sqlx::test]` hands a test).
    pub fn from_pool(pool: sqlx::PgPool) -> Self {
        Self {
            pool,
            conflicts: std::sync::Arc::default(),
        }
    }

    /// Transactions of this store (and its clones) that Postgres aborted on a
    /// deadlock or serialization conflict and that were run again.
    pub fn conflict_aborts(&self) -> u64 {
        self.conflicts.load(std::sync::atomic::Ordering::Relaxed)
    }
}
