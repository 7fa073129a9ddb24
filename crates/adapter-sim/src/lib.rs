//! The Telegram port implemented in-process over the simulated world.
//!
//! One [`World`] is shared by every account (`Arc<Mutex<World>>`; the lock is
//! never held across an await). Accounts are found by label: `AccountRef.label`
//! is the scenario account's label, and calls are authorized with the
//! account's pre-shared auth key exactly as tg-sim authorizes them. Time comes
//! from an injected [`Clock`]. Every world error goes through
//! [`TgError::from_rpc`], the table the grammers adapter uses too.

mod convert;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use convert::{channel_post, input_channel, port_banned, resolved_chat, rpc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tg_world::{
    ChatInvite, GENERAL_TOPIC, HistoryPage, Participant, RpcError, TextBody, UploadedMedia, UserId,
    World, names,
};
use tgfleet_domain::{Clock, GroupHandle};
use tgfleet_telegram::{
    AccountRef, ChannelPost, ChatRights, Connector, InvitePreview, JoinTarget, Me, MediaKind,
    MemberStatus, MessageRef, OutgoingMessage, PeerRef, Resolved, ResolvedChat, SentMessage,
    TelegramAccount, TgError, TgResult,
};

/// The world shared by every simulated connection.
pub type SharedWorld = Arc<Mutex<World>>;

/// Wraps a world for sharing between connections.
pub fn share(world: World) -> SharedWorld {
    Arc::new(Mutex::new(world))
}

/// Opens simulated connections over one shared world.
#[derive(Clone, Debug)]
pub struct SimConnector {
    world: SharedWorld,
    clock: Arc<dyn Clock>,
    latency: Duration,
}

impl SimConnector {
    /// A connector over `world`, reading time from `clock`, with no latency.
    pub fn new(world: SharedWorld, clock: Arc<dyn Clock>) -> Self {
        Self {
            world,
            clock,
            latency: Duration::ZERO,
        }
    }

    /// Every connect and call first sleeps `latency` (tokio time), like a network round trip.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The shared world, for inspection.
    pub fn world(&self) -> &SharedWorld {
        &self.world
    }
}

#[async_trait]
impl Connector for SimConnector {
    async fn connect(&self, account: &AccountRef) -> TgResult<Box<dyn TelegramAccount>> {
        pause(self.latency).await;
        let now = self.clock.now();
        let key_id = {
            let world = lock(&self.world);
            let key_id = world
                .preshared_auth_key(&account.label)
                .map(tg_world::AuthKey::id)
                .ok_or_else(|| rpc(RpcError::new(401, names::AUTH_KEY_UNREGISTERED)))?;
            world.authorize(now, key_id).map_err(rpc)?;
            key_id
        };
        Ok(Box::new(SimAccount {
            world: Arc::clone(&self.world),
            clock: Arc::clone(&self.clock),
            latency: self.latency,
            key_id,
            label: account.label.clone(),
            closed: AtomicBool::new(false),
        }))
    }
}

/// One account's simulated connection.
#[derive(Debug)]
struct SimAccount {
    world: SharedWorld,
    clock: Arc<dyn Clock>,
    latency: Duration,
    key_id: i64,
    label: String,
    closed: AtomicBool,
}

fn lock(world: &SharedWorld) -> std::sync::MutexGuard<'_, World> {
    world.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn pause(latency: Duration) {
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
}

impl SimAccount {
    /// Runs one request: authorizes the key, then the world method, under the lock.
    async fn request<T>(
        &self,
        method: impl FnOnce(&mut World, DateTime<Utc>, UserId) -> Result<T, RpcError>,
    ) -> TgResult<T> {
        if self.closed.load(Ordering::Acquire) {
            return Err(TgError::transient(format!(
                "connection of {} is closed",
                self.label
            )));
        }
        pause(self.latency).await;
        let now = self.clock.now();
        let mut world = lock(&self.world);
        let user = world.authorize(now, self.key_id).map_err(rpc)?;
        method(&mut world, now, user).map_err(rpc)
    }
}

#[async_trait]
impl TelegramAccount for SimAccount {
    async fn whoami(&self) -> TgResult<Me> {
        let user = self
            .request(|w, now, user| w.users_get_users_self(now, user))
            .await?;
        Ok(Me {
            user_id: user.id.0,
            first_name: user.first_name,
            username: user.username,
            phone: Some(user.phone.expose().to_owned()),
        })
    }

    async fn resolve(&self, handle: &GroupHandle) -> TgResult<Resolved> {
        match handle {
            GroupHandle::Username(name) => {
                let info = self
                    .request(|w, now, user| w.contacts_resolve_username(now, user, name))
                    .await?;
                Ok(Resolved::Chat(resolved_chat(&info)))
            }
            GroupHandle::Invite(hash) => {
                let invite = self
                    .request(|w, now, user| w.messages_check_chat_invite(now, user, hash))
                    .await?;
                Ok(match invite {
                    ChatInvite::Already(info) => Resolved::Chat(resolved_chat(&info)),
                    ChatInvite::Invite(preview) => Resolved::Invite(InvitePreview {
                        title: preview.title,
                        request_needed: preview.request_needed,
                        broadcast: preview.kind == tg_world::ChannelKind::Broadcast,
                        basic_group: preview.basic,
                        participants: i32::try_from(preview.participants_count).unwrap_or(i32::MAX),
                    }),
                })
            }
        }
    }

