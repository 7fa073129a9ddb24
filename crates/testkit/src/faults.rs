//! [`Faulty`]: a connector that injects faults into the calls of an inner one, for
//! tests of what services do when Telegram refuses, or when a process dies in the
//! middle of a call: joins or sends that fail, hang before reaching Telegram, or go
//! through and then never answer.

use crate::TestFleet;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tgfleet_config::Service;
use tgfleet_domain::GroupHandle;
use tgfleet_runtime::ServiceContext;
use tgfleet_telegram::{
    AccountRef, ChannelPost, ChatRights, Connector, JoinTarget, Me, MessageRef, OutgoingMessage,
    PeerRef, Resolved, ResolvedChat, SentMessage, TelegramAccount, TgError, TgResult,
};
use tokio::sync::oneshot;

/// Which call a fault hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultCall {
    /// `join`.
    Join,
    /// `send`.
    Send,
    /// `channel_posts` (a relay reader's `messages.getHistory` of its source).
    History,
}

/// What a faulty call does instead of (or after) the real one.
#[derive(Clone, Debug)]
pub enum FaultAction {
    /// The call fails with this error (nothing reaches Telegram).
    Fail(TgError),
    /// The call never returns and never reaches Telegram (a crash before it).
    HangBefore,
    /// The call reaches Telegram, then never returns (a crash after it).
    HangAfter,
    /// The call reaches Telegram, then fails with this error (the connection died
    /// before the answer came back).
    FailAfter(TgError),
    /// The call panics before reaching Telegram (a bug in the unit of work).
    Panic(String),
}

/// One fault: which account's calls (any when `None`), of which kind, in which chat
/// (any when `None`; invites have no chat id), what happens, after how many matching
/// calls went through untouched, and how many times.
#[derive(Clone, Debug)]
pub struct Fault {
    /// The account's label.
    pub account: Option<String>,
    /// The call.
    pub call: FaultCall,
    /// The channel's id.
    pub channel_id: Option<i64>,
    /// What happens.
    pub action: FaultAction,
    /// Matching calls that go through before the fault applies.
    pub skip: u32,
    /// How many more times it applies.
    pub remaining: u32,
}

impl Fault {
    /// `account`'s next `times` sends (to `channel_id`, or anywhere) do `action`.
    pub fn send(account: &str, channel_id: Option<i64>, action: FaultAction, times: u32) -> Self {
        Self {
            account: Some(account.to_owned()),
            call: FaultCall::Send,
            channel_id,
            action,
            skip: 0,
            remaining: times,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    faults: Vec<Fault>,
    /// Told when the fault at this index hangs a call.
    hung: HashMap<usize, oneshot::Sender<()>>,
}

/// The inner connector with [`Fault`]s injected.
#[derive(Debug)]
pub struct Faulty {
    inner: Arc<dyn Connector>,
    state: Arc<Mutex<State>>,
    connects: AtomicU32,
}

impl Faulty {
    /// `inner`, with no fault yet.
    pub fn new(inner: Arc<dyn Connector>) -> Arc<Self> {
        Self::with_faults(inner, Vec::new())
    }

    /// `inner`, with `faults`.
    pub fn with_faults(inner: Arc<dyn Connector>, faults: Vec<Fault>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            state: Arc::new(Mutex::new(State {
                faults,
                hung: HashMap::new(),
            })),
            connects: AtomicU32::new(0),
        })
    }

    /// Connections asked for so far (failed ones included).
    pub fn connects(&self) -> u32 {
        self.connects.load(Ordering::SeqCst)
    }

    fn add(&self, fault: Fault) -> usize {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.faults.push(fault);
        state.faults.len() - 1
    }

    /// Joins of `channel_id` answer `error`, always.
    pub fn fail_join(&self, channel_id: i64, error: TgError) {
        self.fail_join_times(channel_id, error, u32::MAX);
    }

    /// The next `times` joins of `channel_id` answer `error`.
    pub fn fail_join_times(&self, channel_id: i64, error: TgError, times: u32) {
        self.add(Fault {
            account: None,
            call: FaultCall::Join,
            channel_id: Some(channel_id),
            action: FaultAction::Fail(error),
            skip: 0,
            remaining: times,
        });
    }

    /// After `label`'s `nth` join went through, the call never returns; the receiver
    /// learns when that happened.
    pub fn hang_after_join(&self, label: &str, nth: u32) -> oneshot::Receiver<()> {
        self.hang_after(FaultCall::Join, Some(label), nth)
    }

    /// After the `nth` call of this kind (by `label`, or by any account) went through
    /// (Telegram answered), the call never returns; the receiver learns when that
    /// happened.
    pub fn hang_after(
        &self,
        call: FaultCall,
        label: Option<&str>,
        nth: u32,
    ) -> oneshot::Receiver<()> {
        let index = self.add(Fault {
            account: label.map(str::to_owned),
            call,
            channel_id: None,
            action: FaultAction::HangAfter,
            skip: nth.saturating_sub(1),
            remaining: 1,
        });
        let (signal, hung) = oneshot::channel();
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .hung
            .insert(index, signal);
        hung
    }

