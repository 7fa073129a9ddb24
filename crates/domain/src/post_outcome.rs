//! What a post's pre-check and send lead to: the verdict on the account's write
//! rights in a group, and the consequences of each send outcome for the post, the
//! account (FloodWait, spam-block strikes and cool-down), the membership
//! (slow mode) and the group (banned for everyone, invariant 4).

use crate::status::{AccountStatus, PostState};
use crate::tg_error::{
    About, AccountAnswer, CallAnswer, ContentKind, GroupAnswer, MembershipAnswer, TgError, WaitKind,
};
use chrono::{DateTime, TimeDelta, Utc};
use rand::{Rng, RngExt as _};
use sha2::{Digest, Sha256};

/// Rights that a restriction removes (`true`: removed), one per flag of Telegram's
/// `chatBannedRights` (core.telegram.org/constructor/chatBannedRights; granular
/// rights since layer 150). TDLib reads the granular flags
/// (`td/telegram/DialogParticipant.cpp`, `RestrictedRights(chatBannedRights)`), the
/// server setting them whenever a legacy flag is set; reading the legacy
/// `send_messages` as "nothing" and `send_media` as "no file of any kind" gives the
/// same answer for servers of either kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Restrictions {
    /// Cannot read the group (a ban: TDLib decides "banned" by `view_messages`,
    /// `DialogParticipantStatus(is_member, chatBannedRights)`).
    pub view: bool,
    /// Cannot send anything (legacy `send_messages`).
    pub send: bool,
    /// Cannot send text (`send_plain`).
    pub plain: bool,
    /// Cannot send any media (legacy `send_media`).
    pub media: bool,
    /// Cannot send photos (`send_photos`).
    pub photos: bool,
    /// Cannot send videos (`send_videos`).
    pub videos: bool,
    /// Cannot send documents (`send_docs`).
    pub docs: bool,
    /// Cannot send music (`send_audios`).
    pub audios: bool,
    /// Cannot send voice notes (`send_voices`).
    pub voices: bool,
    /// Cannot send round videos (`send_roundvideos`).
    pub round_videos: bool,
    /// Cannot send stickers (`send_stickers`).
    pub stickers: bool,
    /// Cannot send GIFs (`send_gifs`).
    pub gifs: bool,
    /// Cannot send polls (`send_polls`).
    pub polls: bool,
    /// Cannot use inline bots (`send_inline`).
    pub inline: bool,
    /// Cannot send games (`send_games`).
    pub games: bool,
    /// Cannot add link previews (`embed_links`).
    pub links: bool,
    /// When a personal restriction ends (`until_date`; `None`: until lifted).
    pub until: Option<DateTime<Utc>>,
}

impl Restrictions {
    /// Whether these restrictions refuse `kind`.
    pub fn refuses(&self, kind: ContentKind) -> bool {
        use ContentKind as K;
        let file = |granular: bool| self.media || granular;
        self.send
            || match kind {
                K::Plain => self.plain,
                K::Media => self.media,
                K::Photos => file(self.photos),
                K::Videos => file(self.videos),
                K::Docs => file(self.docs),
                K::Audios => file(self.audios),
                K::Voices => file(self.voices),
                K::RoundVideos => file(self.round_videos),
                K::Stickers => file(self.stickers),
                K::Gifs => file(self.gifs),
                K::Polls => file(self.polls),
                K::Inline => file(self.inline),
                K::Games => file(self.games),
                K::LinkPreviews => self.links,
                K::Paid => false,
            }
    }
}

/// Where the account stands in the group, by the pre-check's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberStanding {
    /// A member.
    Member,
    /// An admin or the creator (rights and slow mode do not apply).
    Admin,
    /// Not a member.
    Left,
    /// Kicked and banned.
    Banned,
}

/// The account's write rights in a group, as the pre-check reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteRights {
    /// Member, admin, left or banned.
    pub standing: MemberStanding,
    /// Members may write at all (false for broadcast channels and gigagroups).
    pub members_write: bool,
    /// The account's own restriction.
    pub mine: Restrictions,
    /// The group's defaults.
    pub defaults: Restrictions,
    /// Non-members must join before writing.
    pub join_to_send: bool,
    /// The group charges Stars per message (`send_paid_messages_stars`); admins
    /// write free. No campaign pays, so nothing goes there.
    pub paid: bool,
    /// The group is a forum whose General topic is closed: only those who manage
    /// topics post there (TDLib td/telegram/ForumTopicManager.cpp,
    /// `can_send_message_to_forum_topic`; Telegram answers TOPIC_CLOSED).
    pub topic_closed: bool,
    /// Slow mode lets this account send next at this time.
    pub slow_mode_next_send_at: Option<DateTime<Utc>>,
}

/// What the message needs beyond the right to send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContentNeeds {
    /// The content kinds whose rights it needs ([`crate::VariantKind::needs`]).
    pub kinds: &'static [ContentKind],
    /// Its text or caption contains a link.
    pub links: bool,
}

