//! Relay campaigns (issue 18) in the marketer: the reader unit (a source's new
//! posts, edits and deletions recorded with the cursor in one transaction), the relay
//! pair rule, and what a relayed post becomes on the wire (forward, copy, or the copy
//! fallback of a protected source). The etiquette every campaign keeps lives here too.

use crate::convert::{peer_ref, stored_peer};
use crate::{Marketer, PostOutcome};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;
use tgfleet_domain::VariantKind;
use tgfleet_domain::posting::{PostPlan, PostingRules, Verdict};
use tgfleet_domain::relay::{
    PostKind, RelayFilters, RelayItem, RelayMode, RelayPair, RelaySend, fleet_among_latest,
    relay_content_hash, relay_pair_verdict, relay_send,
};
use tgfleet_runtime::{AccountSession, Leased, WorkError};
use tgfleet_store::{
    Campaign, DueRelay, GroupContent, KnownRelayPost, NewEvent, NewRelayPost, PostingTarget,
    RelayConfig, RelayEdit, RelayMedia, RelayPart, RelayPost, RelayRead, RelayRecorded, StoreError,
    Variant, relay_times,
};
use tgfleet_telegram::{
    About, AccountRef, ChannelPost, MediaKind, MediaRef, OutgoingMessage, PeerRef, PostContent,
    Resolved, TelegramAccount, TgError,
};

/// Posts read per poll (one `messages.getHistory` page; chosen small: a relay reads
/// often and little).
pub const READ_PAGE: u32 = 20;
/// Known posts re-read per poll to notice edits and deletions.
pub const LOOKBACK: i32 = 10;
/// The most files in one album (TDLib `sendMessageAlbum`: "Sends 2-10 messages
/// grouped together into an album"): one that long is whole even at a page's end.
const MAX_ALBUM: usize = 10;
/// Readers tried per due source when the first is busy.
const READERS_TRIED: usize = 3;

/// What one round of reads did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelayReport {
    /// Sources read.
    pub reads: usize,
    /// New variants (posts that passed the filters).
    pub relayed: usize,
    /// Posts the filters left out.
    pub filtered_out: usize,
    /// Known posts found deleted.
    pub deleted: usize,
}

impl Marketer {
    /// Reads every relay source whose poll is due, each by one reader account under
    /// its lease (the last reader first; another one if it is busy). The poll is
    /// taken by compare-and-set first, so replicas never read one source twice; a
    /// read that fails or is killed before its transaction commits leaves the cursor
    /// where it was, and the next poll reads the same posts.
    pub async fn read_relays(&self) -> Result<RelayReport, StoreError> {
        let now = self.now();
        let mut report = RelayReport::default();
        let poll = TimeDelta::seconds(
            i64::try_from(self.ctx.settings.posting.relay_poll_secs).unwrap_or(120),
        );
        for due in self.ctx.store.due_relays(now).await? {
            if !self
                .ctx
                .store
                .take_relay_poll(due.campaign_id, now, now + poll)
                .await?
            {
                continue;
            }
            let readers = self.ctx.store.relay_readers(due.campaign_id).await?;
            if readers.is_empty() {
                self.await_reader(&due).await?;
                continue;
            }
            for (id, label) in readers.into_iter().take(READERS_TRIED) {
                let account = AccountRef { id, label };
                let worked = self
                    .ctx
                    .runner()
                    .with_account(&account, async |session| {
                        self.read_source(session, &account, &due).await
                    })
                    .await;
                match worked {
                    Ok(Leased::Busy) => continue,
                    Ok(Leased::Done(Ok(Some(recorded)))) => {
                        report.reads += 1;
                        report.relayed += recorded.variants.len();
                        report.filtered_out += recorded.filtered_out.len();
                        report.deleted += recorded.deleted.len();
                    }
                    Ok(Leased::Done(Ok(None))) => report.reads += 1,
                    Ok(Leased::Done(Err(error))) | Err(WorkError::Store(error)) => {
                        tracing::error!(campaign = %due.name, %error, "Reading the relay source failed");
                    }
                    Err(WorkError::Connect(error)) => {
                        tracing::warn!(campaign = %due.name, account = %account.label, %error,
                            "Relay reader {} could not connect ({error}); the next poll tries again", account.label);
                    }
                    Err(WorkError::Panicked(_)) => {}
                }
                break;
            }
        }
        Ok(report)
    }

