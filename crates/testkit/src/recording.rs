//! A [`Connector`] wrapper that records every connection and call, for tests that
//! check *when* and *under which lease* services talk to Telegram.
//!
//! Several recorders (one per service under test) share one [`CallLog`], which
//! notices at once when two connections of one account are open at the same time
//! (invariant 1), and, when given the store and the expected lease holder, checks
//! at every connect that the account's lease is live and held by that holder.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tgfleet_domain::{AccountId, Clock, GroupHandle};
use tgfleet_runtime::ServiceClock;
use tgfleet_store::Store;
use tgfleet_telegram::{
    AccountRef, ChannelPost, ChatRights, Connector, JoinTarget, Me, MessageRef, OutgoingMessage,
    PeerRef, Resolved, ResolvedChat, SentMessage, TelegramAccount, TgResult,
};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// A connection opened.
    Connect,
    /// A port call (its method name: `rights`, `send`, `mark_read`, …).
    Call(&'static str),
    /// A connection closed.
    Close,
}

/// One recorded event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    /// Order of the event across every recorder sharing the log.
    pub seq: u64,
    /// Which recorder (service) it came from.
    pub tag: String,
    /// The account.
    pub account: AccountId,
    /// The account's label.
    pub label: String,
    /// The clock's time.
    pub at: DateTime<Utc>,
    /// Connect, call or close.
    pub kind: CallKind,
}

/// One connection from connect to close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// Which recorder opened it.
    pub tag: String,
    /// The account.
    pub account: AccountId,
    /// Event order at connect.
    pub opened_seq: u64,
    /// Event order at close (`None`: still open).
    pub closed_seq: Option<u64>,
    /// Clock time at connect.
    pub opened_at: DateTime<Utc>,
    /// Clock time at close.
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default)]
struct LogState {
    next_seq: u64,
    records: Vec<CallRecord>,
    open: HashMap<AccountId, Vec<String>>,
    violations: Vec<String>,
}

/// The shared record of every recorder.
#[derive(Debug, Default)]
pub struct CallLog {
    state: Mutex<LogState>,
}

impl CallLog {
    /// An empty log, to share between recorders.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LogState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, tag: &str, account: &AccountRef, at: DateTime<Utc>, kind: CallKind) {
        let mut state = self.state();
        let seq = state.next_seq;
        state.next_seq += 1;
        match kind {
            CallKind::Connect => {
                let open = state.open.entry(account.id).or_default();
                open.push(tag.to_owned());
                if open.len() > 1 {
                    let holders = open.join(", ");
                    state.violations.push(format!(
                        "#{seq} {}: connections open at once by {holders}",
                        account.label
                    ));
                }
            }
            CallKind::Close => {
                if let Some(open) = state.open.get_mut(&account.id)
                    && let Some(index) = open.iter().position(|t| t == tag)
                {
                    open.remove(index);
                }
            }
            CallKind::Call(_) => {}
        }
        state.records.push(CallRecord {
            seq,
            tag: tag.to_owned(),
            account: account.id,
            label: account.label.clone(),
            at,
            kind,
        });
    }

    fn violation(&self, message: String) {
        self.state().violations.push(message);
    }

    /// Every event, in order.
    pub fn records(&self) -> Vec<CallRecord> {
        self.state().records.clone()
    }

    /// The port calls recorded by `tag` (method name and time), in order.
    pub fn calls_of(&self, tag: &str) -> Vec<(String, &'static str, DateTime<Utc>)> {
        self.state()
            .records
            .iter()
            .filter(|r| r.tag == tag)
            .filter_map(|r| match r.kind {
                CallKind::Call(method) => Some((r.label.clone(), method, r.at)),
                CallKind::Connect | CallKind::Close => None,
            })
            .collect()
    }

    /// Every connection, in the order opened.
    pub fn connections(&self) -> Vec<Connection> {
        let state = self.state();
        let mut connections: Vec<Connection> = Vec::new();
        for record in &state.records {
            match record.kind {
                CallKind::Connect => connections.push(Connection {
                    tag: record.tag.clone(),
                    account: record.account,
                    opened_seq: record.seq,
                    closed_seq: None,
                    opened_at: record.at,
                    closed_at: None,
                }),
                CallKind::Close => {
                    if let Some(open) = connections.iter_mut().rev().find(|c| {
                        c.account == record.account && c.tag == record.tag && c.closed_seq.is_none()
                    }) {
                        open.closed_seq = Some(record.seq);
                        open.closed_at = Some(record.at);
                    }
                }
                CallKind::Call(_) => {}
            }
        }
        connections
    }

    /// Overlapping connections of one account, and connections made without the
    /// expected live lease. Empty when every rule held.
    pub fn violations(&self) -> Vec<String> {
        self.state().violations.clone()
    }
}

/// Records the connections and calls of one service into a shared [`CallLog`].
#[derive(Debug)]
pub struct RecordingConnector {
    inner: Arc<dyn Connector>,
    tag: String,
    log: Arc<CallLog>,
    clock: ServiceClock,
    lease_holder: Option<(Store, String)>,
}

impl RecordingConnector {
    /// Wraps `inner`, recording as `tag` into `log`, timing with `clock`.
    pub fn new(
        inner: Arc<dyn Connector>,
        tag: impl Into<String>,
        log: Arc<CallLog>,
        clock: ServiceClock,
    ) -> Self {
        Self {
            inner,
            tag: tag.into(),
            log,
            clock,
            lease_holder: None,
        }
    }