impl ContentNeeds {
    /// Nothing beyond the right to send: what the group-reviewer asks ("may this
    /// account post at all?").
    pub const ANYTHING: Self = Self {
        kinds: &[],
        links: false,
    };
}

impl Precheck {
    /// The code of [`Precheck::CannotPost`] in a broadcast channel or gigagroup.
    pub const BROADCAST: &'static str = "PRECHECK_BROADCAST";
    /// The code of [`Precheck::CannotPost`] in a forum whose General topic is closed.
    pub const TOPIC_CLOSED: &'static str = "PRECHECK_TOPIC_CLOSED";

    /// Whether the message may go (with or without its link preview).
    pub fn is_clear(&self) -> bool {
        matches!(self, Self::Clear | Self::ClearWithoutPreview)
    }
}

/// The pre-check's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precheck {
    /// Send.
    Clear,
    /// Send with the link preview off: the text has a link and the account may not
    /// embed links there (`embed_links`). TDLib does the same
    /// (`td/telegram/MessageContent.cpp`, `get_input_message_content`: no web page
    /// unless `can_add_web_page_previews`); Telegram refuses a preview with
    /// CHAT_SEND_WEBPAGE_FORBIDDEN.
    ClearWithoutPreview,
    /// Slow mode: not before this time (nothing is wrong with the group).
    SlowModeUntil(DateTime<Utc>),
    /// The account is no longer a member: its membership is marked left; the group
    /// stays open to the other accounts.
    NotMember,
    /// The account is restricted personally until then: retried after it ends.
    RestrictedUntil(DateTime<Utc>),
    /// The group refuses this kind of content: stored; its other variants still go.
    RefusesContent(ContentKind),
    /// The account is banned or barred from writing for good: the group is
    /// off-limits to every account (invariant 4).
    Banned(&'static str),
    /// The group does not let members post this (defaults, broadcast): `can_post` false.
    CannotPost(&'static str),
}

impl Precheck {
    /// The reason code stored in `posts.error_code` for a failed pre-check.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::Clear | Self::ClearWithoutPreview => None,
            Self::SlowModeUntil(_) => Some("SLOWMODE_WAIT"),
            Self::NotMember => Some("PRECHECK_NOT_MEMBER"),
            Self::RestrictedUntil(_) => Some("PRECHECK_RESTRICTED_UNTIL"),
            Self::RefusesContent(_) => Some("PRECHECK_CONTENT_REFUSED"),
            Self::Banned(code) | Self::CannotPost(code) => Some(code),
        }
    }
}

/// Judges the account's rights before a send: still a member, not banned
/// (`view_messages`) or restricted (until its end), members may write there (not a
/// broadcast, not a forum whose General topic is closed), the group's default rights
/// allow each kind of content the message carries, then slow mode; a link the
/// account may not preview goes without its preview. The marketer asks it before
/// each send, the group-reviewer with [`ContentNeeds::ANYTHING`]: both read a group's
/// rights through this one function and agree.
pub fn precheck(rights: &WriteRights, needs: ContentNeeds, now: DateTime<Utc>) -> Precheck {
    match rights.standing {
        MemberStanding::Banned => return Precheck::Banned("PRECHECK_BANNED"),
        // A non-member cannot write, join-to-send or not: the membership is stale.
        MemberStanding::Left => return Precheck::NotMember,
        MemberStanding::Admin => return Precheck::Clear,
        MemberStanding::Member => {}
    }
    let mine = rights.mine;
    let mine_in_force = mine.until.is_none_or(|until| until > now);
    if mine_in_force && mine.view {
        return Precheck::Banned("PRECHECK_BANNED");
    }
    let refused_to_me = mine.send || needs.kinds.iter().any(|kind| mine.refuses(*kind));
    if mine_in_force && refused_to_me {
        return match mine.until {
            Some(until) => Precheck::RestrictedUntil(until),
            None => Precheck::Banned("PRECHECK_RESTRICTED"),
        };
    }
    if !rights.members_write {
        return Precheck::CannotPost(Precheck::BROADCAST);
    }
    if rights.topic_closed {
        return Precheck::CannotPost(Precheck::TOPIC_CLOSED);
    }
    let defaults = rights.defaults;
    if defaults.send {
        return Precheck::CannotPost("PRECHECK_NO_SEND_RIGHT");
    }
    if rights.paid {
        return Precheck::RefusesContent(ContentKind::Paid);
    }
    if let Some(kind) = needs.kinds.iter().find(|kind| defaults.refuses(**kind)) {
        return Precheck::RefusesContent(*kind);
    }
    if let Some(at) = rights.slow_mode_next_send_at.filter(|at| *at > now) {
        return Precheck::SlowModeUntil(at);
    }
    let no_preview = defaults.links || (mine_in_force && mine.links);
    if needs.links && no_preview {
        Precheck::ClearWithoutPreview
    } else {
        Precheck::Clear
    }
}

