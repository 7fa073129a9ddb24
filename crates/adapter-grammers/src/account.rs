//! One connected account: every port method as raw TL requests through grammers.

use crate::convert::{
    banned_rights, find_chat, input_channel, input_peer, invite_preview, peek_preview,
    resolved_chat, sent_message, timestamp, updates_chats,
};
use crate::error::{is_connection_failure, map_invocation_error};
use crate::pool::{RunnerHealth, StartedPool};
use crate::send::{UploadPart, formatted, input_media, send_media, upload_parts, uploaded_file};
use async_trait::async_trait;
use grammers_client::Client;
use grammers_mtsender::InvocationError;
use grammers_tl_types::{self as tl, RemoteCall};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tgfleet_domain::GroupHandle;
use tgfleet_telegram::{
    About, AccountAnswer, BannedRights, ChannelPost, ChatRights, GroupAnswer, JoinTarget, Me,
    MemberStatus, MembershipAnswer, MessageRef, OutgoingMessage, PeerRef, Resolved, ResolvedChat,
    SentMessage, TelegramAccount, TgError, TgResult,
};

/// How a call whose connection died is retried: once, after a pause that doubles
/// with every consecutive connection failure of the account, up to `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReconnectBackoff {
    /// The pause after the first connection failure.
    pub first: Duration,
    /// The longest pause.
    pub max: Duration,
}

impl Default for ReconnectBackoff {
    fn default() -> Self {
        Self {
            first: Duration::from_millis(250),
            max: Duration::from_secs(4),
        }
    }
}

impl ReconnectBackoff {
    /// The pause after `failures` consecutive connection failures (1 = the first).
    pub fn pause(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }
}

/// An account connected through grammers. Built by [`crate::GrammersConnector`].
pub(crate) struct GrammersAccount {
    label: String,
    client: Client,
    health: Arc<RunnerHealth>,
    pool: Mutex<Option<StartedPool>>,
    closed: AtomicBool,
    connection_failures: AtomicU32,
    backoff: ReconnectBackoff,
    upload_timeout: Duration,
}

/// How many times a media send answered `FILE_PART_X_MISSING` re-saves that part and
/// sends again (with the same `random_id`) before giving up.
pub(crate) const MAX_PART_RESENDS: u32 = 3;

/// A failed call: the port's error, and the part number of a `FILE_PART_X_MISSING`
/// answer (grammers splits it into `FILE_PART_MISSING` and the value).
#[derive(Debug)]
pub(crate) struct CallFailure {
    error: TgError,
    missing_part: Option<u32>,
}

impl From<TgError> for CallFailure {
    fn from(error: TgError) -> Self {
        Self {
            error,
            missing_part: None,
        }
    }
}

/// The General topic's id (TDLib td/telegram/ForumTopicId.h, `ForumTopicId::general()`).
const GENERAL_TOPIC: i32 = 1;

