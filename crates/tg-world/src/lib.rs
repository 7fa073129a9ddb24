//! The simulated Telegram world: a deterministic model of accounts, groups,
//! their rules and Telegram's rate limits, in Telegram's own vocabulary.
//!
//! One [`World`] serves both the in-process adapter (service tests, scale
//! benchmarks) and tg-sim (the MTProto server): each public method models one
//! TL method, takes `now` and the acting user, and answers Telegram's RPC
//! errors by name and value ([`RpcError`]). Nothing reads a clock or a global
//! random generator: time is passed in, randomness is derived from the
//! scenario seed and the identities involved.
//!
//! Worlds come from a [`Scenario`] (TOML, see `scenarios/small.toml`) or from
//! the [`generate`] function (N accounts, M groups with exact counts per profile).

mod derive;
mod error;
mod generator;
mod limits;
mod scenario;
mod secret;
mod types;
mod world;

pub use derive::auth_key_id;
pub use error::{RpcError, names};
pub use generator::{
    AccountMix, Generated, GeneratedHandle, GeneratorSpec, GroupMix, Profile, generate,
};
pub use limits::{Budget, FloodPolicy, Limits, MethodClass, PeerFloodPolicy};
pub use scenario::{
    AccountSpec, DEFAULT_CHANNEL_ID_BASE, DEFAULT_USER_ID_BASE, GroupSpec, MediaOrText,
    PublishSpec, SLOW_MODE_VALUES, Scenario, ScenarioError, VanishSpec, default_epoch,
};
pub use secret::{AuthKey, Phone, Secret};
pub use types::{
    BannedRights, ChannelFull, ChannelInfo, ChannelKind, ChannelParticipant, ChatInvite,
    ForumTopic, ForwardHeader, History, HistoryPage, InputChannel, InvitePreview, MediaKind,
    Message, MessageContent, Participant, Right, SentCode, StoryItem, TextBody, UpdatesState,
    UploadedMedia, UserId, UserInfo, VanishKind,
};
pub use world::{
    Counters, GENERAL_TOPIC, LedgerEntry, LedgerEvent, MembershipView, SentKind, SentRecord,
    Standing, TOPICS, World, media_ref,
};