    async fn join(&self, target: &JoinTarget) -> TgResult<ResolvedChat> {
        let info = match target {
            JoinTarget::Public(peer) => {
                let channel = input_channel(peer)?;
                self.request(|w, now, user| w.channels_join_channel(now, user, channel))
                    .await?
            }
            JoinTarget::Invite(hash) => {
                self.request(|w, now, user| w.messages_import_chat_invite(now, user, hash))
                    .await?
            }
        };
        Ok(resolved_chat(&info))
    }

    /// `channels.getParticipant(self)` then `channels.getFullChannel` (and, in a
    /// forum, `messages.getForumTopicsByID` for the General topic), as the
    /// grammers adapter does. A kicked account gets its rights from the
    /// participant record alone (Telegram shows it `channelForbidden`, without
    /// default rights or slow mode).
    async fn rights(&self, peer: &PeerRef) -> TgResult<ChatRights> {
        let channel = input_channel(peer)?;
        self.request(|w, now, user| {
            let (status, my_banned) = match w.channels_get_participant_self(now, user, channel) {
                Ok(found) => match found.participant {
                    Participant::Banned {
                        left: true, rights, ..
                    } => {
                        return Ok(ChatRights {
                            status: MemberStatus::Banned,
                            kind: convert::chat_kind(found.channel.kind),
                            my_banned: Some(port_banned(rights)),
                            default_banned: tgfleet_telegram::BannedRights::default(),
                            join_to_send: false,
                            paid_stars: None,
                            slow_mode_secs: None,
                            slow_mode_next_send_at: None,
                            general_topic_closed: false,
                        });
                    }
                    Participant::Banned { rights, .. } => {
                        (MemberStatus::Member, Some(port_banned(rights)))
                    }
                    Participant::Admin { .. } => (MemberStatus::Admin, None),
                    Participant::Member { .. } => (MemberStatus::Member, None),
                },
                Err(error) if error.is(names::USER_NOT_PARTICIPANT) => (MemberStatus::Left, None),
                Err(error) => return Err(error),
            };
            let full = w.channels_get_full_channel(now, user, channel)?;
            // A forum's General topic, where a message without a topic goes, read as
            // the grammers adapter reads it (`messages.getForumTopicsByID`).
            let general_topic_closed = full.channel.forum
                && w.messages_get_forum_topics_by_id(now, user, channel, &[GENERAL_TOPIC])?
                    .first()
                    .is_some_and(|topic| topic.closed);
            Ok(ChatRights {
                status,
                kind: convert::chat_kind(full.channel.kind),
                my_banned,
                default_banned: port_banned(full.channel.default_banned),
                join_to_send: full.channel.join_to_send,
                paid_stars: full.channel.paid_stars.map(i64::from),
                slow_mode_secs: full.slowmode_seconds,
                slow_mode_next_send_at: full.slowmode_next_send_date,
                general_topic_closed,
            })
        })
        .await
    }