impl std::fmt::Debug for GrammersAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrammersAccount")
            .field("label", &self.label)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl GrammersAccount {
    pub(crate) fn new(label: &str, pool: StartedPool, backoff: ReconnectBackoff) -> Self {
        Self {
            label: label.to_owned(),
            client: pool.client.clone(),
            health: Arc::clone(&pool.health),
            pool: Mutex::new(Some(pool)),
            closed: AtomicBool::new(false),
            connection_failures: AtomicU32::new(0),
            backoff,
            upload_timeout: crate::DEFAULT_UPLOAD_TIMEOUT,
        }
    }

    /// Bounds each media upload (every part, and each part re-saved after
    /// `FILE_PART_X_MISSING`) by `timeout`.
    pub(crate) fn with_upload_timeout(mut self, timeout: Duration) -> Self {
        self.upload_timeout = timeout;
        self
    }

    fn usable(&self) -> TgResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(TgError::transient(format!(
                "the connection of {} is closed",
                self.label
            )));
        }
        if let Some(panic) = self.health.panic() {
            return Err(TgError::transient(format!(
                "the connection runner of {} panicked: {panic}",
                self.label
            )));
        }
        Ok(())
    }

    fn failed(&self, error: &InvocationError) -> TgError {
        self.usable()
            .err()
            .unwrap_or_else(|| map_invocation_error(error))
    }

    /// One request. A request whose connection died (Io / Dropped) is sent once more
    /// on a fresh connection after a short, growing pause; RPC errors are never
    /// retried. Sends stay safe to repeat: Telegram deduplicates them by random id.
    pub(crate) async fn call<R: RemoteCall>(&self, request: &R) -> TgResult<R::Return> {
        self.call_detailed(request)
            .await
            .map_err(|failure| failure.error)
    }

    /// [`Self::call`], keeping the part number of a `FILE_PART_X_MISSING` answer.
    async fn call_detailed<R: RemoteCall>(&self, request: &R) -> Result<R::Return, CallFailure> {
        self.usable()?;
        let error = match self.client.invoke(request).await {
            Ok(answer) => return Ok(self.succeeded(answer)),
            Err(error) if is_connection_failure(&error) => error,
            Err(error) => return Err(self.failure(&error)),
        };
        self.usable()?;
        let failures = self.connection_failures.fetch_add(1, Ordering::AcqRel) + 1;
        let pause = self.backoff.pause(failures);
        let seen = map_invocation_error(&error);
        tracing::debug!(account = %self.label, error = %seen, ?pause, failures, "connection lost; retrying once");
        tokio::time::sleep(pause).await;
        self.usable()?;
        match self.client.invoke(request).await {
            Ok(answer) => Ok(self.succeeded(answer)),
            Err(error) => {
                if is_connection_failure(&error) {
                    self.connection_failures.fetch_add(1, Ordering::AcqRel);
                }
                Err(self.failure(&error))
            }
        }
    }

    fn failure(&self, error: &InvocationError) -> CallFailure {
        let missing_part = match error {
            InvocationError::Rpc(rpc) if rpc.name == "FILE_PART_MISSING" => rpc.value,
            _ => None,
        };
        CallFailure {
            error: self.failed(error),
            missing_part,
        }
    }

    fn succeeded<T>(&self, answer: T) -> T {
        self.connection_failures.store(0, Ordering::Release);
        answer
    }

    /// Saves the parts of `bytes` under `file_id` (only part `only` when given), within
    /// the upload bound. Nothing is sent yet, so a time-out is a transient failure of
    /// the call: retrying the post later is safe.
    async fn upload(&self, file_id: i64, bytes: &[u8], only: Option<u32>) -> TgResult<()> {
        let parts = upload_parts(file_id, bytes)
            .into_iter()
            .enumerate()
            .filter(|(index, _)| only.is_none_or(|only| usize::try_from(only) == Ok(*index)))
            .map(|(_, part)| part)
            .collect::<Vec<_>>();
        if parts.is_empty() {
            return Err(TgError::unexpected(format!(
                "Telegram asked for file part {only:?}, which this file does not have"
            )));
        }
        let save_all = async {
            for part in &parts {
                let saved = match part {
                    UploadPart::Small(request) => self.call(request).await?,
                    UploadPart::Big(request) => self.call(request).await?,
                };
                if !saved {
                    return Err(TgError::transient(
                        "Telegram did not store a file part".to_owned(),
                    ));
                }
            }
            Ok(())
        };
        tokio::time::timeout(self.upload_timeout, save_all)
            .await
            .unwrap_or_else(|_| {
                Err(TgError::transient(format!(
                    "upload timed out after {}s; nothing was sent",
                    self.upload_timeout.as_secs_f32()
                )))
            })
    }

    /// Uploads the file, then sends it. A send answered `FILE_PART_X_MISSING` (Telegram
    /// lost part X: "Try repeating the method call to resave the part", PyroTGFork
    /// `400_BAD_REQUEST.tsv:214`; Telethon `errors.csv:170`) re-saves that part and
    /// sends again with the same `random_id`, at most [`MAX_PART_RESENDS`] times;
    /// then the call fails as transient (Telegram refused it: nothing was sent).
    async fn send_uploaded(
        &self,
        to: tl::enums::InputPeer,
        media: &OutgoingMessage,
        random_id: i64,
    ) -> TgResult<tl::enums::Updates> {
        let OutgoingMessage::Media {
            kind,
            file_name,
            bytes,
            caption,
            format,
        } = media
        else {
            return Err(TgError::unexpected("not a media message".to_owned()));
        };
        let file_id = crate::send::random_id();
        self.upload(file_id, bytes, None).await?;
        let (message, entities) = formatted(caption, *format);
        let file = uploaded_file(file_id, file_name, bytes.len());
        let request = send_media(
            to,
            input_media(*kind, file, file_name),
            message,
            entities,
            random_id,
        );
        let mut resends = 0;
        loop {
            match self.call_detailed(&request).await {
                Err(CallFailure {
                    missing_part: Some(part),
                    ..
                }) if resends < MAX_PART_RESENDS => {
                    resends += 1;
                    tracing::debug!(account = %self.label, part, resends, "Telegram lost a file part; saving it again");
                    self.upload(file_id, bytes, Some(part)).await?;
                }
                Err(CallFailure {
                    missing_part: Some(part),
                    ..
                }) => {
                    return Err(TgError::transient(format!(
                        "file part {part} still missing after {MAX_PART_RESENDS} re-sends; nothing was sent"
                    )));
                }
                other => {
                    return other
                        .map_err(|failure| unknown_if_transient(&self.closed, failure.error));
                }
            }
        }
    }

    /// Whether a forum's General topic (id 1, TDLib td/telegram/ForumTopicId.h), where a
    /// message without a topic goes, is closed: `messages.getForumTopicsByID` for that one
    /// topic, as TDLib reads one topic (td/telegram/ForumTopicManager.cpp,
    /// `GetForumTopicQuery`), and its `forumTopic.closed`.
    async fn general_topic_closed(&self, peer: &PeerRef) -> TgResult<bool> {
        let tl::enums::messages::ForumTopics::Topics(found) = self
            .call(&tl::functions::messages::GetForumTopicsById {
                peer: input_peer(peer),
                topics: vec![GENERAL_TOPIC],
            })
            .await?;
        Ok(found.topics.iter().any(|topic| match topic {
            tl::enums::ForumTopic::Topic(topic) => topic.id == GENERAL_TOPIC && topic.closed,
            tl::enums::ForumTopic::Deleted(_) => false,
        }))
    }

    async fn joined_chat(
        &self,
        result: tl::enums::messages::ChatInviteJoinResult,
        expected: Option<&PeerRef>,
    ) -> TgResult<ResolvedChat> {
        let updates = match result {
            tl::enums::messages::ChatInviteJoinResult::Ok(ok) => ok.updates,
            tl::enums::messages::ChatInviteJoinResult::WebView(_) => {
                return Err(TgError::unexpected("JOIN_NEEDS_WEB_VIEW".to_owned()));
            }
        };
        let chats = updates_chats(&updates);
        let chat = match expected {
            Some(peer) => find_chat(chats, peer.id),
            None => chats.iter().find(|chat| resolved_chat(chat).is_ok()),
        };
        if let Some(chat) = chat {
            return resolved_chat(chat);
        }
        let Some(peer) = expected else {
            return Err(TgError::unexpected(
                "the join answer named no chat".to_owned(),
            ));
        };
        let channels = self
            .call(&tl::functions::channels::GetChannels {
                id: vec![input_channel(peer)?],
            })
            .await?;
        let chats = match channels {
            tl::enums::messages::Chats::Chats(chats) => chats.chats,
            tl::enums::messages::Chats::Slice(slice) => slice.chats,
        };
        find_chat(&chats, peer.id)
            .map(resolved_chat)
            .unwrap_or_else(|| Err(TgError::from_rpc(400, "CHANNEL_INVALID", None)))
    }
}