    /// Faults not used up yet.
    pub fn remaining(&self) -> Vec<Fault> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .faults
            .iter()
            .filter(|fault| fault.remaining > 0)
            .cloned()
            .collect()
    }

    /// A context for a new replica of `service` over this connector.
    pub fn context(self: &Arc<Self>, fleet: &TestFleet, service: Service) -> ServiceContext {
        ServiceContext::new(
            service,
            fleet.store.clone(),
            Arc::clone(self) as Arc<dyn Connector>,
            fleet.clock.clone(),
            Arc::clone(&fleet.settings),
            fleet.shutdown.clone(),
        )
    }
}

#[async_trait]
impl Connector for Faulty {
    async fn connect(&self, account: &AccountRef) -> TgResult<Box<dyn TelegramAccount>> {
        self.connects.fetch_add(1, Ordering::SeqCst);
        let inner = self.inner.connect(account).await?;
        Ok(Box::new(FaultyAccount {
            inner,
            label: account.label.clone(),
            state: Arc::clone(&self.state),
        }))
    }
}

#[derive(Debug)]
struct FaultyAccount {
    inner: Box<dyn TelegramAccount>,
    label: String,
    state: Arc<Mutex<State>>,
}

impl FaultyAccount {
    /// The fault this call meets, if any, and who to tell when it hangs.
    fn take(
        &self,
        call: FaultCall,
        channel_id: Option<i64>,
    ) -> Option<(FaultAction, Option<oneshot::Sender<()>>)> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let index = state.faults.iter().position(|fault| {
            fault.remaining > 0
                && fault.call == call
                && fault
                    .account
                    .as_ref()
                    .is_none_or(|label| *label == self.label)
                && fault.channel_id.is_none_or(|id| Some(id) == channel_id)
        })?;
        let fault = &mut state.faults[index];
        if fault.skip > 0 {
            fault.skip -= 1;
            return None;
        }
        fault.remaining -= 1;
        let action = fault.action.clone();
        Some((action, state.hung.remove(&index)))
    }

    /// Runs `call` through the fault it meets, if any.
    async fn faulty<T>(
        &self,
        fault: Option<(FaultAction, Option<oneshot::Sender<()>>)>,
        call: impl Future<Output = TgResult<T>>,
    ) -> TgResult<T> {
        match fault {
            None => call.await,
            Some((FaultAction::Fail(error), _)) => Err(error),
            Some((FaultAction::Panic(message), _)) => panic!("{message}"),
            Some((FaultAction::HangBefore, signal)) => {
                if let Some(signal) = signal {
                    let _ = signal.send(());
                }
                std::future::pending().await
            }
            Some((FaultAction::FailAfter(error), _)) => {
                call.await?;
                Err(error)
            }
            Some((FaultAction::HangAfter, signal)) => {
                call.await?;
                if let Some(signal) = signal {
                    let _ = signal.send(());
                }
                std::future::pending().await
            }
        }
    }
}

#[async_trait]
impl TelegramAccount for FaultyAccount {
    async fn whoami(&self) -> TgResult<Me> {
        self.inner.whoami().await
    }
    async fn resolve(&self, handle: &GroupHandle) -> TgResult<Resolved> {
        self.inner.resolve(handle).await
    }
    async fn join(&self, target: &JoinTarget) -> TgResult<ResolvedChat> {
        let channel_id = match target {
            JoinTarget::Public(peer) => Some(peer.id),
            JoinTarget::Invite(_) => None,
        };
        let fault = self.take(FaultCall::Join, channel_id);
        self.faulty(fault, self.inner.join(target)).await
    }
    async fn rights(&self, peer: &PeerRef) -> TgResult<ChatRights> {
        self.inner.rights(peer).await
    }
    async fn send(
        &self,
        peer: &PeerRef,
        message: &OutgoingMessage,
        random_id: i64,
    ) -> TgResult<SentMessage> {
        let fault = self.take(FaultCall::Send, Some(peer.id));
        self.faulty(fault, self.inner.send(peer, message, random_id))
            .await
    }
    async fn recent_messages(&self, peer: &PeerRef, limit: u32) -> TgResult<Vec<MessageRef>> {
        self.inner.recent_messages(peer, limit).await
    }
    async fn channel_posts(
        &self,
        peer: &PeerRef,
        after: i32,
        limit: u32,
    ) -> TgResult<Vec<ChannelPost>> {
        let fault = self.take(FaultCall::History, Some(peer.id));
        self.faulty(fault, self.inner.channel_posts(peer, after, limit))
            .await
    }
    async fn forward(
        &self,
        from: &PeerRef,
        ids: &[i32],
        to: &PeerRef,
        random_ids: &[i64],
    ) -> TgResult<Vec<SentMessage>> {
        let fault = self.take(FaultCall::Send, Some(to.id));
        self.faulty(fault, self.inner.forward(from, ids, to, random_ids))
            .await
    }
    async fn mark_read(&self, peer: &PeerRef, max_id: i32) -> TgResult<()> {
        self.inner.mark_read(peer, max_id).await
    }
    async fn active_stories(&self, peer: &PeerRef) -> TgResult<Vec<i32>> {
        self.inner.active_stories(peer).await
    }
    async fn view_stories(&self, peer: &PeerRef, max_id: i32) -> TgResult<()> {
        self.inner.view_stories(peer, max_id).await
    }
    async fn react(&self, peer: &PeerRef, message_id: i32, emoji: &str) -> TgResult<()> {
        self.inner.react(peer, message_id, emoji).await
    }
    async fn leave(&self, peer: &PeerRef) -> TgResult<()> {
        self.inner.leave(peer).await
    }
    async fn close(&self) {
        self.inner.close().await;
    }
}