    /// No account is a member of the source yet: the relay waits, says why (once, in
    /// the log and the events), and the source joins the catalogue, where the
    /// account-manager's ordinary assignment and join slots join one account to it.
    async fn await_reader(&self, due: &DueRelay) -> Result<(), StoreError> {
        let source = &due.config.source;
        let reason = format!("no reader is a member of {source} yet");
        if self
            .ctx
            .store
            .await_relay_reader(due.campaign_id, &reason)
            .await?
        {
            tracing::warn!(campaign = %due.name, %source,
                "Relay {} waits: {reason} (the account-manager joins one in its slots)", due.name);
            self.ctx
                .store
                .record_event(&NewEvent {
                    at: self.now(),
                    service: self.ctx.service.name().to_owned(),
                    account_id: None,
                    group_id: None,
                    action: "relay_waiting".to_owned(),
                    outcome: "waiting".to_owned(),
                    flood_wait_secs: None,
                    detail: Some(format!("{}: {reason}", due.name)),
                })
                .await?;
        }
        Ok(())
    }

    /// One read of a source by `account`: resolve it once (stored per account), one
    /// page of posts after `cursor - LOOKBACK`, compare, record.
    async fn read_source(
        &self,
        session: AccountSession<'_>,
        account: &AccountRef,
        due: &DueRelay,
    ) -> Result<Option<RelayRecorded>, StoreError> {
        let config = &due.config;
        let telegram = session.telegram;
        let source = match self
            .source_peer_of(telegram, account.id, &config.source)
            .await?
        {
            Ok(peer) => peer,
            Err(error) => {
                tracing::warn!(campaign = %due.name, source = %config.source, %error,
                    "Cannot read relay source {} ({error})", config.source);
                return Ok(None);
            }
        };
        let cursor = config.last_message_id;
        // The first read starts at the source's newest posts: what it held before the
        // campaign existed is not relayed.
        let (after, since) = if cursor == 0 {
            let newest = self.bounded(telegram.recent_messages(&source, 1)).await;
            self.ctx
                .record_call(Some(account.id), None, "relay_read", &newest)
                .await?;
            match newest {
                Ok(newest) => {
                    let top = newest.first().map_or(0, |message| message.id);
                    (
                        top.saturating_sub(i32::try_from(READ_PAGE).unwrap_or(20))
                            .max(0),
                        Some(due.created_at),
                    )
                }
                Err(error) => {
                    tracing::warn!(campaign = %due.name, source = %config.source, %error,
                        "Reading relay source {} failed ({error}); the next poll tries again", config.source);
                    return Ok(None);
                }
            }
        } else {
            ((cursor - LOOKBACK).max(0), None)
        };
        let posts = self
            .bounded(telegram.channel_posts(&source, after, READ_PAGE))
            .await;
        self.ctx
            .record_call(Some(account.id), None, "relay_read", &posts)
            .await?;
        let posts = match posts {
            Ok(posts) => posts,
            Err(error) => {
                tracing::warn!(campaign = %due.name, source = %config.source, %error,
                    "Reading relay source {} failed ({error}); the next poll tries again", config.source);
                return Ok(None);
            }
        };
        let known = self
            .ctx
            .store
            .known_relay_posts(due.campaign_id, after + 1)
            .await?;
        let filters = match RelayFilters::parse(&config.include, &config.exclude) {
            Ok(filters) => filters,
            Err(error) => {
                tracing::error!(campaign = %due.name, %error, "Relay filters do not compile");
                return Ok(None);
            }
        };
        let now = self.now();
        let read = compare(config, &filters, &posts, &known, after, since, now);
        if read.new_posts.is_empty()
            && read.edits.is_empty()
            && read.deleted.is_empty()
            && read.new_cursor == read.cursor
        {
            return Ok(None);
        }
        let recorded = self
            .ctx
            .store
            .record_relay_read(session.lease, due.campaign_id, &read, now)
            .await?;
        for (id, _) in &recorded.variants {
            tracing::info!(campaign = %due.name, source = %config.source, post = id,
                "Read post {id} of {}: relayed after {}s", config.source, config.delay_secs);
        }
        for id in &recorded.filtered_out {
            tracing::info!(campaign = %due.name, source = %config.source, post = id,
                "Read post {id} of {}: left out by the filters", config.source);
        }
        for id in &recorded.deleted {
            tracing::info!(campaign = %due.name, source = %config.source, post = id,
                "Post {id} of {} was deleted at the source: not relayed where not yet sent", config.source);
        }
        for id in &recorded.edited {
            tracing::info!(campaign = %due.name, source = %config.source, post = id,
                "Post {id} of {} was edited at the source", config.source);
        }
        Ok(Some(recorded))
    }