/// The `random_id` of a post's send, derived from its idempotency key: the same for
/// every attempt of the post, so that Telegram, which keeps each send's `random_id`
/// (core.telegram.org/method/messages.sendMessage: "Unique client message ID
/// required to prevent message resending"), never posts it twice. Any 64-bit value
/// is accepted (Telethon draws it uniformly: `helpers.generate_random_long`).
pub fn send_random_id(idempotency_key: &str) -> i64 {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    match i64::from_le_bytes(bytes) {
        0 => 1,
        id => id,
    }
}

/// The spam-block and retry rules (`[posting]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrikeRules {
    /// PeerFlood / long FloodWait answers in a row that start a cool-down.
    pub threshold: u32,
    /// A FloodWait longer than this counts as a strike.
    pub flood_wait_short_max: TimeDelta,
    /// Shortest cool-down.
    pub cooldown_min: TimeDelta,
    /// Longest cool-down.
    pub cooldown_max: TimeDelta,
    /// How long a (campaign, group) waits after a transient failure.
    pub transient_retry: TimeDelta,
}

/// How the group must be marked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupMark {
    /// Off-limits to every account (invariant 4): status `banned`.
    Banned(String),
    /// Members may not post this: `can_post` false.
    CannotPost(String),
    /// Private, gone or expired: status `inaccessible`.
    Inaccessible(String),
    /// The group refuses this kind of content: stored for the group; other kinds still go.
    RefusesContent(ContentKind, String),
}

/// How the membership of the posting account changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipMark {
    /// The account left (or was removed).
    Left,
    /// The account is banned there.
    Banned,
    /// The stored peer does not work for this account: forget it, resolve it once more.
    PeerStale,
    /// Non-members must join before writing (CHAT_GUEST_SEND_FORBIDDEN): the
    /// membership goes back to `pending`, so the account-manager joins again.
    JoinFirst,
}

/// How many accounts in good standing must report an ambiguous ban answer about one
/// group ([`BanReport`]) before the group closes for the fleet.
pub const BAN_WITNESSES: u32 = 2;
/// How long such a report counts.
pub const BAN_REPORT_WINDOW: TimeDelta = TimeDelta::days(7);

/// One account's report of an answer that is usually about the account but may be
/// about the group (`USER_BANNED_IN_CHANNEL` after a clean pre-check, see
/// [`TgError::may_be_about_the_group`]). A group is closed for the fleet only on
/// evidence about the group: its rights showing the ban (the pre-check), or a
/// second account confirming — `witnesses` distinct accounts, each in good standing
/// (no strike before the answer), reporting it since `since`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BanReport {
    /// The answer's name, kept as the group's reason.
    pub name: String,
    /// Distinct accounts whose reports close the group.
    pub witnesses: u32,
    /// Reports older than this no longer count.
    pub since: DateTime<Utc>,
}

/// Everything one attempt changes, written in one fenced transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consequence {
    /// The post's final state.
    pub state: PostState,
    /// Why it was not sent.
    pub error_code: Option<String>,
    /// Nothing reached the group and the (campaign, group) may be retried from then.
    pub retry_at: Option<DateTime<Utc>>,
    /// The account's posts wait until then (FloodWait).
    pub post_flood_until: Option<DateTime<Utc>>,
    /// The account's strike count afterwards (`None`: unchanged).
    pub strikes: Option<u32>,
    /// A cool-down starts, until then.
    pub cooldown_until: Option<DateTime<Utc>>,
    /// The account is no longer usable.
    pub account_status: Option<(AccountStatus, String)>,
    /// The group's slow mode allows the account's next message then.
    pub next_send_at: Option<DateTime<Utc>>,
    /// The membership changes.
    pub membership: Option<MembershipMark>,
    /// The group is marked.
    pub group: Option<GroupMark>,
    /// The account reports an answer that may be about the group.
    pub ban_report: Option<BanReport>,
    /// The account's unit of work ends here (it sent, must wait, or is held).
    pub ends_unit: bool,
}

impl Consequence {
    fn post(state: PostState, error_code: Option<String>) -> Self {
        Self {
            state,
            error_code,
            retry_at: None,
            post_flood_until: None,
            strikes: None,
            cooldown_until: None,
            account_status: None,
            next_send_at: None,
            membership: None,
            group: None,
            ban_report: None,
            ends_unit: false,
        }
    }

    /// A sent post: strikes reset; slow mode (if any) starts counting.
    pub fn sent(slow_mode_secs: Option<u32>, now: DateTime<Utc>) -> Self {
        Self {
            strikes: Some(0),
            next_send_at: slow_mode_secs
                .filter(|secs| *secs > 0)
                .map(|secs| now + TimeDelta::seconds(i64::from(secs))),
            ends_unit: true,
            ..Self::post(PostState::Sent, None)
        }
    }

