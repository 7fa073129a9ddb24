//! Bounds every port call by a timeout (grammers has no request timeout of its own).

use crate::{
    AccountRef, ChannelPost, ChatRights, Connector, JoinTarget, Me, MessageRef, OutgoingMessage,
    PeerRef, Resolved, ResolvedChat, SentMessage, TelegramAccount, TgError, TgResult,
};
use async_trait::async_trait;
use std::future::Future;
use std::time::Duration;
use tgfleet_domain::GroupHandle;

/// A [`TelegramAccount`] whose every call ends within `timeout`, or fails as a
/// transient error; a send without an answer in time has an unknown outcome (it may
/// have gone through), never a transient one.
///
/// A send that uploads a file first ([`OutgoingMessage::Media`]) gets `upload_timeout`
/// on top: the adapter bounds its upload by that (a time-out there is transient,
/// nothing was sent), so the final send keeps at least `timeout` of its own.
#[derive(Debug)]
pub struct Timed {
    inner: Box<dyn TelegramAccount>,
    timeout: Duration,
    upload_timeout: Duration,
}

impl Timed {
    /// Wraps `inner`, bounding each call by `timeout` (no extra time for uploads).
    pub fn new(inner: Box<dyn TelegramAccount>, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            upload_timeout: Duration::ZERO,
        }
    }

    /// Gives a send that uploads a file `upload_timeout` more than other calls.
    #[must_use]
    pub fn with_upload_timeout(mut self, upload_timeout: Duration) -> Self {
        self.upload_timeout = upload_timeout;
        self
    }

    async fn bounded<T>(&self, call: &str, fut: impl Future<Output = TgResult<T>>) -> TgResult<T> {
        self.bounded_by(self.timeout, call, fut).await
    }

    async fn bounded_by<T>(
        &self,
        timeout: Duration,
        call: &str,
        fut: impl Future<Output = TgResult<T>>,
    ) -> TgResult<T> {
        match tokio::time::timeout(timeout, fut).await {
            Ok(result) => result,
            Err(_) => {
                let detail = format!("{call} timed out after {}s", timeout.as_secs_f32());
                Err(if call == "send" || call == "forward" {
                    TgError::unknown_outcome(detail)
                } else {
                    TgError::transient(detail)
                })
            }
        }
    }
}

#[async_trait]
impl TelegramAccount for Timed {
    async fn whoami(&self) -> TgResult<Me> {
        self.bounded("whoami", self.inner.whoami()).await
    }
    async fn resolve(&self, handle: &GroupHandle) -> TgResult<Resolved> {
        self.bounded("resolve", self.inner.resolve(handle)).await
    }
    async fn join(&self, target: &JoinTarget) -> TgResult<ResolvedChat> {
        self.bounded("join", self.inner.join(target)).await
    }
    async fn rights(&self, peer: &PeerRef) -> TgResult<ChatRights> {
        self.bounded("rights", self.inner.rights(peer)).await
    }
    async fn send(
        &self,
        peer: &PeerRef,
        message: &OutgoingMessage,
        random_id: i64,
    ) -> TgResult<SentMessage> {
        let timeout = match message {
            OutgoingMessage::Media { .. } => self.timeout.saturating_add(self.upload_timeout),
            _ => self.timeout,
        };
        self.bounded_by(timeout, "send", self.inner.send(peer, message, random_id))
            .await
    }
    async fn recent_messages(&self, peer: &PeerRef, limit: u32) -> TgResult<Vec<MessageRef>> {
        self.bounded("recent_messages", self.inner.recent_messages(peer, limit))
            .await
    }
    async fn channel_posts(
        &self,
        peer: &PeerRef,
        after: i32,
        limit: u32,
    ) -> TgResult<Vec<ChannelPost>> {
        self.bounded(
            "channel_posts",
            self.inner.channel_posts(peer, after, limit),
        )
        .await
    }
    async fn forward(
        &self,
        from: &PeerRef,
        ids: &[i32],
        to: &PeerRef,
        random_ids: &[i64],
    ) -> TgResult<Vec<SentMessage>> {
        self.bounded("forward", self.inner.forward(from, ids, to, random_ids))
            .await
    }
    async fn mark_read(&self, peer: &PeerRef, max_id: i32) -> TgResult<()> {
        self.bounded("mark_read", self.inner.mark_read(peer, max_id))
            .await
    }
    async fn active_stories(&self, peer: &PeerRef) -> TgResult<Vec<i32>> {
        self.bounded("active_stories", self.inner.active_stories(peer))
            .await
    }
    async fn view_stories(&self, peer: &PeerRef, max_id: i32) -> TgResult<()> {
        self.bounded("view_stories", self.inner.view_stories(peer, max_id))
            .await
    }
    async fn react(&self, peer: &PeerRef, message_id: i32, emoji: &str) -> TgResult<()> {
        self.bounded("react", self.inner.react(peer, message_id, emoji))
            .await
    }
    async fn leave(&self, peer: &PeerRef) -> TgResult<()> {
        self.bounded("leave", self.inner.leave(peer)).await
    }
    async fn close(&self) {
        let _ = tokio::time::timeout(self.timeout, self.inner.close()).await;
    }
}