    /// An account's peer of a source channel (a relay's, or a forward / copy
    /// variant's): stored, or resolved once and stored. Errors about the source never
    /// mark a target group: only answers about the call or the account stand.
    pub(crate) async fn source_peer_of(
        &self,
        telegram: &dyn TelegramAccount,
        account: tgfleet_domain::AccountId,
        channel: &tgfleet_domain::GroupHandle,
    ) -> Result<Result<PeerRef, TgError>, StoreError> {
        let key = channel.key();
        if let Some(peer) = self
            .ctx
            .store
            .source_peer(account, &key)
            .await?
            .as_ref()
            .and_then(peer_ref)
        {
            return Ok(Ok(peer));
        }
        let resolved = self.bounded(telegram.resolve(channel)).await;
        self.ctx
            .record_call(Some(account), None, "resolve_source", &resolved)
            .await?;
        Ok(match resolved {
            Ok(Resolved::Chat(chat)) => {
                self.ctx
                    .store
                    .save_source_peer(account, &key, &stored_peer(&chat.peer), self.now())
                    .await?;
                Ok(chat.peer)
            }
            Ok(Resolved::Invite(_)) => Err(TgError::unexpected("SOURCE_NOT_PUBLIC")),
            Err(error) => Err(match error.about {
                About::Call(_) | About::Account(_) => error,
                _ => TgError::unexpected(format!("SOURCE_{}", error.code())),
            }),
        })
    }

    /// The etiquette (every campaign): one `messages.getHistory` of the group's latest
    /// messages in the same unit; `true` when one of the latest
    /// `posting.etiquette_last_messages` is the fleet's (this account's own, or any
    /// account's whose Telegram id the store knows). A failed read does not block.
    pub(crate) async fn crowded_by_fleet(
        &self,
        telegram: &dyn TelegramAccount,
        account: tgfleet_domain::AccountId,
        group: tgfleet_domain::GroupId,
        peer: &PeerRef,
    ) -> Result<bool, StoreError> {
        let last_n = self.ctx.settings.posting.etiquette_last_messages;
        if last_n == 0 {
            return Ok(false);
        }
        let latest = self.bounded(telegram.recent_messages(peer, last_n)).await;
        self.ctx
            .record_call(Some(account), Some(group), "etiquette", &latest)
            .await?;
        let Ok(latest) = latest else {
            return Ok(false);
        };
        let fleet = self.ctx.store.fleet_user_ids().await?;
        let own = latest
            .iter()
            .take(last_n as usize)
            .any(|message| message.outgoing);
        let senders: Vec<Option<i64>> = latest.iter().map(|message| message.sender).collect();
        Ok(own || fleet_among_latest(&senders, &fleet, last_n as usize))
    }

    /// The etiquette's recheck delay.
    pub(crate) fn etiquette_recheck(&self) -> TimeDelta {
        TimeDelta::seconds(
            i64::try_from(self.ctx.settings.posting.etiquette_recheck_secs).unwrap_or(1800),
        )
    }
}

/// One post of a source as readers see it: a single message, or the messages of
/// one album (consecutive, sharing a `grouped_id`), oldest first.
struct SourcePost<'a> {
    messages: Vec<&'a ChannelPost>,
}

