//! Generated worlds: N accounts and M groups with exact counts per profile,
//! plus the group handles an operator would import.

use crate::Limits;
use crate::derive::{self, Tag};
use crate::scenario::{AccountSpec, GroupSpec, Scenario, ScenarioError, VanishSpec, default_epoch};
use crate::secret::Secret;
use crate::types::{ChannelKind, Right, VanishKind};
use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;

macro_rules! profiles {
    ($($(#[$doc:meta])* $variant:ident => $field:ident, $text:literal, $percent:literal;)+) => {
        /// What a generated group is like.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Profile {
            $($(#[$doc])* $variant),+
        }

        impl Profile {
            /// Every profile.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The profile's name (as in `GroupMix` fields).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// The profile's share in [`GroupMix::typical`], in percent.
            fn typical_percent(self) -> u32 {
                match self {
                    $(Self::$variant => $percent),+
                }
            }
        }

        /// How many groups of each profile to generate (exact counts).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct GroupMix {
            $($(#[$doc])* pub $field: u32,)+
        }

        impl GroupMix {
            /// The count of one profile.
            pub fn count(&self, profile: Profile) -> u32 {
                match profile {
                    $(Profile::$variant => self.$field),+
                }
            }

            /// The same mix with `count` groups of `profile`.
            pub fn with(mut self, profile: Profile, count: u32) -> Self {
                match profile {
                    $(Profile::$variant => self.$field = count),+
                }
                self
            }
        }
    };
}

profiles! {
    /// A public supergroup where members may post.
    Open => open, "open", 40;
    /// A public broadcast channel: members cannot post.
    Broadcast => broadcast, "broadcast", 6;
    /// A private supergroup joined by invite.
    PrivateInvite => private_invite, "private_invite", 8;
    /// A private supergroup whose invite needs admin approval.
    Approval => approval, "approval", 5;
    /// A public supergroup whose default rights forbid plain text.
    NoText => no_text, "no_text", 3;
    /// A public supergroup whose default rights forbid media.
    NoMedia => no_media, "no_media", 3;
    /// A public supergroup whose default rights forbid photos only (layer 150's
    /// granular `send_photos`): text and documents go, photos answer
    /// CHAT_SEND_PHOTOS_FORBIDDEN.
    NoPhotos => no_photos, "no_photos", 0;
    /// A public supergroup whose default rights forbid videos only (layer 150's
    /// granular `send_videos`): photos go, videos answer CHAT_SEND_VIDEOS_FORBIDDEN.
    NoVideos => no_videos, "no_videos", 0;
    /// A public supergroup whose default rights forbid links.
    NoLinks => no_links, "no_links", 3;
    /// A public supergroup where non-members must join before writing.
    JoinToSend => join_to_send, "join_to_send", 4;
    /// A public supergroup with slow mode.
    SlowMode => slow_mode, "slow_mode", 6;
    /// A public supergroup whose admins ban an account on its first post.
    BanFirstPost => ban_first_post, "ban_first_post", 3;
    /// A public supergroup whose admins ban after each post with a probability.
    BanProbability => ban_probability, "ban_probability", 3;
    /// A public supergroup whose anti-spam bot bans new members some time after
    /// they join (found banned at review).
    KickAfterJoin => kick_after_join, "kick_after_join", 2;
    /// A public supergroup that became private.
    VanishedPrivate => vanished_private, "vanished_private", 3;
    /// A public supergroup whose username was released.
    VanishedReleased => vanished_released, "vanished_released", 2;
    /// A public supergroup that was deleted.
    VanishedDeleted => vanished_deleted, "vanished_deleted", 2;
    /// A private supergroup whose invite expired.
    ExpiredInvite => expired_invite, "expired_invite", 3;
    /// A public supergroup charging Stars per message (`send_paid_messages_stars`):
    /// every message answers ALLOW_PAYMENT_REQUIRED_X.
    Paid => paid, "paid", 0;
    /// A legacy basic group reached by invite ([`GroupSpec::basic`]): its
    /// `chatInvite` has no `channel` flag.
    BasicInvite => basic_invite, "basic_invite", 0;
    /// A public forum supergroup ([`GroupSpec::forum`]) whose General topic is open:
    /// members post there.
    Forum => forum, "forum", 0;
    /// A public forum supergroup whose General topic is closed
    /// ([`GroupSpec::general_closed`]): members' messages answer TOPIC_CLOSED.
    ClosedForum => closed_forum, "closed_forum", 0;
    /// A username that no group has (a typo or a long-gone group).
    Missing => missing, "missing", 4;
}

impl Profile {
    /// Whether the operator reaches the group by invite rather than username.
    pub fn is_invite(self) -> bool {
        matches!(
            self,
            Self::PrivateInvite | Self::Approval | Self::ExpiredInvite | Self::BasicInvite
        )
    }

    /// Whether the handle leads nowhere usable once the vanish time passed:
    /// vanished, expired or missing.
    pub fn is_inaccessible(self) -> bool {
        matches!(
            self,
            Self::VanishedPrivate
                | Self::VanishedReleased
                | Self::VanishedDeleted
                | Self::ExpiredInvite
                | Self::Missing
        )
    }

    /// Whether an account ends up banned there after joining (and posting).
    pub fn bans(self) -> bool {
        matches!(
            self,
            Self::BanFirstPost | Self::BanProbability | Self::KickAfterJoin
        )
    }
}

impl GroupMix {
    /// The total number of handles.
    pub fn total(&self) -> u32 {
        Profile::ALL.iter().map(|p| self.count(*p)).sum()
    }

    /// A realistic mix of `total` handles: each profile its typical share
    /// (rounded down), the rest open groups.
    pub fn typical(total: u32) -> Self {
        let mut mix = Self::default();
        for profile in Profile::ALL.iter().filter(|p| **p != Profile::Open) {
            let count = u64::from(total) * u64::from(profile.typical_percent()) / 100;
            mix = mix.with(*profile, count as u32);
        }
        let rest = total - mix.total();
        mix.with(Profile::Open, rest)
    }
}

/// How many accounts, and how many of them have 2FA, start signed out, are
/// deactivated or revoked. The first `two_factor` accounts have 2FA; the first
/// `signed_out` accounts start signed out (so 2FA logins come first); the last
/// `deactivated` are deactivated; the `revoked` before those have revoked sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountMix {
    /// Accounts in all.
    pub total: u32,
    /// Accounts with a 2FA password.
    pub two_factor: u32,
    /// Deactivated accounts.
    pub deactivated: u32,
    /// Accounts whose pre-shared session is revoked.
    pub revoked: u32,
    /// Accounts whose pre-shared key starts bound to nobody (they log in first).
    pub signed_out: u32,
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeneratorSpec {
    /// The scenario seed.
    pub seed: u64,
    /// The accounts.
    pub accounts: AccountMix,
    /// The groups.
    pub groups: GroupMix,
    /// Exactly this many accessible groups show 1-5 stories (capped by how many exist).
    pub with_stories: u32,
    /// The scenario's reference time.
    pub epoch: DateTime<Utc>,
    /// When vanishing groups vanish and expiring invites expire. Default: the
    /// epoch (they are gone from the start).
    pub vanish_at: Option<DateTime<Utc>>,
    /// Slow-mode interval of slow-mode groups. Default 60 s.
    pub slow_mode_secs: u32,
    /// Ban probability per post in `ban_probability` groups. Default 0.5.
    pub ban_probability: f64,
    /// Seconds until admins approve join requests. Default: never.
    pub approve_after_secs: Option<u32>,
    /// Seconds after joining when `kick_after_join` groups ban. Default 3600.
    pub kick_after_join_secs: u32,
    /// The limits.
    pub limits: Limits,
    /// Members of every generated supergroup write every this many seconds (see
    /// [`GroupSpec::chatter_every_secs`]). Default: none.
    pub chatter_every_secs: Option<u32>,
}

impl GeneratorSpec {
    /// `accounts` plain accounts and the given group mix, defaults elsewhere.
    pub fn new(seed: u64, accounts: u32, groups: GroupMix) -> Self {
        Self {
            seed,
            accounts: AccountMix {
                total: accounts,
                ..AccountMix::default()
            },
            groups,
            with_stories: 0,
            epoch: default_epoch(),
            vanish_at: None,
            slow_mode_secs: 60,
            ban_probability: 0.5,
            approve_after_secs: None,
            kick_after_join_secs: 3600,
            limits: Limits::default(),
            chatter_every_secs: None,
        }
    }
}

/// One handle of the import list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedHandle {
    /// The handle as an operator would paste it (`@name`, `https://t.me/+HASH`, …).
    pub line: String,
    /// The group's profile.
    pub profile: Profile,
    /// The group's channel id (`None` for missing handles).
    pub channel_id: Option<i64>,
    /// The username the line names, if it names one.
    pub username: Option<String>,
    /// The invite hash the line names, if it names one.
    pub invite: Option<String>,
}

/// A generated scenario and its import list.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    /// The scenario.
    pub scenario: Scenario,
    /// Every handle, in scenario order (missing handles interleaved).
    pub handles: Vec<GeneratedHandle>,
}

impl Generated {
    /// The import file: one handle per line.
    pub fn import_text(&self) -> String {
        let mut text = String::new();
        for handle in &self.handles {
            text.push_str(&handle.line);
            text.push('\n');
        }
        text
    }

    /// The handles of one profile.
    pub fn handles_of(&self, profile: Profile) -> Vec<&GeneratedHandle> {
        self.handles
            .iter()
            .filter(|h| h.profile == profile)
            .collect()
    }
}

const ADJECTIVES: [&str; 12] = [
    "bali", "jakarta", "sunny", "city", "daily", "crypto", "family", "travel", "market", "local",
    "tech", "food",
];
const NOUNS: [&str; 10] = [
    "chat", "club", "deals", "news", "talk", "hub", "board", "corner", "square", "people",
];

/// Generates a scenario and its import list. Same spec, same result.
pub fn generate(spec: &GeneratorSpec) -> Result<Generated, ScenarioError> {
    let mut scenario = Scenario::new(spec.seed);
    scenario.epoch = spec.epoch;
    scenario.limits = spec.limits;
    scenario.accounts = (0..spec.accounts.total)
        .map(|i| generated_account(spec, i))
        .collect();

    let mut profiles: Vec<Profile> = Profile::ALL
        .iter()
        .flat_map(|p| std::iter::repeat_n(*p, spec.groups.count(*p) as usize))
        .collect();
    profiles.shuffle(&mut derive::rng(spec.seed, Tag::Generator, &[0]));

    let vanish_at = spec.vanish_at.unwrap_or(spec.epoch);
    let mut stories_left = spec.with_stories;
    let mut handles = Vec::with_capacity(profiles.len());
    for (position, profile) in profiles.into_iter().enumerate() {
        let n = position as u64;
        let hash = derive::mix(spec.seed, Tag::Generator, &[1, n]);
        let username = format!(
            "{}_{}_{position:06}",
            ADJECTIVES[(hash % 12) as usize],
            NOUNS[((hash >> 8) % 10) as usize]
        );
        let line_for_username = |name: &str| match position % 4 {
            0 => format!("@{name}"),
            1 => format!("https://t.me/{name}"),
            2 => format!("t.me/{name}"),
            _ => name.to_owned(),
        };
        if profile == Profile::Missing {
            handles.push(GeneratedHandle {
                line: line_for_username(&username),
                profile,
                channel_id: None,
                username: Some(username),
                invite: None,
            });
            continue;
        }
        let mut group = if profile.is_invite() {
            GroupSpec::private(derive::base64url(spec.seed, Tag::InviteHash, &[n], 16))
        } else {
            GroupSpec::public(username.clone())
        };
        group.title = Some(title(&username, position));
        group.participants = 100 + (hash >> 16) as u32 % 50_000;
        apply_profile(&mut group, profile, spec, vanish_at);
        if group.kind == ChannelKind::Supergroup {
            group.chatter_every_secs = spec.chatter_every_secs;
        }
        if stories_left > 0 && !profile.is_inaccessible() {
            group.stories = 1 + (hash >> 40) as u32 % 5;
            stories_left -= 1;
        }
        scenario.groups.push(group);
        let index = scenario.groups.len() - 1;
        let invite = scenario.groups[index].invite.clone();
        let line = match &invite {
            Some(invite) if position % 2 == 0 => format!("https://t.me/+{invite}"),
            Some(invite) => format!("t.me/joinchat/{invite}"),
            None => line_for_username(&username),
        };
        handles.push(GeneratedHandle {
            line,
            profile,
            channel_id: Some(scenario.channel_id(index)),
            username: scenario.groups[index].username.clone(),
            invite,
        });
    }
    scenario.validate()?;
    Ok(Generated { scenario, handles })
}

fn generated_account(spec: &GeneratorSpec, i: u32) -> AccountSpec {
    let mix = spec.accounts;
    let mut account = AccountSpec::new(format!("acc{:04}", i + 1), format!("+62812{:08}", i + 1));
    let code = derive::mix(spec.seed, Tag::Generator, &[2, u64::from(i)]) % 90_000 + 10_000;
    account.code = Secret::new(code.to_string());
    account.first_name = Some(format!("Sim {}", i + 1));
    if i < mix.two_factor {
        account.password = Some(Secret::new(format!("pw-{}-{}", spec.seed, i + 1)));
    }
    account.signed_out = i < mix.signed_out;
    let from_end = mix.total - i;
    if from_end <= mix.deactivated {
        account.deactivated = true;
    } else if from_end <= mix.deactivated + mix.revoked {
        account.revoked = true;
    }
    account
}

fn title(username: &str, position: usize) -> String {
    let words: Vec<String> = username
        .split('_')
        .take(2)
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    format!("{} {}", words.join(" "), position + 1)
}

fn apply_profile(
    group: &mut GroupSpec,
    profile: Profile,
    spec: &GeneratorSpec,
    vanish_at: DateTime<Utc>,
) {
    let vanish = |how| Some(VanishSpec { at: vanish_at, how });
    match profile {
        Profile::Open | Profile::PrivateInvite | Profile::Missing => {}
        Profile::Broadcast => group.kind = ChannelKind::Broadcast,
        Profile::Approval => {
            group.approval_required = true;
            group.approve_after_secs = spec.approve_after_secs;
        }
        Profile::NoText => group.default_banned = vec![Right::SendPlain],
        Profile::NoMedia => group.default_banned = vec![Right::SendMedia],
        Profile::NoPhotos => group.default_banned = vec![Right::SendPhotos],
        Profile::NoVideos => group.default_banned = vec![Right::SendVideos],
        Profile::NoLinks => group.default_banned = vec![Right::EmbedLinks],
        Profile::JoinToSend => group.join_to_send = true,
        Profile::SlowMode => group.slow_mode_secs = spec.slow_mode_secs,
        Profile::BanFirstPost => group.ban_after_posts = Some(1),
        Profile::BanProbability => group.ban_probability = Some(spec.ban_probability),
        Profile::KickAfterJoin => group.kick_after_join_secs = Some(spec.kick_after_join_secs),
        Profile::VanishedPrivate => group.vanish = vanish(VanishKind::BecamePrivate),
        Profile::VanishedReleased => group.vanish = vanish(VanishKind::UsernameReleased),
        Profile::VanishedDeleted => group.vanish = vanish(VanishKind::Deleted),
        Profile::ExpiredInvite => group.invite_expires_at = Some(vanish_at),
        Profile::Paid => group.paid_stars = 10,
        Profile::BasicInvite => group.basic = true,
        Profile::Forum => group.forum = true,
        Profile::ClosedForum => {
            group.forum = true;
            group.general_closed = true;
        }
    }
}