#[async_trait]
impl TelegramAccount for GrammersAccount {
    async fn whoami(&self) -> TgResult<Me> {
        let users = self
            .call(&tl::functions::users::GetUsers {
                id: vec![tl::enums::InputUser::UserSelf],
            })
            .await?;
        match users.into_iter().next() {
            Some(tl::enums::User::User(user)) => Ok(Me {
                user_id: user.id,
                first_name: user.first_name.unwrap_or_default(),
                username: user.username,
                phone: user.phone,
            }),
            _ => Err(TgError::new(
                About::Account(AccountAnswer::Unauthorized),
                "no user behind this session",
            )),
        }
    }

    async fn resolve(&self, handle: &GroupHandle) -> TgResult<Resolved> {
        match handle {
            GroupHandle::Username(username) => {
                let tl::enums::contacts::ResolvedPeer::Peer(resolved) = self
                    .call(&tl::functions::contacts::ResolveUsername {
                        username: username.clone(),
                        referer: None,
                    })
                    .await?;
                let id = match resolved.peer {
                    tl::enums::Peer::Channel(channel) => channel.channel_id,
                    tl::enums::Peer::Chat(chat) => chat.chat_id,
                    tl::enums::Peer::User(_) => {
                        return Err(TgError::new(
                            About::Group(GroupAnswer::Gone),
                            "USERNAME_IS_A_USER",
                        ));
                    }
                };
                let chat = find_chat(&resolved.chats, id)
                    .ok_or_else(|| TgError::from_rpc(400, "CHANNEL_INVALID", None))?;
                resolved_chat(chat).map(Resolved::Chat)
            }
            GroupHandle::Invite(hash) => {
                let invite = self
                    .call(&tl::functions::messages::CheckChatInvite { hash: hash.clone() })
                    .await?;
                match invite {
                    tl::enums::ChatInvite::Already(already) => {
                        resolved_chat(&already.chat).map(Resolved::Chat)
                    }
                    tl::enums::ChatInvite::Invite(invite) => {
                        Ok(Resolved::Invite(invite_preview(&invite)))
                    }
                    tl::enums::ChatInvite::Peek(peek) => {
                        Ok(Resolved::Invite(peek_preview(&peek.chat)))
                    }
                }
            }
        }
    }