impl SourcePost<'_> {
    /// Its id: its first message's (an album is stored under it).
    fn id(&self) -> i32 {
        self.messages[0].id
    }

    /// Its newest message id.
    fn last_id(&self) -> i32 {
        self.messages[self.messages.len() - 1].id
    }

    fn is_album(&self) -> bool {
        self.messages[0].grouped_id.is_some()
    }

    /// The text readers see: a message's, an album's caption (the first one given).
    fn text(&self) -> &str {
        self.messages
            .iter()
            .map(|message| message.content.text.as_str())
            .find(|text| !text.is_empty())
            .unwrap_or_default()
    }

    /// The message carrying the text (its entities and edit date go with it).
    fn captioned(&self) -> &ChannelPost {
        self.messages
            .iter()
            .find(|message| !message.content.text.is_empty())
            .unwrap_or(&self.messages[0])
    }

    fn kind(&self) -> PostKind {
        if self.is_album() {
            return PostKind::Album;
        }
        self.messages[0]
            .content
            .media
            .as_ref()
            .map_or(PostKind::Text, |media| media_kind(media.kind))
    }

    fn hash(&self) -> String {
        let ids: Vec<i64> = self
            .messages
            .iter()
            .filter_map(|message| message.content.media.as_ref().map(|media| media.id))
            .collect();
        relay_content_hash(self.kind(), self.text(), &ids)
    }
}

/// The posts of a page, oldest first: an album's messages become one post. When the
/// page was full, an album at its end may go on in the next page: it is left for the
/// next read (`true`).
fn source_posts(posts: &[ChannelPost]) -> (Vec<SourcePost<'_>>, bool) {
    let mut sorted: Vec<&ChannelPost> = posts.iter().collect();
    sorted.sort_by_key(|post| post.id);
    let mut grouped: Vec<SourcePost<'_>> = Vec::new();
    for post in sorted {
        match grouped.last_mut() {
            Some(last)
                if post.grouped_id.is_some() && last.messages[0].grouped_id == post.grouped_id =>
            {
                last.messages.push(post);
            }
            _ => grouped.push(SourcePost {
                messages: vec![post],
            }),
        }
    }
    let cut = posts.len() >= READ_PAGE as usize
        && grouped
            .last()
            .is_some_and(|last| last.is_album() && last.messages.len() < MAX_ALBUM);
    if cut {
        grouped.pop();
    }
    (grouped, cut)
}

