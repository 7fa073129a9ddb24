//! Shared imports and helpers of the wire tests.

pub use secrecy::ExposeSecret;
pub use sqlx::PgPool;
pub use std::sync::Arc;
pub use std::time::{Duration, Instant};
pub use tg_world::{MethodClass, SentKind, SentRecord};
pub use tgfleet_adapter_grammers::testing::{
    SimWorld, account_ref, account_without_session, enrol, enrol_with_proxy, test_cipher,
    test_connector,
};
pub use tgfleet_domain::GroupHandle;
pub use tgfleet_store::Store;
pub use tgfleet_telegram::{
    About, AccountAnswer, BannedRights, ChatKind, Connector, JoinTarget, MediaKind, MemberStatus,
    OutgoingMessage, PeerKind, PeerRef, Resolved, ResolvedChat, TelegramAccount, TextFormat,
    TgError,
};

/// Resolves a public username that must name a group or channel.
pub async fn resolve_chat(tg: &dyn TelegramAccount, handle: &str) -> ResolvedChat {
    match tg.resolve(&GroupHandle::parse(handle).unwrap()).await {
        Ok(Resolved::Chat(chat)) => chat,
        other => panic!("{handle}: {other:?}"),
    }
}

/// The last message an account sent, as the world recorded it.
pub fn last_sent(sim: &SimWorld, label: &str) -> SentRecord {
    let world = sim.world();
    (*world.sent_by(label).last().expect("a sent message")).clone()
}