    async fn join(&self, target: &JoinTarget) -> TgResult<ResolvedChat> {
        match target {
            JoinTarget::Public(peer) => {
                let result = self
                    .call(&tl::functions::channels::JoinChannel {
                        channel: input_channel(peer)?,
                    })
                    .await?;
                Box::pin(self.joined_chat(result, Some(peer))).await
            }
            JoinTarget::Invite(hash) => {
                let result = self
                    .call(&tl::functions::messages::ImportChatInvite { hash: hash.clone() })
                    .await?;
                Box::pin(self.joined_chat(result, None)).await
            }
        }
    }

    /// `channels.getParticipant(self)`, then `channels.getFullChannel` unless the
    /// account was kicked (Telegram then shows the group without its defaults), and
    /// in a forum (`channel.forum`) whether its General topic is closed.
    async fn rights(&self, peer: &PeerRef) -> TgResult<ChatRights> {
        let channel = input_channel(peer)?;
        let participant = self
            .call(&tl::functions::channels::GetParticipant {
                channel: channel.clone(),
                participant: tl::enums::InputPeer::PeerSelf,
            })
            .await;
        let (status, my_banned) = match participant {
            Ok(tl::enums::channels::ChannelParticipant::Participant(found)) => {
                match found.participant {
                    tl::enums::ChannelParticipant::Banned(banned) if banned.left => {
                        let kind = find_chat(&found.chats, peer.id)
                            .and_then(crate::convert::chat_kind)
                            .unwrap_or(tgfleet_telegram::ChatKind::Supergroup);
                        return Ok(ChatRights {
                            status: MemberStatus::Banned,
                            kind,
                            my_banned: Some(banned_rights(&banned.banned_rights)),
                            default_banned: BannedRights::default(),
                            join_to_send: false,
                            paid_stars: None,
                            slow_mode_secs: None,
                            slow_mode_next_send_at: None,
                            general_topic_closed: false,
                        });
                    }
                    tl::enums::ChannelParticipant::Banned(banned) => (
                        MemberStatus::Member,
                        Some(banned_rights(&banned.banned_rights)),
                    ),
                    tl::enums::ChannelParticipant::Creator(_)
                    | tl::enums::ChannelParticipant::Admin(_) => (MemberStatus::Admin, None),
                    tl::enums::ChannelParticipant::Left(_) => (MemberStatus::Left, None),
                    tl::enums::ChannelParticipant::Participant(_)
                    | tl::enums::ChannelParticipant::ParticipantSelf(_) => {
                        (MemberStatus::Member, None)
                    }
                }
            }
            Err(error) if error.about == About::Membership(MembershipAnswer::NotMember) => {
                (MemberStatus::Left, None)
            }
            Err(error) => return Err(error),
        };
        let tl::enums::messages::ChatFull::Full(full) = self
            .call(&tl::functions::channels::GetFullChannel { channel })
            .await?;
        let tl::enums::ChatFull::ChannelFull(channel_full) = &full.full_chat else {
            return Err(crate::convert::not_a_channel());
        };
        let Some(tl::enums::Chat::Channel(chat)) = find_chat(&full.chats, peer.id) else {
            return Err(TgError::from_rpc(400, "CHANNEL_INVALID", None));
        };
        let general_topic_closed = chat.forum && Box::pin(self.general_topic_closed(peer)).await?;
        Ok(ChatRights {
            status,
            kind: crate::convert::chat_kind(&tl::enums::Chat::Channel(chat.clone()))
                .unwrap_or(tgfleet_telegram::ChatKind::Supergroup),
            my_banned,
            default_banned: chat
                .default_banned_rights
                .as_ref()
                .map(banned_rights)
                .unwrap_or_default(),
            join_to_send: chat.join_to_send,
            paid_stars: chat.send_paid_messages_stars.filter(|stars| *stars > 0),
            slow_mode_secs: channel_full
                .slowmode_seconds
                .and_then(|secs| u32::try_from(secs).ok())
                .filter(|secs| *secs > 0),
            slow_mode_next_send_at: channel_full.slowmode_next_send_date.and_then(timestamp),
            general_topic_closed,
        })
    }