/// Compares a page read after `after` with the known posts: the new ones (above the
/// cursor, and on a first read posted `since` the campaign began; filtered, hashed,
/// timed; an album as one post), the edited and the deleted known ones (an album is
/// known by its first message).
fn compare(
    config: &RelayConfig,
    filters: &RelayFilters,
    posts: &[ChannelPost],
    known: &[KnownRelayPost],
    after: i32,
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> RelayRead {
    let cursor = config.last_message_id;
    let mut read = RelayRead {
        cursor,
        new_cursor: cursor,
        ..RelayRead::default()
    };
    let (units, cut) = source_posts(posts);
    let by_id: HashMap<i32, &SourcePost<'_>> = units.iter().map(|post| (post.id(), post)).collect();
    // The page covers (after, newest read]; all of (after, top] when it was not full;
    // short of an album left for the next read.
    let covered = if posts.len() < READ_PAGE as usize {
        i32::MAX
    } else if cut {
        units.last().map_or(after, SourcePost::last_id)
    } else {
        posts.iter().map(|post| post.id).max().unwrap_or(after)
    };
    for old in known
        .iter()
        .filter(|old| !old.deleted && old.source_message_id > after)
    {
        match by_id.get(&old.source_message_id) {
            None if old.source_message_id <= covered => read.deleted.push(old.source_message_id),
            None => {}
            Some(post) => {
                let edited = post
                    .captioned()
                    .edit_date
                    .filter(|at| old.edited_at.is_none_or(|was| *at > was));
                if let Some(edited_at) = edited
                    && post.text() != old.body
                {
                    read.edits.push(RelayEdit {
                        source_message_id: post.id(),
                        body: post.text().to_owned(),
                        entities: post.captioned().content.entities.clone(),
                        content_hash: post.hash(),
                        edited_at,
                    });
                }
            }
        }
    }
    for post in units.iter().filter(|post| post.id() > cursor) {
        read.new_cursor = read.new_cursor.max(post.last_id());
        let first = post.messages[0];
        if since.is_some_and(|since| first.date < since) {
            continue;
        }
        let (ready_at, expires_at) = relay_times(config, first.date, now);
        let captioned = post.captioned();
        let parts = if post.is_album() {
            post.messages
                .iter()
                .filter_map(|message| {
                    Some(RelayPart {
                        source_message_id: message.id,
                        body: message.content.text.clone(),
                        entities: message.content.entities.clone(),
                        media: relay_media(message.content.media.as_ref()?),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        read.new_posts.push(NewRelayPost {
            passed: filters.passes(post.text()),
            content_hash: post.hash(),
            post: RelayPost {
                source_message_id: post.id(),
                kind: post.kind(),
                body: post.text().to_owned(),
                entities: captioned.content.entities.clone(),
                media: first.content.media.as_ref().map(relay_media),
                parts,
                noforwards: first.noforwards,
                posted_at: first.date,
                ready_at,
                expires_at,
                edited_at: captioned.edit_date,
                deleted_at: None,
            },
        });
    }
    read
}

fn relay_media(media: &MediaRef) -> RelayMedia {
    RelayMedia {
        kind: media_kind(media.kind),
        id: media.id,
        access_hash: media.access_hash,
        file_reference: media.file_reference.clone(),
    }
}

fn media_kind(kind: MediaKind) -> PostKind {
    match kind {
        MediaKind::Photo => PostKind::Photo,
        MediaKind::Document => PostKind::Document,
        MediaKind::Video => PostKind::Video,
    }
}

fn port_media_kind(kind: PostKind) -> MediaKind {
    match kind {
        PostKind::Document => MediaKind::Document,
        PostKind::Video => MediaKind::Video,
        PostKind::Text | PostKind::Photo | PostKind::Album => MediaKind::Photo,
    }
}

/// The relay pair rule for one target (see [`relay_pair_verdict`]).
pub(crate) fn pair_ready(
    target: &PostingTarget,
    campaign: &Campaign,
    variants: &[Variant],
    content: &[GroupContent],
    rules: &PostingRules,
    now: DateTime<Utc>,
) -> Verdict<PostPlan> {
    let items: Vec<RelayItem<'_>> = variants
        .iter()
        .filter_map(|variant| {
            let post = variant.relay.as_ref()?;
            Some(RelayItem {
                variant: variant.id,
                round: u64::try_from(post.source_message_id).ok()?,
                content_hash: &variant.content_hash,
                ready_at: post.ready_at,
                expires_at: post.expires_at,
                deleted: post.deleted_at.is_some(),
                needs: post_needs(post),
            })
        })
        .collect();
    let recent = crate::plan::recent_in(target, content);
    let pair = RelayPair {
        status: campaign.status,
        ends_at: campaign.ends_at,
        interval: TimeDelta::seconds(campaign.repeat_interval_secs),
        slow_mode_until: target.next_send_at,
        chat_last_post: target.chat_last_post,
        in_flight: target.in_flight,
        last_attempt: crate::plan::last_attempt_of(target),
        items: &items,
        refused: &target.refused,
        recent_content: &recent,
    };
    relay_pair_verdict(&pair, rules, now)
}

/// The rights a variant's content needs: a relayed post's own kind, else the variant's.
pub(crate) fn needs(variant: &Variant) -> &'static [tgfleet_domain::ContentKind] {
    variant
        .relay
        .as_ref()
        .map_or_else(|| variant.kind.needs(), post_needs)
}

/// The rights a source post needs: its kind's, an album's the rights of every kind
/// of file in it.
fn post_needs(post: &RelayPost) -> &'static [tgfleet_domain::ContentKind] {
    if post.kind == PostKind::Album {
        let kinds: Vec<PostKind> = post.parts.iter().map(|part| part.media.kind).collect();
        PostKind::album_needs(&kinds)
    } else {
        post.kind.needs()
    }
}

/// What a relayed variant becomes on the wire.
#[derive(Debug)]
pub(crate) enum RelayMessage {
    /// Not a relayed variant: the ordinary content applies.
    NotRelayed,
    /// Send this (`fallback`: a copy because the source forbids forwards).
    Send {
        /// The message.
        message: OutgoingMessage,
        /// A forward became a copy.
        fallback: bool,
    },
    /// Forward these messages of the source in one `messages.forwardMessages` call
    /// (an album's, so it stays one album).
    ForwardAll {
        /// The source, resolved for this account.
        from: PeerRef,
        /// The album's message ids, in order.
        ids: Vec<i32>,
    },
    /// The source forbids forwards and the campaign does not allow a copy.
    Refused,
}

/// How a relayed post goes out: a forward (the source peer of this account), a copy
/// of its content, or the copy fallback / a refusal for a protected source.
pub(crate) fn relay_message(
    campaign: &Campaign,
    variant: &Variant,
    source: Option<PeerRef>,
) -> RelayMessage {
    let (Some(config), Some(post)) = (&campaign.relay, &variant.relay) else {
        return RelayMessage::NotRelayed;
    };
    let copy = || {
        if post.kind == PostKind::Album {
            OutgoingMessage::Album(album_content(post))
        } else {
            OutgoingMessage::Copy {
                content: post_content(post),
                link_preview: true,
            }
        }
    };
    match relay_send(config.mode, post.noforwards, config.allow_copy_fallback) {
        RelaySend::Forward => match source {
            Some(from) if post.kind == PostKind::Album => RelayMessage::ForwardAll {
                from,
                ids: post
                    .parts
                    .iter()
                    .map(|part| part.source_message_id)
                    .collect(),
            },
            Some(from) => RelayMessage::Send {
                message: OutgoingMessage::Forward {
                    from,
                    message_id: post.source_message_id,
                    drop_author: false,
                },
                fallback: false,
            },
            None => RelayMessage::Refused,
        },
        RelaySend::Copy => RelayMessage::Send {
            message: copy(),
            fallback: false,
        },
        RelaySend::CopyFallback => RelayMessage::Send {
            message: copy(),
            fallback: true,
        },
        RelaySend::Refused => RelayMessage::Refused,
    }
}

fn post_content(post: &RelayPost) -> PostContent {
    PostContent {
        text: post.body.clone(),
        entities: post.entities.clone(),
        media: post.media.as_ref().map(media_ref),
    }
}

fn media_ref(media: &RelayMedia) -> MediaRef {
    MediaRef {
        kind: port_media_kind(media.kind),
        id: media.id,
        access_hash: media.access_hash,
        file_reference: media.file_reference.clone(),
    }
}

/// An album's files with their captions, the caption as last read (an edit at the
/// source changes the post's text) on the file that carries it.
fn album_content(post: &RelayPost) -> Vec<PostContent> {
    let captioned = post
        .parts
        .iter()
        .position(|part| !part.body.is_empty())
        .unwrap_or(0);
    post.parts
        .iter()
        .enumerate()
        .map(|(index, part)| {
            let (text, entities) = if index == captioned {
                (&post.body, &post.entities)
            } else {
                (&part.body, &part.entities)
            };
            PostContent {
                text: text.clone(),
                entities: entities.clone(),
                media: Some(media_ref(&part.media)),
            }
        })
        .collect()
}

/// Whether a forward needs the source peer (copies do not).
pub(crate) fn needs_source_peer(campaign: &Campaign, variant: &Variant) -> bool {
    match (&campaign.relay, &variant.relay) {
        (Some(config), Some(post)) => {
            relay_send(config.mode, post.noforwards, config.allow_copy_fallback)
                == RelaySend::Forward
        }
        _ => variant.kind.is_source_post(),
    }
}

/// The event saying a forward became a copy (the source forbids forwards).
pub(crate) fn fallback_event(
    marketer: &Marketer,
    account: tgfleet_domain::AccountId,
    group: tgfleet_domain::GroupId,
    source: &str,
    post: i32,
) -> NewEvent {
    NewEvent {
        at: marketer.now(),
        service: marketer.ctx.service.name().to_owned(),
        account_id: Some(account),
        group_id: Some(group),
        action: "relay_copy_fallback".to_owned(),
        outcome: "ok".to_owned(),
        flood_wait_secs: None,
        detail: Some(format!(
            "{source} forbids forwards: post {post} copied (the campaign allows the fallback)"
        )),
    }
}

/// Logs a relayed post that went out: `Relayed … from @source`.
pub(crate) fn log_relayed(
    campaign: &Campaign,
    variant: &Variant,
    group: &tgfleet_domain::GroupHandle,
    account: &str,
    outcome: PostOutcome,
) {
    if outcome != PostOutcome::Sent {
        return;
    }
    let (Some(config), Some(post)) = (&campaign.relay, &variant.relay) else {
        return;
    };
    let how = match (config.mode, variant.kind) {
        (RelayMode::Forward, VariantKind::Forward) if !post.noforwards => "forwarded",
        _ => "copied",
    };
    tracing::info!(campaign = %campaign.name, source = %config.source, %group, %account,
        post = post.source_message_id,
        "Relayed post {} from {} to {group} by {account} ({how})",
        post.source_message_id, config.source);
}