    /// A failed pre-check: nothing was sent. Slow mode and a lost membership let the
    /// (campaign, group) be retried; a ban or a missing right marks the group.
    pub fn skipped(verdict: Precheck, now: DateTime<Utc>) -> Self {
        let code = verdict.code().map(str::to_owned);
        let mut consequence = Self::post(PostState::Skipped, code);
        match verdict {
            Precheck::Clear | Precheck::ClearWithoutPreview => {}
            Precheck::SlowModeUntil(at) => {
                consequence.retry_at = Some(at);
                consequence.next_send_at = Some(at);
            }
            Precheck::NotMember => {
                consequence.retry_at = Some(now);
                consequence.membership = Some(MembershipMark::Left);
            }
            Precheck::RestrictedUntil(until) => consequence.retry_at = Some(until),
            Precheck::RefusesContent(kind) => {
                consequence.retry_at = Some(now);
                let code = verdict.code().unwrap_or_default().to_owned();
                consequence.group = Some(GroupMark::RefusesContent(kind, code));
            }
            Precheck::Banned(code) => {
                consequence.membership = Some(MembershipMark::Banned);
                consequence.group = Some(GroupMark::Banned(code.to_owned()));
            }
            Precheck::CannotPost(code) => {
                consequence.group = Some(GroupMark::CannotPost(code.to_owned()));
            }
        }
        consequence
    }

    /// A failed request (the pre-check's or the send's), by who the answer is about.
    /// Only answers about the group mark the group (invariant 4); a spam-limited
    /// account (`PEER_FLOOD`, `USER_BANNED_IN_CHANNEL` after a clean pre-check) takes
    /// a strike and closes nothing. A FloodWait holds the account's posts; a long one
    /// is a strike too; the `threshold`-th strike in a row starts a cool-down random
    /// in `[cooldown_min, cooldown_max]` (strikes start over). A request that went out
    /// without an answer (or whose `random_id` Telegram saw before) is `unknown`.
    pub fn failed(
        error: &TgError,
        strikes_before: u32,
        rules: &StrikeRules,
        now: DateTime<Utc>,
        rng: &mut impl Rng,
    ) -> Self {
        let name = || error.name.clone();
        let mut consequence = Self::post(PostState::Failed, Some(error.code()));
        consequence.ends_unit = matches!(
            error.about,
            About::Account(_)
                | About::Call(
                    CallAnswer::Transient
                        | CallAnswer::UnknownOutcome
                        | CallAnswer::Wait(WaitKind::Flood | WaitKind::Upload, _)
                )
        );
        let mut strike = false;
        match error.about {
            About::Call(CallAnswer::Wait(WaitKind::Flood, secs)) => {
                let wait = TimeDelta::seconds(i64::from(secs));
                consequence.post_flood_until = Some(now + wait);
                consequence.retry_at = Some(now + wait);
                strike = wait > rules.flood_wait_short_max;
            }
            // The upload throttle of non-premium accounts: this post waits, posting does not.
            About::Call(CallAnswer::Wait(WaitKind::Upload, secs)) => {
                consequence.retry_at = Some(now + TimeDelta::seconds(i64::from(secs)));
            }
            About::Call(CallAnswer::Wait(WaitKind::SlowMode, secs)) => {
                let at = now + TimeDelta::seconds(i64::from(secs));
                consequence.next_send_at = Some(at);
                consequence.retry_at = Some(at);
            }
            About::Call(CallAnswer::Transient) => {
                consequence.retry_at = Some(now + rules.transient_retry);
            }
            About::Call(CallAnswer::UnknownOutcome) => {
                consequence.state = PostState::Unknown;
            }
            About::Account(AccountAnswer::SpamLimited) => {
                consequence.retry_at = Some(now);
                strike = true;
                // An account in good standing (no strike before) meeting a ban answer
                // in one group reports it; a second such account closes the group.
                if error.may_be_about_the_group() && strikes_before == 0 {
                    consequence.ban_report = Some(BanReport {
                        name: name(),
                        witnesses: BAN_WITNESSES,
                        since: now - BAN_REPORT_WINDOW,
                    });
                }
            }
            About::Account(
                AccountAnswer::Frozen
                | AccountAnswer::Unauthorized
                | AccountAnswer::DeadKey
                | AccountAnswer::Deactivated,
            ) => {
                consequence.retry_at = Some(now);
                consequence.account_status = error.account_status().map(|status| (status, name()));
            }
            About::Membership(MembershipAnswer::NotMember) => {
                consequence.retry_at = Some(now);
                consequence.membership = Some(MembershipMark::Left);
            }
            About::Membership(MembershipAnswer::JoinFirst) => {
                consequence.retry_at = Some(now);
                consequence.membership = Some(MembershipMark::JoinFirst);
            }
            About::Membership(MembershipAnswer::PeerStale) => {
                consequence.retry_at = Some(now);
                consequence.membership = Some(MembershipMark::PeerStale);
            }
            // The pre-check was clean, so the restriction is new: the rights say until when.
            About::Membership(MembershipAnswer::Restricted) => {
                consequence.retry_at = Some(now + rules.transient_retry);
            }
            About::Content(kind) => {
                consequence.retry_at = Some(now);
                consequence.group = Some(GroupMark::RefusesContent(kind, name()));
            }
            About::Group(GroupAnswer::BannedUs) => {
                consequence.group = Some(GroupMark::Banned(name()));
                consequence.membership = Some(MembershipMark::Banned);
            }
            About::Group(GroupAnswer::WriteForbidden | GroupAnswer::TopicClosed) => {
                consequence.group = Some(GroupMark::CannotPost(name()));
            }
            About::Group(GroupAnswer::BannedByTelegram | GroupAnswer::Gone) => {
                consequence.group = Some(GroupMark::Inaccessible(name()));
            }
            // The source's post is protected (CHAT_FORWARDS_RESTRICTED): as a relay skips a
            // post it reads with `noforwards`, this post is not retried in its round; the
            // group and the account are untouched.
            About::Source => {}
            // An unexpected refusal (a deleted source post): retrying within the round
            // would repeat it, so the round ends here.
            About::Account(AccountAnswer::TooManyChannels) | About::Join(_) | About::Unexpected => {
            }
        }
        if strike {
            let strikes = strikes_before.saturating_add(1);
            if strikes >= rules.threshold {
                consequence.cooldown_until = Some(now + cooldown(rules, rng));
                consequence.strikes = Some(0);
            } else {
                consequence.strikes = Some(strikes);
            }
        }
        consequence
    }