    async fn send(
        &self,
        peer: &PeerRef,
        message: &OutgoingMessage,
        random_id: i64,
    ) -> TgResult<SentMessage> {
        let to = input_peer(peer);
        let answered = match message {
            OutgoingMessage::Text {
                text,
                format,
                link_preview,
            } => {
                let (message, entities) = formatted(text, *format);
                self.call(&tl::functions::messages::SendMessage {
                    no_webpage: !link_preview,
                    silent: false,
                    background: false,
                    clear_draft: false,
                    noforwards: false,
                    update_stickersets_order: false,
                    invert_media: false,
                    allow_paid_floodskip: false,
                    peer: to,
                    reply_to: None,
                    message,
                    random_id,
                    reply_markup: None,
                    entities,
                    schedule_date: None,
                    schedule_repeat_period: None,
                    send_as: None,
                    quick_reply_shortcut: None,
                    effect: None,
                    allow_paid_stars: None,
                    suggested_post: None,
                    rich_message: None,
                })
                .await
            }
            OutgoingMessage::Media { .. } => {
                // Its own outcome rules: an upload failure is transient (nothing sent).
                let updates = self.send_uploaded(to, message, random_id).await?;
                let (message_id, date) = sent_message(&updates, random_id).ok_or_else(|| {
                    TgError::unexpected("the send answer carried no message".to_owned())
                })?;
                return Ok(SentMessage { message_id, date });
            }
            OutgoingMessage::Copy {
                content,
                link_preview,
            } => {
                let entities = crate::convert::entities_from_bytes(&content.entities);
                match &content.media {
                    None => {
                        self.call(&tl::functions::messages::SendMessage {
                            no_webpage: !link_preview,
                            silent: false,
                            background: false,
                            clear_draft: false,
                            noforwards: false,
                            update_stickersets_order: false,
                            invert_media: false,
                            allow_paid_floodskip: false,
                            peer: to,
                            reply_to: None,
                            message: content.text.clone(),
                            random_id,
                            reply_markup: None,
                            entities,
                            schedule_date: None,
                            schedule_repeat_period: None,
                            send_as: None,
                            quick_reply_shortcut: None,
                            effect: None,
                            allow_paid_stars: None,
                            suggested_post: None,
                            rich_message: None,
                        })
                        .await
                    }
                    Some(media) => {
                        self.call(&send_media(
                            to,
                            crate::convert::input_media_ref(media),
                            content.text.clone(),
                            entities,
                            random_id,
                        ))
                        .await
                    }
                }
            }
            OutgoingMessage::Album(items) => {
                // One `inputSingleMedia` per file, each with its own random id (the
                // first is the album's: core.telegram.org/constructor/inputSingleMedia).
                let multi_media = items
                    .iter()
                    .zip(0i64..)
                    .filter_map(|(item, index)| {
                        let media = item.media.as_ref()?;
                        Some(
                            tl::types::InputSingleMedia {
                                media: crate::convert::input_media_ref(media),
                                random_id: random_id.wrapping_add(index),
                                message: item.text.clone(),
                                entities: crate::convert::entities_from_bytes(&item.entities),
                            }
                            .into(),
                        )
                    })
                    .collect();
                self.call(&tl::functions::messages::SendMultiMedia {
                    silent: false,
                    background: false,
                    clear_draft: false,
                    noforwards: false,
                    update_stickersets_order: false,
                    invert_media: false,
                    allow_paid_floodskip: false,
                    peer: to,
                    reply_to: None,
                    multi_media,
                    schedule_date: None,
                    send_as: None,
                    quick_reply_shortcut: None,
                    effect: None,
                    allow_paid_stars: None,
                })
                .await
            }
            OutgoingMessage::Forward {
                from,
                message_id,
                drop_author,
            } => {
                self.call(&tl::functions::messages::ForwardMessages {
                    silent: false,
                    background: false,
                    with_my_score: false,
                    drop_author: *drop_author,
                    drop_media_captions: false,
                    noforwards: false,
                    allow_paid_floodskip: false,
                    from_ephemeral: false,
                    from_peer: input_peer(from),
                    id: vec![*message_id],
                    random_id: vec![random_id],
                    to_peer: to,
                    top_msg_id: None,
                    reply_to: None,
                    schedule_date: None,
                    schedule_repeat_period: None,
                    send_as: None,
                    quick_reply_shortcut: None,
                    effect: None,
                    video_timestamp: None,
                    allow_paid_stars: None,
                    suggested_post: None,
                })
                .await
            }
        };
        // A connection lost after the request went out leaves its fate unknown: the
        // post must not be retried as if nothing had happened (at most once).
        let updates = answered.map_err(|error| unknown_if_transient(&self.closed, error))?;
        let (message_id, date) = sent_message(&updates, random_id)
            .ok_or_else(|| TgError::unexpected("the send answer carried no message".to_owned()))?;
        Ok(SentMessage { message_id, date })
    }