    /// Also checks, at every connect, that the account's lease in `store` is live
    /// and held by `holder` (the service context's holder name).
    pub fn expecting_lease(mut self, store: Store, holder: impl Into<String>) -> Self {
        self.lease_holder = Some((store, holder.into()));
        self
    }

    async fn check_lease(&self, account: &AccountRef) {
        let Some((store, holder)) = &self.lease_holder else {
            return;
        };
        let now = self.clock.now();
        match store.lease_of(account.id).await {
            Ok(Some(lease)) if lease.holder == *holder && lease.expires_at > now => {}
            other => self.log.violation(format!(
                "{} connected by {} without its live lease: {other:?}",
                account.label, self.tag
            )),
        }
    }
}

#[async_trait]
impl Connector for RecordingConnector {
    async fn connect(&self, account: &AccountRef) -> TgResult<Box<dyn TelegramAccount>> {
        self.check_lease(account).await;
        let connected = self.inner.connect(account).await?;
        self.log
            .push(&self.tag, account, self.clock.now(), CallKind::Connect);
        Ok(Box::new(RecordingAccount {
            inner: connected,
            account: account.clone(),
            tag: self.tag.clone(),
            log: Arc::clone(&self.log),
            clock: self.clock.clone(),
        }))
    }
}

#[derive(Debug)]
struct RecordingAccount {
    inner: Box<dyn TelegramAccount>,
    account: AccountRef,
    tag: String,
    log: Arc<CallLog>,
    clock: ServiceClock,
}

impl RecordingAccount {
    fn note(&self, method: &'static str) {
        self.log.push(
            &self.tag,
            &self.account,
            self.clock.now(),
            CallKind::Call(method),
        );
    }
}

#[async_trait]
impl TelegramAccount for RecordingAccount {
    async fn whoami(&self) -> TgResult<Me> {
        self.note("whoami");
        self.inner.whoami().await
    }
    async fn resolve(&self, handle: &GroupHandle) -> TgResult<Resolved> {
        self.note("resolve");
        self.inner.resolve(handle).await
    }
    async fn join(&self, target: &JoinTarget) -> TgResult<ResolvedChat> {
        self.note("join");
        self.inner.join(target).await
    }
    async fn rights(&self, peer: &PeerRef) -> TgResult<ChatRights> {
        self.note("rights");
        self.inner.rights(peer).await
    }
    async fn send(
        &self,
        peer: &PeerRef,
        message: &OutgoingMessage,
        random_id: i64,
    ) -> TgResult<SentMessage> {
        self.note("send");
        self.inner.send(peer, message, random_id).await
    }
    async fn recent_messages(&self, peer: &PeerRef, limit: u32) -> TgResult<Vec<MessageRef>> {
        self.note("recent_messages");
        self.inner.recent_messages(peer, limit).await
    }
    async fn channel_posts(
        &self,
        peer: &PeerRef,
        after: i32,
        limit: u32,
    ) -> TgResult<Vec<ChannelPost>> {
        self.note("channel_posts");
        self.inner.channel_posts(peer, after, limit).await
    }
    async fn forward(
        &self,
        from: &PeerRef,
        ids: &[i32],
        to: &PeerRef,
        random_ids: &[i64],
    ) -> TgResult<Vec<SentMessage>> {
        self.note("forward");
        self.inner.forward(from, ids, to, random_ids).await
    }
    async fn mark_read(&self, peer: &PeerRef, max_id: i32) -> TgResult<()> {
        self.note("mark_read");
        self.inner.mark_read(peer, max_id).await
    }
    async fn active_stories(&self, peer: &PeerRef) -> TgResult<Vec<i32>> {
        self.note("active_stories");
        self.inner.active_stories(peer).await
    }
    async fn view_stories(&self, peer: &PeerRef, max_id: i32) -> TgResult<()> {
        self.note("view_stories");
        self.inner.view_stories(peer, max_id).await
    }
    async fn react(&self, peer: &PeerRef, message_id: i32, emoji: &str) -> TgResult<()> {
        self.note("react");
        self.inner.react(peer, message_id, emoji).await
    }
    async fn leave(&self, peer: &PeerRef) -> TgResult<()> {
        self.note("leave");
        self.inner.leave(peer).await
    }
    async fn close(&self) {
        self.inner.close().await;
        self.log
            .push(&self.tag, &self.account, self.clock.now(), CallKind::Close);
    }
}

impl crate::TestFleet {
    /// A context for one replica of `service` whose connections go through a
    /// [`RecordingConnector`] into `log` (tagged with the replica's holder name),
    /// checking at each connect that the replica holds the account's live lease.
    /// Every connect and call first takes `latency` of virtual time.
    pub fn recorded_context(
        &self,
        service: tgfleet_config::Service,
        log: &Arc<CallLog>,
        latency: std::time::Duration,
    ) -> tgfleet_runtime::ServiceContext {
        let mut ctx = self.context(service);
        let sim = tgfleet_adapter_sim::SimConnector::new(
            Arc::clone(&self.world),
            Arc::new(self.clock.clone()),
        )
        .with_latency(latency);
        ctx.connector = Arc::new(
            RecordingConnector::new(
                Arc::new(sim),
                ctx.holder.clone(),
                Arc::clone(log),
                self.clock.clone(),
            )
            .expecting_lease(self.store.clone(), ctx.holder.clone()),
        );
        ctx
    }
}