    async fn send(
        &self,
        peer: &PeerRef,
        message: &OutgoingMessage,
        random_id: i64,
    ) -> TgResult<SentMessage> {
        let to = input_channel(peer)?;
        let sent = match message {
            OutgoingMessage::Text {
                text, link_preview, ..
            } => {
                let body = TextBody {
                    no_webpage: !link_preview,
                    ..TextBody::plain(text.clone())
                };
                self.request(|w, now, user| {
                    w.send_once(user, random_id, |w| {
                        w.messages_send_message(now, user, to, body)
                    })
                })
                .await?
            }
            OutgoingMessage::Media {
                kind,
                file_name,
                bytes,
                caption,
                ..
            } => {
                let media = UploadedMedia {
                    kind: match kind {
                        MediaKind::Photo => tg_world::MediaKind::Photo,
                        MediaKind::Document => tg_world::MediaKind::Document,
                        MediaKind::Video => tg_world::MediaKind::Video,
                    },
                    file_name: file_name.clone(),
                    size: bytes.len() as u64,
                };
                let caption = TextBody::plain(caption.clone());
                self.request(|w, now, user| {
                    w.send_once(user, random_id, |w| {
                        w.messages_send_media(now, user, to, media, caption)
                    })
                })
                .await?
            }
            OutgoingMessage::Copy {
                content,
                link_preview,
            } => {
                let body = TextBody {
                    text: content.text.clone(),
                    entities: content.entities.clone(),
                    has_link_entity: false,
                    no_webpage: !link_preview,
                };
                match &content.media {
                    None => {
                        self.request(|w, now, user| {
                            w.send_once(user, random_id, |w| {
                                w.messages_send_message(now, user, to, body)
                            })
                        })
                        .await?
                    }
                    Some(media) => {
                        let (id, hash) = (media.id, media.access_hash);
                        self.request(|w, now, user| {
                            w.send_once(user, random_id, |w| {
                                let file = w.media_by_ref(id, hash)?;
                                w.messages_send_media(now, user, to, file, body)
                            })
                        })
                        .await?
                    }
                }
            }
            OutgoingMessage::Album(items) => {
                let refs: Vec<(i64, i64, TextBody)> = items
                    .iter()
                    .filter_map(|item| {
                        let media = item.media.as_ref()?;
                        let caption = TextBody {
                            text: item.text.clone(),
                            entities: item.entities.clone(),
                            has_link_entity: false,
                            no_webpage: false,
                        };
                        Some((media.id, media.access_hash, caption))
                    })
                    .collect();
                // One random id per file, the first the album's (as the grammers
                // adapter sends them).
                let random_ids: Vec<i64> = (0i64..)
                    .take(refs.len())
                    .map(|index| random_id.wrapping_add(index))
                    .collect();
                let mut album = self
                    .request(|w, now, user| {
                        w.send_all_once(user, &random_ids, |w| {
                            let files = refs
                                .into_iter()
                                .map(|(id, hash, caption)| Ok((w.media_by_ref(id, hash)?, caption)))
                                .collect::<Result<Vec<_>, RpcError>>()?;
                            w.messages_send_multi_media(now, user, to, files)
                        })
                    })
                    .await?;
                album.remove(0)
            }
            OutgoingMessage::Forward {
                from,
                message_id,
                drop_author,
            } => {
                let from = input_channel(from)?;
                let ids = [*message_id];
                self.request(|w, now, user| {
                    w.send_once(user, random_id, |w| {
                        let mut forwarded =
                            w.messages_forward_messages(now, user, from, &ids, to, *drop_author)?;
                        Ok(forwarded.remove(0))
                    })
                })
                .await?
            }
        };
        Ok(SentMessage {
            message_id: sent.id,
            date: sent.date,
        })
    }

    async fn recent_messages(&self, peer: &PeerRef, limit: u32) -> TgResult<Vec<MessageRef>> {
        let channel = input_channel(peer)?;
        let history = self
            .request(|w, now, user| w.messages_get_history(now, user, channel, 0, limit))
            .await?;
        Ok(history
            .messages
            .into_iter()
            .map(|m| MessageRef {
                id: m.id,
                date: m.date,
                outgoing: m.out,
                sender: m.from_user.map(|user| user.0),
            })
            .collect())
    }

    async fn channel_posts(
        &self,
        peer: &PeerRef,
        after: i32,
        limit: u32,
    ) -> TgResult<Vec<ChannelPost>> {
        let channel = input_channel(peer)?;
        let page = HistoryPage::after(after, limit);
        let history = self
            .request(|w, now, user| w.messages_get_history_page(now, user, channel, page))
            .await?;
        let mut posts: Vec<ChannelPost> = history.messages.iter().map(channel_post).collect();
        posts.reverse();
        Ok(posts)
    }

    async fn forward(
        &self,
        from: &PeerRef,
        ids: &[i32],
        to: &PeerRef,
        random_ids: &[i64],
    ) -> TgResult<Vec<SentMessage>> {
        let (from, to) = (input_channel(from)?, input_channel(to)?);
        let sent = self
            .request(|w, now, user| {
                // One random id per message; the messages go in one call, so an album
                // stays one album.
                w.send_all_once(user, random_ids, |w| {
                    w.messages_forward_messages(now, user, from, ids, to, false)
                })
            })
            .await?;
        Ok(sent
            .into_iter()
            .map(|message| SentMessage {
                message_id: message.id,
                date: message.date,
            })
            .collect())
    }

    async fn mark_read(&self, peer: &PeerRef, max_id: i32) -> TgResult<()> {
        let channel = input_channel(peer)?;
        self.request(|w, now, user| w.channels_read_history(now, user, channel, max_id))
            .await
            .map(drop)
    }

    async fn active_stories(&self, peer: &PeerRef) -> TgResult<Vec<i32>> {
        let channel = input_channel(peer)?;
        let stories = self
            .request(|w, now, user| w.stories_get_peer_stories(now, user, channel))
            .await?;
        Ok(stories.into_iter().map(|story| story.id).collect())
    }

    async fn view_stories(&self, peer: &PeerRef, max_id: i32) -> TgResult<()> {
        let channel = input_channel(peer)?;
        self.request(|w, now, user| w.stories_read_stories(now, user, channel, max_id))
            .await
            .map(drop)
    }

    async fn react(&self, peer: &PeerRef, message_id: i32, emoji: &str) -> TgResult<()> {
        let channel = input_channel(peer)?;
        self.request(|w, now, user| w.messages_send_reaction(now, user, channel, message_id, emoji))
            .await
    }

    async fn leave(&self, peer: &PeerRef) -> TgResult<()> {
        let channel = input_channel(peer)?;
        self.request(|w, now, user| w.channels_leave_channel(now, user, channel))
            .await
    }

    async fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }
}