    async fn recent_messages(&self, peer: &PeerRef, limit: u32) -> TgResult<Vec<MessageRef>> {
        let messages = self
            .call(&tl::functions::messages::GetHistory {
                peer: input_peer(peer),
                offset_id: 0,
                offset_date: 0,
                add_offset: 0,
                limit: i32::try_from(limit).unwrap_or(i32::MAX),
                max_id: 0,
                min_id: 0,
                hash: 0,
            })
            .await?;
        Ok(crate::convert::history(messages))
    }

    async fn channel_posts(
        &self,
        peer: &PeerRef,
        after: i32,
        limit: u32,
    ) -> TgResult<Vec<ChannelPost>> {
        // Reading forward from `after` (core.telegram.org/method/messages.getHistory:
        // `add_offset` "negative values are also accepted", `min_id` "only messages
        // with IDs more than min_id").
        let limit = i32::try_from(limit.min(100)).unwrap_or(100);
        let messages = self
            .call(&tl::functions::messages::GetHistory {
                peer: input_peer(peer),
                offset_id: after.saturating_add(1),
                offset_date: 0,
                add_offset: -limit,
                limit,
                max_id: 0,
                min_id: after,
                hash: 0,
            })
            .await?;
        let mut posts = crate::convert::channel_posts(messages);
        posts.sort_by_key(|post| post.id);
        Ok(posts)
    }