    /// The same consequence for an attempt whose peer was resolved afresh: a stale peer
    /// again (CHANNEL_PRIVATE for a member, CHANNEL_INVALID, PEER_ID_INVALID) means the
    /// account is no longer a member there. A peer is re-resolved once, never in a loop.
    pub fn after_fresh_resolve(mut self) -> Self {
        if self.membership == Some(MembershipMark::PeerStale) {
            self.membership = Some(MembershipMark::Left);
        }
        self
    }
}

/// A cool-down length, uniform in `[cooldown_min, cooldown_max]` (whole seconds).
pub fn cooldown(rules: &StrikeRules, rng: &mut impl Rng) -> TimeDelta {
    let min = rules.cooldown_min.num_seconds().max(0);
    let max = rules.cooldown_max.num_seconds().max(min);
    TimeDelta::seconds(rng.random_range(min..=max))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng as _;
    use rand_chacha::ChaCha8Rng;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-10T02:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn with_defaults(edit: impl Fn(&mut Restrictions)) -> WriteRights {
        let mut rights = member();
        edit(&mut rights.defaults);
        rights
    }

    fn with_mine(edit: impl Fn(&mut Restrictions)) -> WriteRights {
        let mut rights = member();
        edit(&mut rights.mine);
        rights
    }

    /// A member with no restriction in a group where members write.
    pub(crate) fn member() -> WriteRights {
        WriteRights {
            standing: MemberStanding::Member,
            members_write: true,
            mine: Restrictions::default(),
            defaults: Restrictions::default(),
            join_to_send: false,
            paid: false,
            topic_closed: false,
            slow_mode_next_send_at: None,
        }
    }

    const TEXT: ContentNeeds = ContentNeeds {
        kinds: &[ContentKind::Plain],
        links: false,
    };
    const PHOTO: ContentNeeds = ContentNeeds {
        kinds: &[ContentKind::Photos, ContentKind::Media],
        links: false,
    };

    #[test]
    fn a_closed_general_topic_stops_members_only() {
        let closed = WriteRights {
            topic_closed: true,
            ..member()
        };
        let verdict = precheck(&closed, TEXT, now());
        assert_eq!(verdict, Precheck::CannotPost(Precheck::TOPIC_CLOSED));
        let skipped = Consequence::skipped(verdict, now());
        assert_eq!(
            skipped.group,
            Some(GroupMark::CannotPost("PRECHECK_TOPIC_CLOSED".into()))
        );
        assert_eq!(skipped.retry_at, None, "not retried every round");
        let admin = WriteRights {
            standing: MemberStanding::Admin,
            ..closed
        };
        assert_eq!(precheck(&admin, TEXT, now()), Precheck::Clear);
    }

    #[test]
    fn a_protected_source_touches_neither_the_group_nor_the_account() {
        let rules = StrikeRules {
            threshold: 1,
            flood_wait_short_max: TimeDelta::minutes(10),
            cooldown_min: TimeDelta::hours(1),
            cooldown_max: TimeDelta::hours(2),
            transient_retry: TimeDelta::minutes(5),
        };
        let error = TgError::from_rpc(400, "CHAT_FORWARDS_RESTRICTED", None);
        assert_eq!(error.about, About::Source);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let consequence = Consequence::failed(&error, 0, &rules, now(), &mut rng);
        assert_eq!(consequence.state, PostState::Failed);
        assert_eq!(consequence.group, None);
        assert_eq!(consequence.membership, None);
        assert_eq!(consequence.strikes, None);
        assert_eq!(consequence.retry_at, None, "not repeated in its round");
        assert!(!consequence.ends_unit);
    }

    #[test]
    fn precheck_judges_standing_rights_and_slow_mode() {
        let now = now();
        assert_eq!(precheck(&member(), TEXT, now), Precheck::Clear);
        let cases = [
            (
                WriteRights {
                    standing: MemberStanding::Left,
                    ..member()
                },
                TEXT,
                Precheck::NotMember,
            ),
            (
                WriteRights {
                    standing: MemberStanding::Banned,
                    ..member()
                },
                TEXT,
                Precheck::Banned("PRECHECK_BANNED"),
            ),
            (
                with_mine(|r| {
                    r.send = true;
                }),
                TEXT,
                Precheck::Banned("PRECHECK_RESTRICTED"),
            ),
            (
                WriteRights {
                    members_write: false,
                    ..member()
                },
                TEXT,
                Precheck::CannotPost("PRECHECK_BROADCAST"),
            ),
            (
                with_defaults(|r| {
                    r.send = true;
                }),
                TEXT,
                Precheck::CannotPost("PRECHECK_NO_SEND_RIGHT"),
            ),
            (
                with_defaults(|r| {
                    r.media = true;
                }),
                PHOTO,
                Precheck::RefusesContent(ContentKind::Photos),
            ),
            (
                with_defaults(|r| {
                    r.photos = true;
                }),
                PHOTO,
                Precheck::RefusesContent(ContentKind::Photos),
            ),
            (
                with_defaults(|r| {
                    r.plain = true;
                }),
                TEXT,
                Precheck::RefusesContent(ContentKind::Plain),
            ),
            (
                with_mine(|r| {
                    r.send = true;
                    r.until = Some(now + TimeDelta::hours(1));
                }),
                TEXT,
                Precheck::RestrictedUntil(now + TimeDelta::hours(1)),
            ),
            (
                with_mine(|r| {
                    r.send = true;
                    r.until = Some(now - TimeDelta::seconds(1));
                }),
                TEXT,
                Precheck::Clear,
            ),
            (
                with_defaults(|r| {
                    r.links = true;
                }),
                ContentNeeds {
                    kinds: &[ContentKind::Plain],
                    links: true,
                },
                Precheck::ClearWithoutPreview,
            ),
            (
                WriteRights {
                    slow_mode_next_send_at: Some(now + TimeDelta::seconds(30)),
                    ..member()
                },
                TEXT,
                Precheck::SlowModeUntil(now + TimeDelta::seconds(30)),
            ),
            (
                WriteRights {
                    paid: true,
                    ..member()
                },
                PHOTO,
                Precheck::RefusesContent(ContentKind::Paid),
            ),
        ];
        for (rights, needs, expected) in cases {
            assert_eq!(precheck(&rights, needs, now), expected, "{rights:?}");
        }
        // Media and links matter only when the message carries them; admins skip rights.
        let no_media = with_defaults(|r| {
            r.media = true;
            r.photos = true;
            r.links = true;
        });
        assert_eq!(precheck(&no_media, TEXT, now), Precheck::Clear);
        let no_photos = with_defaults(|r| {
            r.photos = true;
        });
        let document = ContentNeeds {
            kinds: &[ContentKind::Docs, ContentKind::Media],
            links: false,
        };
        assert_eq!(precheck(&no_photos, document, now), Precheck::Clear);
        let admin = WriteRights {
            standing: MemberStanding::Admin,
            members_write: false,
            ..no_media
        };
        assert_eq!(
            precheck(
                &admin,
                ContentNeeds {
                    kinds: &[ContentKind::Photos],
                    links: true
                },
                now
            ),
            Precheck::Clear
        );
    }

    #[test]
    fn granular_rights_refuse_their_own_kind_and_the_legacy_ones_every_kind() {
        use ContentKind as K;
        let files = [
            K::Photos,
            K::Videos,
            K::Docs,
            K::Audios,
            K::Voices,
            K::RoundVideos,
            K::Stickers,
            K::Gifs,
            K::Polls,
            K::Inline,
            K::Games,
        ];
        let media = Restrictions {
            media: true,
            ..Restrictions::default()
        };
        assert!(files.iter().all(|kind| media.refuses(*kind)));
        assert!(!media.refuses(K::Plain) && !media.refuses(K::LinkPreviews));
        let nothing = Restrictions {
            send: true,
            ..Restrictions::default()
        };
        assert!(
            K::ALL
                .iter()
                .filter(|kind| **kind != K::Paid)
                .all(|kind| nothing.refuses(*kind))
        );
        let videos = Restrictions {
            videos: true,
            ..Restrictions::default()
        };
        assert_eq!(
            K::ALL
                .iter()
                .filter(|kind| videos.refuses(**kind))
                .collect::<Vec<_>>(),
            [&K::Videos]
        );
    }

    #[test]
    fn an_ambiguous_ban_is_reported_only_by_an_account_in_good_standing() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let rules = strike_rules();
        let banned = TgError::from_rpc(400, "USER_BANNED_IN_CHANNEL", None);
        let first = Consequence::failed(&banned, 0, &rules, now(), &mut rng);
        assert_eq!(
            first.ban_report,
            Some(BanReport {
                name: "USER_BANNED_IN_CHANNEL".into(),
                witnesses: BAN_WITNESSES,
                since: now() - BAN_REPORT_WINDOW,
            })
        );
        assert_eq!(first.group, None, "one account never closes the group");
        let struck = Consequence::failed(&banned, 1, &rules, now(), &mut rng);
        assert_eq!(
            struck.ban_report, None,
            "a spam-limited account reports nothing"
        );
        let flood = TgError::from_rpc(400, "PEER_FLOOD", None);
        assert_eq!(
            Consequence::failed(&flood, 0, &rules, now(), &mut rng).ban_report,
            None
        );
    }

    #[test]
    fn a_stale_peer_is_re_resolved_once_and_a_guest_joins_first() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let rules = strike_rules();
        let stale = TgError::from_rpc(400, "CHANNEL_PRIVATE", None);
        let first = Consequence::failed(&stale, 0, &rules, now(), &mut rng);
        assert_eq!(first.membership, Some(MembershipMark::PeerStale));
        assert_eq!(first.group, None);
        assert_eq!(
            first.after_fresh_resolve().membership,
            Some(MembershipMark::Left),
            "stale again right after resolving: no longer a member"
        );
        let guest = TgError::from_rpc(403, "CHAT_GUEST_SEND_FORBIDDEN", None);
        let join = Consequence::failed(&guest, 0, &rules, now(), &mut rng);
        assert_eq!(join.membership, Some(MembershipMark::JoinFirst));
        assert_eq!(join.clone().after_fresh_resolve(), join);
        let banned = TgError::from_rpc(400, "CHANNEL_BANNED", None);
        assert_eq!(
            Consequence::failed(&banned, 0, &rules, now(), &mut rng).group,
            Some(GroupMark::Inaccessible("CHANNEL_BANNED".into()))
        );
    }

    #[test]
    fn a_link_without_the_embed_right_goes_without_its_preview() {
        let now = now();
        let link = ContentNeeds {
            kinds: &[ContentKind::Plain],
            links: true,
        };
        let mine = with_mine(|r| r.links = true);
        assert_eq!(precheck(&mine, link, now), Precheck::ClearWithoutPreview);
        assert_eq!(precheck(&mine, TEXT, now), Precheck::Clear);
        let ended = with_mine(|r| {
            r.links = true;
            r.until = Some(now - TimeDelta::minutes(1));
        });
        assert_eq!(precheck(&ended, link, now), Precheck::Clear);
        let slow = WriteRights {
            slow_mode_next_send_at: Some(now + TimeDelta::seconds(5)),
            ..with_defaults(|r| r.links = true)
        };
        assert_eq!(
            precheck(&slow, link, now),
            Precheck::SlowModeUntil(now + TimeDelta::seconds(5))
        );
        assert!(Precheck::ClearWithoutPreview.is_clear());
        assert_eq!(Precheck::ClearWithoutPreview.code(), None);
    }

    fn strike_rules() -> StrikeRules {
        StrikeRules {
            threshold: 3,
            flood_wait_short_max: TimeDelta::minutes(10),
            cooldown_min: TimeDelta::hours(1),
            cooldown_max: TimeDelta::hours(24),
            transient_retry: TimeDelta::minutes(5),
        }
    }

    #[test]
    fn failures_hold_the_account_or_mark_the_group() {
        let now = now();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let rules = strike_rules();
        let short = Consequence::failed(&TgError::flood_wait(30), 2, &rules, now, &mut rng);
        assert_eq!(short.post_flood_until, Some(now + TimeDelta::seconds(30)));
        assert_eq!(short.strikes, None, "a short FloodWait is no strike");
        assert_eq!(short.retry_at, Some(now + TimeDelta::seconds(30)));
        let long = Consequence::failed(&TgError::flood_wait(3600), 0, &rules, now, &mut rng);
        assert_eq!(long.strikes, Some(1));
        let slow = Consequence::failed(
            &TgError::from_rpc(420, "SLOWMODE_WAIT", Some(60)),
            1,
            &rules,
            now,
            &mut rng,
        );
        assert_eq!(slow.next_send_at, Some(now + TimeDelta::seconds(60)));
        assert_eq!(slow.strikes, None);
        let forbidden = Consequence::failed(
            &TgError::from_rpc(403, "USER_KICKED", None),
            0,
            &rules,
            now,
            &mut rng,
        );
        assert_eq!(
            forbidden.group,
            Some(GroupMark::Banned("USER_KICKED".into()))
        );
        assert_eq!(
            forbidden.retry_at, None,
            "never retried through another account"
        );
        let transient =
            Consequence::failed(&TgError::transient("timeout"), 0, &rules, now, &mut rng);
        assert_eq!(transient.retry_at, Some(now + TimeDelta::minutes(5)));
        assert_eq!(transient.state, PostState::Failed);
        let other = Consequence::failed(
            &TgError::from_rpc(400, "MESSAGE_ID_INVALID", None),
            0,
            &rules,
            now,
            &mut rng,
        );
        assert_eq!((other.retry_at, other.group.clone()), (None, None));
        let revoked = Consequence::failed(
            &TgError::from_rpc(401, "SESSION_REVOKED", None),
            0,
            &rules,
            now,
            &mut rng,
        );
        assert_eq!(
            revoked.account_status,
            Some((AccountStatus::Unauthorized, "SESSION_REVOKED".into()))
        );
        let mut answer = |code, name| {
            Consequence::failed(
                &TgError::from_rpc(code, name, None),
                0,
                &rules,
                now,
                &mut rng,
            )
        };
        // Answers about the account never mark the group.
        for name in ["PEER_FLOOD", "USER_BANNED_IN_CHANNEL"] {
            let spam = answer(400, name);
            assert_eq!(
                (spam.group.clone(), spam.membership),
                (None, None),
                "{name}"
            );
            assert_eq!(spam.strikes, Some(1), "{name}");
            assert!(spam.ends_unit);
        }
        let photos = answer(403, "CHAT_SEND_PHOTOS_FORBIDDEN");
        let refused =
            GroupMark::RefusesContent(ContentKind::Photos, "CHAT_SEND_PHOTOS_FORBIDDEN".into());
        assert_eq!(photos.group, Some(refused));
        assert_eq!(photos.retry_at, Some(now), "another variant may go");
        let unknown = answer(500, "RANDOM_ID_DUPLICATE");
        assert_eq!(
            (unknown.state, unknown.retry_at),
            (PostState::Unknown, None)
        );
        let frozen = answer(420, "FROZEN_METHOD_INVALID");
        assert_eq!(frozen.post_flood_until, None, "a 420 that is no wait");
        let status = (AccountStatus::Frozen, "FROZEN_METHOD_INVALID".to_owned());
        assert_eq!(frozen.account_status, Some(status));
        let stale = answer(400, "CHANNEL_PRIVATE");
        assert_eq!(
            (stale.membership, stale.group),
            (Some(MembershipMark::PeerStale), None)
        );
        let sent = Consequence::sent(Some(60), now);
        assert_eq!(sent.strikes, Some(0));
        assert_eq!(sent.next_send_at, Some(now + TimeDelta::seconds(60)));
    }

    #[test]
    fn skipped_posts_mark_what_failed() {
        let now = now();
        let banned = Consequence::skipped(Precheck::Banned("PRECHECK_BANNED"), now);
        assert_eq!(banned.state, PostState::Skipped);
        assert_eq!(
            banned.group,
            Some(GroupMark::Banned("PRECHECK_BANNED".into()))
        );
        assert_eq!(banned.retry_at, None);
        let cannot = Consequence::skipped(Precheck::CannotPost("PRECHECK_BROADCAST"), now);
        assert_eq!(
            cannot.group,
            Some(GroupMark::CannotPost("PRECHECK_BROADCAST".into()))
        );
        let slow = Consequence::skipped(Precheck::SlowModeUntil(now + TimeDelta::hours(1)), now);
        assert_eq!(slow.retry_at, Some(now + TimeDelta::hours(1)));
        assert_eq!(slow.group, None);
        let later = now + TimeDelta::hours(1);
        let restricted = Consequence::skipped(Precheck::RestrictedUntil(later), now);
        assert_eq!((restricted.retry_at, restricted.group), (Some(later), None));
        let left = Consequence::skipped(Precheck::NotMember, now);
        assert_eq!(left.membership, Some(MembershipMark::Left));
        assert_eq!(left.retry_at, Some(now));
    }

    #[test]
    fn a_post_keeps_its_random_id_across_attempts() {
        let first = send_random_id("7:42:3");
        assert_eq!(first, send_random_id("7:42:3"));
        assert_ne!(first, send_random_id("7:42:4"));
        assert_ne!(first, 0);
    }

    proptest! {
        #[test]
        fn the_threshold_th_strike_in_a_row_starts_a_cool_down_within_bounds(
            threshold in 1u32..6,
            seed in any::<u64>(),
            long_waits in prop::collection::vec(any::<bool>(), 1..12),
        ) {
            let now = now();
            let rules = StrikeRules { threshold, ..strike_rules() };
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut strikes = 0u32;
            for (attempt, long) in long_waits.iter().enumerate() {
                let failure = if *long { TgError::flood_wait(7200) } else { TgError::from_rpc(400, "PEER_FLOOD", None) };
                let consequence = Consequence::failed(&failure, strikes, &rules, now, &mut rng);
                let expected_cool_down = strikes + 1 >= threshold;
                prop_assert_eq!(consequence.cooldown_until.is_some(), expected_cool_down, "attempt {}", attempt);
                if let Some(until) = consequence.cooldown_until {
                    prop_assert!(until >= now + rules.cooldown_min && until <= now + rules.cooldown_max);
                }
                strikes = consequence.strikes.unwrap_or(strikes);
                prop_assert!(strikes < threshold);
            }
        }
    }
}