/// A [`Connector`] whose connections (and the connect itself) are bounded by a timeout.
#[derive(Debug)]
pub struct TimedConnector<C> {
    inner: C,
    timeout: Duration,
    upload_timeout: Duration,
}

impl<C: Connector> TimedConnector<C> {
    /// Wraps `inner`, bounding the connect and every call by `timeout`.
    pub fn new(inner: C, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            upload_timeout: Duration::ZERO,
        }
    }

    /// Gives sends that upload a file `upload_timeout` more (see [`Timed`]); the inner
    /// connector bounds the upload itself by the same value.
    #[must_use]
    pub fn with_upload_timeout(mut self, upload_timeout: Duration) -> Self {
        self.upload_timeout = upload_timeout;
        self
    }
}

#[async_trait]
impl<C: Connector> Connector for TimedConnector<C> {
    async fn connect(&self, account: &AccountRef) -> TgResult<Box<dyn TelegramAccount>> {
        let connected = tokio::time::timeout(self.timeout, self.inner.connect(account))
            .await
            .map_err(|_| {
                TgError::transient(format!(
                    "connect timed out after {}s",
                    self.timeout.as_secs_f32()
                ))
            })??;
        Ok(Box::new(
            Timed::new(connected, self.timeout).with_upload_timeout(self.upload_timeout),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Hanging;

    #[async_trait]
    impl TelegramAccount for Hanging {
        async fn whoami(&self) -> TgResult<Me> {
            std::future::pending().await
        }
        async fn resolve(&self, _: &GroupHandle) -> TgResult<Resolved> {
            std::future::pending().await
        }
        async fn join(&self, _: &JoinTarget) -> TgResult<ResolvedChat> {
            std::future::pending().await
        }
        async fn rights(&self, _: &PeerRef) -> TgResult<ChatRights> {
            std::future::pending().await
        }
        async fn send(&self, _: &PeerRef, _: &OutgoingMessage, _: i64) -> TgResult<SentMessage> {
            std::future::pending().await
        }
        async fn recent_messages(&self, _: &PeerRef, _: u32) -> TgResult<Vec<MessageRef>> {
            std::future::pending().await
        }
        async fn channel_posts(&self, _: &PeerRef, _: i32, _: u32) -> TgResult<Vec<ChannelPost>> {
            std::future::pending().await
        }
        async fn forward(
            &self,
            _: &PeerRef,
            _: &[i32],
            _: &PeerRef,
            _: &[i64],
        ) -> TgResult<Vec<SentMessage>> {
            std::future::pending().await
        }
        async fn mark_read(&self, _: &PeerRef, _: i32) -> TgResult<()> {
            std::future::pending().await
        }
        async fn active_stories(&self, _: &PeerRef) -> TgResult<Vec<i32>> {
            std::future::pending().await
        }
        async fn view_stories(&self, _: &PeerRef, _: i32) -> TgResult<()> {
            std::future::pending().await
        }
        async fn react(&self, _: &PeerRef, _: i32, _: &str) -> TgResult<()> {
            Ok(())
        }
        async fn leave(&self, _: &PeerRef) -> TgResult<()> {
            std::future::pending().await
        }
        async fn close(&self) {}
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_call_becomes_transient() {
        let timed = Timed::new(Box::new(Hanging), Duration::from_secs(30));
        let err = timed.whoami().await.unwrap_err();
        assert_eq!(err, TgError::transient("whoami timed out after 30s"));
        let peer = PeerRef {
            id: 1,
            access_hash: 2,
            kind: crate::PeerKind::Channel,
        };
        assert_eq!(timed.react(&peer, 1, "👍").await, Ok(()));
        let text = OutgoingMessage::Text {
            text: "hi".into(),
            format: crate::TextFormat::Plain,
            link_preview: true,
        };
        let unanswered = timed.send(&peer, &text, 1).await.unwrap_err();
        assert_eq!(
            unanswered,
            TgError::unknown_outcome("send timed out after 30s"),
            "a send may have gone through: its outcome is unknown"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_media_send_gets_the_upload_bound_on_top_of_its_own() {
        let timed = Timed::new(Box::new(Hanging), Duration::from_secs(30))
            .with_upload_timeout(Duration::from_secs(90));
        let peer = PeerRef {
            id: 1,
            access_hash: 2,
            kind: crate::PeerKind::Channel,
        };
        let photo = OutgoingMessage::Media {
            kind: crate::MediaKind::Photo,
            file_name: "a.jpg".into(),
            bytes: std::sync::Arc::new(vec![1; 10]),
            caption: String::new(),
            format: crate::TextFormat::Plain,
        };
        let started = tokio::time::Instant::now();
        let error = timed.send(&peer, &photo, 1).await.unwrap_err();
        assert_eq!(error, TgError::unknown_outcome("send timed out after 120s"));
        assert_eq!(started.elapsed(), Duration::from_secs(120));
        let text = OutgoingMessage::Text {
            text: "hi".into(),
            format: crate::TextFormat::Plain,
            link_preview: true,
        };
        let error = timed.send(&peer, &text, 2).await.unwrap_err();
        assert_eq!(error, TgError::unknown_outcome("send timed out after 30s"));
    }
}