    async fn forward(
        &self,
        from: &PeerRef,
        ids: &[i32],
        to: &PeerRef,
        random_ids: &[i64],
    ) -> TgResult<Vec<SentMessage>> {
        let answered = self
            .call(&tl::functions::messages::ForwardMessages {
                silent: false,
                background: false,
                with_my_score: false,
                drop_author: false,
                drop_media_captions: false,
                noforwards: false,
                allow_paid_floodskip: false,
                from_ephemeral: false,
                from_peer: input_peer(from),
                id: ids.to_vec(),
                random_id: random_ids.to_vec(),
                to_peer: input_peer(to),
                top_msg_id: None,
                reply_to: None,
                schedule_date: None,
                schedule_repeat_period: None,
                send_as: None,
                quick_reply_shortcut: None,
                effect: None,
                video_timestamp: None,
                allow_paid_stars: None,
                suggested_post: None,
            })
            .await;
        let updates = answered.map_err(|error| {
            if error.is_transient() && !self.closed.load(Ordering::Acquire) {
                TgError::unknown_outcome(format!("forward: {}", error.name))
            } else {
                error
            }
        })?;
        random_ids
            .iter()
            .map(|&random_id| {
                sent_message(&updates, random_id)
                    .map(|(message_id, date)| SentMessage { message_id, date })
                    .ok_or_else(|| {
                        TgError::unexpected("the forward answer carried no message".to_owned())
                    })
            })
            .collect()
    }

    async fn mark_read(&self, peer: &PeerRef, max_id: i32) -> TgResult<()> {
        self.call(&tl::functions::channels::ReadHistory {
            channel: input_channel(peer)?,
            max_id,
        })
        .await
        .map(drop)
    }

    async fn active_stories(&self, peer: &PeerRef) -> TgResult<Vec<i32>> {
        let tl::enums::stories::PeerStories::Stories(answer) = self
            .call(&tl::functions::stories::GetPeerStories {
                peer: input_peer(peer),
            })
            .await?;
        let tl::enums::PeerStories::Stories(stories) = answer.stories;
        Ok(stories
            .stories
            .iter()
            .filter(|story| !matches!(story, tl::enums::StoryItem::Deleted(_)))
            .map(tl::enums::StoryItem::id)
            .collect())
    }

    async fn view_stories(&self, peer: &PeerRef, max_id: i32) -> TgResult<()> {
        self.call(&tl::functions::stories::ReadStories {
            peer: input_peer(peer),
            max_id,
        })
        .await
        .map(drop)
    }

    async fn react(&self, peer: &PeerRef, message_id: i32, emoji: &str) -> TgResult<()> {
        self.call(&tl::functions::messages::SendReaction {
            big: false,
            add_to_recent: false,
            peer: input_peer(peer),
            msg_id: message_id,
            reaction: Some(vec![
                tl::types::ReactionEmoji {
                    emoticon: emoji.to_owned(),
                }
                .into(),
            ]),
        })
        .await
        .map(drop)
    }

    async fn leave(&self, peer: &PeerRef) -> TgResult<()> {
        self.call(&tl::functions::channels::LeaveChannel {
            channel: input_channel(peer)?,
        })
        .await
        .map(drop)
    }

    async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let pool = self
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(pool) = pool {
            pool.quit().await;
        }
    }
}

/// A final send that failed as transient while the connection was open may have gone
/// out: its fate is unknown (at most once), never a transient retry.
fn unknown_if_transient(closed: &AtomicBool, error: TgError) -> TgError {
    if error.is_transient() && !closed.load(Ordering::Acquire) {
        TgError::unknown_outcome(format!("send: {}", error.name))
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::PoolOptions;
    use grammers_session::storages::MemorySession;
    use grammers_session::types::{DcOption, PeerId, PeerInfo, UpdateState, UpdatesState};
    use grammers_session::{BoxFuture, Session, SessionData};
    use std::net::{Ipv4Addr, SocketAddrV4, SocketAddrV6};

    /// A session whose DC lookup panics: the pool runner panics on the first request.
    struct PanickingSession;

    impl Session for PanickingSession {
        type Error = std::io::Error;
        fn home_dc_id(&self) -> Result<i32, Self::Error> {
            Ok(2)
        }
        fn set_home_dc_id(&self, _: i32) -> BoxFuture<'_, Result<(), Self::Error>> {
            Box::pin(async { Ok(()) })
        }
        fn dc_option(&self, _: i32) -> Result<Option<DcOption>, Self::Error> {
            panic!("session storage exploded")
        }
        fn set_dc_option(&self, _: &DcOption) -> BoxFuture<'_, Result<(), Self::Error>> {
            Box::pin(async { Ok(()) })
        }
        fn peer(&self, _: PeerId) -> BoxFuture<'_, Result<Option<PeerInfo>, Self::Error>> {
            Box::pin(async { Ok(None) })
        }
        fn cache_peer(&self, _: PeerInfo) -> BoxFuture<'_, Result<(), Self::Error>> {
            Box::pin(async { Ok(()) })
        }
        fn updates_state(&self) -> BoxFuture<'_, Result<UpdatesState, Self::Error>> {
            Box::pin(async { Ok(UpdatesState::default()) })
        }
        fn set_update_state(&self, _: UpdateState) -> BoxFuture<'_, Result<(), Self::Error>> {
            Box::pin(async { Ok(()) })
        }
    }

    fn quick() -> ReconnectBackoff {
        ReconnectBackoff {
            first: Duration::from_millis(20),
            max: Duration::from_millis(20),
        }
    }

    /// A session whose home DC is a closed port on loopback.
    fn unreachable_session() -> MemorySession {
        let closed = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let address = match closed.local_addr().unwrap() {
            std::net::SocketAddr::V4(address) => address,
            std::net::SocketAddr::V6(_) => unreachable!("bound on IPv4"),
        };
        drop(closed);
        let mut data = SessionData::default();
        let home = data.dc_options.get_mut(&2).unwrap();
        home.ipv4 = SocketAddrV4::new(*address.ip(), address.port());
        home.ipv6 = SocketAddrV6::new(address.ip().to_ipv6_mapped(), address.port(), 0, 0);
        home.auth_key = Some([1; 256]);
        MemorySession::from(data)
    }

    #[tokio::test]
    async fn a_runner_panic_fails_only_that_accounts_calls() {
        let doomed_pool = StartedPool::start(
            Arc::new(PanickingSession),
            1,
            PoolOptions::default(),
            "doomed",
        );
        let doomed = GrammersAccount::new("doomed", doomed_pool, quick());
        let healthy_pool = StartedPool::start(
            Arc::new(unreachable_session()),
            1,
            PoolOptions::default(),
            "healthy",
        );
        let healthy = GrammersAccount::new("healthy", healthy_pool, quick());

        let error = doomed.whoami().await.unwrap_err();
        assert!(error.is_transient(), "{error:?}");
        let message = &error.name;
        assert!(
            message.contains("runner of doomed panicked: session storage exploded"),
            "{message}"
        );
        assert_eq!(doomed.health.panic(), Some("session storage exploded"));
        let again = doomed.whoami().await.unwrap_err();
        assert_eq!(again, error, "later calls fail the same way, at once");

        let other = healthy.whoami().await.unwrap_err();
        assert!(
            other.is_transient() && other.name.starts_with("network"),
            "the other account's runner still runs: {other:?}"
        );
        assert_eq!(healthy.health.panic(), None);
        doomed.close().await;
        healthy.close().await;
    }

    #[test]
    fn the_reconnect_pause_doubles_up_to_its_cap() {
        let backoff = ReconnectBackoff {
            first: Duration::from_millis(100),
            max: Duration::from_millis(700),
        };
        let pauses: Vec<u128> = (1..=5).map(|n| backoff.pause(n).as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 700, 700]);
        assert_eq!(backoff.pause(u32::MAX), Duration::from_millis(700));
    }
}
