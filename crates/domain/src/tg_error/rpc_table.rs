//! The one table from Telegram's RPC error names to [`About`].
//!
//! Every row cites where the name is listed: Telethon's
//! `telethon_generator/data/errors.csv` (commit 85c4a913) and the error lists of
//! the Pyrogram fork TelegramPlayground/PyroTGFork, `compiler/errors/source/*.tsv`
//! (commit be850462), by file and line. A name no public source lists is not here.
//! Names are as grammers reports them: the number split off (`FLOOD_WAIT_X` →
//! `FLOOD_WAIT` with a value). Names the table does not list fall back to the code's
//! documented meaning (<https://core.telegram.org/api/errors>).

use super::{
    About, AccountAnswer as A, CallAnswer, ContentKind as K, GroupAnswer as G, JoinNote,
    MembershipAnswer as M, WaitKind,
};

/// What a row says about its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A wait of the value's seconds.
    Wait(WaitKind),
    /// A fixed class.
    Is(About),
}

const fn call(answer: CallAnswer) -> Rule {
    Rule::Is(About::Call(answer))
}
const fn account(answer: A) -> Rule {
    Rule::Is(About::Account(answer))
}
const fn member(answer: M) -> Rule {
    Rule::Is(About::Membership(answer))
}
const fn content(kind: K) -> Rule {
    Rule::Is(About::Content(kind))
}
const fn group(answer: G) -> Rule {
    Rule::Is(About::Group(answer))
}
const fn join(note: JoinNote) -> Rule {
    Rule::Is(About::Join(note))
}

/// The table: RPC name (as grammers splits it) and its rule. Each row is preceded by
/// the comment naming its source.
pub const ROWS: &[(&str, Rule)] = &[
    // Telethon errors.csv:181 FLOOD_WAIT_X,420; PyroTGFork 420_FLOOD.tsv:6
    ("FLOOD_WAIT", Rule::Wait(WaitKind::Flood)),
    // Telethon errors.csv:180 FLOOD_TEST_PHONE_WAIT_X,420; PyroTGFork 420_FLOOD.tsv:5
    ("FLOOD_TEST_PHONE_WAIT", Rule::Wait(WaitKind::Flood)),
    // Telethon errors.csv:446 TAKEOUT_INIT_DELAY_X,420
    ("TAKEOUT_INIT_DELAY", Rule::Wait(WaitKind::Flood)),
    // Telethon errors.csv:182 FLOOD_PREMIUM_WAIT_X,420 (upload speed of non-premium accounts); PyroTGFork 420_FLOOD.tsv:4
    ("FLOOD_PREMIUM_WAIT", Rule::Wait(WaitKind::Upload)),
    // Telethon errors.csv:414 SLOWMODE_WAIT_X,420; PyroTGFork 420_FLOOD.tsv:9
    ("SLOWMODE_WAIT", Rule::Wait(WaitKind::SlowMode)),
    // Telethon errors.csv:386 RPC_CALL_FAIL,500; PyroTGFork 500_INTERNAL_SERVER_ERROR.tsv:44
    ("RPC_CALL_FAIL", call(CallAnswer::Transient)),
    // Telethon errors.csv:387 RPC_MCGET_FAIL,500; PyroTGFork 500_INTERNAL_SERVER_ERROR.tsv:46
    ("RPC_MCGET_FAIL", call(CallAnswer::Transient)),
    // Telethon errors.csv:225 INTERDC_X_CALL_ERROR,500; PyroTGFork 500_INTERNAL_SERVER_ERROR.tsv:22
    ("INTERDC_CALL_ERROR", call(CallAnswer::Transient)),
    // Telethon errors.csv:226 INTERDC_X_CALL_RICH_ERROR,500; PyroTGFork 500_INTERNAL_SERVER_ERROR.tsv:23
    ("INTERDC_CALL_RICH_ERROR", call(CallAnswer::Transient)),
    // Telethon errors.csv:170 FILE_PART_X_MISSING,400 "Part {which} of the file is missing from storage"; PyroTGFork 400_BAD_REQUEST.tsv:214 "Try repeating the method call to resave the part"
    ("FILE_PART_MISSING", call(CallAnswer::Transient)),
    // Telethon errors.csv:456 TIMEOUT,500 "A timeout occurred while fetching data from the worker"
    ("TIMEOUT", call(CallAnswer::Transient)),
    // Telethon errors.csv:363 RANDOM_ID_DUPLICATE,500 "a random ID that was already used"; PyroTGFork 500_INTERNAL_SERVER_ERROR.tsv:42
    ("RANDOM_ID_DUPLICATE", call(CallAnswer::UnknownOutcome)),
    // Telethon errors.csv:303 PEER_FLOOD,400; PyroTGFork 400_BAD_REQUEST.tsv:387 "spamreported ... check @spambot"
    ("PEER_FLOOD", account(A::SpamLimited)),
    // Telethon errors.csv:488 USER_BANNED_IN_CHANNEL,400 "banned from sending messages in supergroups/channels"; PyroTGFork 400_BAD_REQUEST.tsv:657
    ("USER_BANNED_IN_CHANNEL", account(A::SpamLimited)),
    // Telethon errors.csv:507 USER_RESTRICTED,403 406 "spamreported"; PyroTGFork 403_FORBIDDEN.tsv:59
    ("USER_RESTRICTED", account(A::SpamLimited)),
    // PyroTGFork 420_FLOOD.tsv:7 FROZEN_METHOD_INVALID (a 420 that is not a wait); core.telegram.org/api/auth#frozen-accounts
    ("FROZEN_METHOD_INVALID", account(A::Frozen)),
    // PyroTGFork 400_BAD_REQUEST.tsv:238 FROZEN_PARTICIPANT_MISSING; core.telegram.org/api/auth#frozen-accounts
    ("FROZEN_PARTICIPANT_MISSING", account(A::Frozen)),
    // Telethon errors.csv:18 AUTH_KEY_DUPLICATED,406; PyroTGFork 406_NOT_ACCEPTABLE.tsv:5
    ("AUTH_KEY_DUPLICATED", account(A::DeadKey)),
    // Telethon errors.csv:21 AUTH_KEY_UNREGISTERED,401; PyroTGFork 401_UNAUTHORIZED.tsv:5
    ("AUTH_KEY_UNREGISTERED", account(A::DeadKey)),
    // Telethon errors.csv:405 SESSION_REVOKED,401; PyroTGFork 401_UNAUTHORIZED.tsv:8
    ("SESSION_REVOKED", account(A::DeadKey)),
    // Telethon errors.csv:19 AUTH_KEY_INVALID,401; PyroTGFork 401_UNAUTHORIZED.tsv:3
    ("AUTH_KEY_INVALID", account(A::Unauthorized)),
    // Telethon errors.csv:20 AUTH_KEY_PERM_EMPTY,401; PyroTGFork 401_UNAUTHORIZED.tsv:4
    ("AUTH_KEY_PERM_EMPTY", account(A::Unauthorized)),
    // Telethon errors.csv:403 SESSION_EXPIRED,401; PyroTGFork 401_UNAUTHORIZED.tsv:6
    ("SESSION_EXPIRED", account(A::Unauthorized)),
    // Telethon errors.csv:404 SESSION_PASSWORD_NEEDED,401; PyroTGFork 401_UNAUTHORIZED.tsv:7
    ("SESSION_PASSWORD_NEEDED", account(A::Unauthorized)),
    // Telethon errors.csv:495 USER_DEACTIVATED,401; PyroTGFork 401_UNAUTHORIZED.tsv:9
    ("USER_DEACTIVATED", account(A::Deactivated)),
    // Telethon errors.csv:496 USER_DEACTIVATED_BAN,401; PyroTGFork 401_UNAUTHORIZED.tsv:10
    ("USER_DEACTIVATED_BAN", account(A::Deactivated)),
    // Telethon errors.csv:68 CHANNELS_TOO_MUCH,400; PyroTGFork 400_BAD_REQUEST.tsv:96
    ("CHANNELS_TOO_MUCH", account(A::TooManyChannels)),
    // Telethon errors.csv:505 USER_NOT_PARTICIPANT,400; PyroTGFork 400_BAD_REQUEST.tsv:672
    ("USER_NOT_PARTICIPANT", member(M::NotMember)),
    // Telethon errors.csv:94 CHAT_RESTRICTED,400; PyroTGFork 400_BAD_REQUEST.tsv:128 "you were restricted"
    ("CHAT_RESTRICTED", member(M::Restricted)),
    // Telethon errors.csv:74 CHANNEL_PRIVATE,400 406 "private ... or you were banned"; PyroTGFork 400_BAD_REQUEST.tsv:104 "You haven't joined"
    ("CHANNEL_PRIVATE", member(M::PeerStale)),
    // Telethon errors.csv:72 CHANNEL_INVALID,400; PyroTGFork 400_BAD_REQUEST.tsv:101
    ("CHANNEL_INVALID", member(M::PeerStale)),
    // Telethon errors.csv:305 PEER_ID_INVALID,400; PyroTGFork 400_BAD_REQUEST.tsv:389
    ("PEER_ID_INVALID", member(M::PeerStale)),
    // Telethon errors.csv:89 CHAT_ID_INVALID,400; PyroTGFork 400_BAD_REQUEST.tsv:121
    ("CHAT_ID_INVALID", member(M::PeerStale)),
    // Telethon errors.csv:86 CHAT_GUEST_SEND_FORBIDDEN,403 "join the discussion group before commenting"; PyroTGFork 403_FORBIDDEN.tsv:15
    ("CHAT_GUEST_SEND_FORBIDDEN", member(M::JoinFirst)),
    // PyroTGFork 403_FORBIDDEN.tsv:23 CHAT_SEND_PLAIN_FORBIDDEN
    ("CHAT_SEND_PLAIN_FORBIDDEN", content(K::Plain)),
    // Telethon errors.csv:99 CHAT_SEND_MEDIA_FORBIDDEN,403; PyroTGFork 403_FORBIDDEN.tsv:21
    ("CHAT_SEND_MEDIA_FORBIDDEN", content(K::Media)),
    // PyroTGFork 403_FORBIDDEN.tsv:22 CHAT_SEND_PHOTOS_FORBIDDEN
    ("CHAT_SEND_PHOTOS_FORBIDDEN", content(K::Photos)),
    // PyroTGFork 403_FORBIDDEN.tsv:27 CHAT_SEND_VIDEOS_FORBIDDEN
    ("CHAT_SEND_VIDEOS_FORBIDDEN", content(K::Videos)),
    // PyroTGFork 403_FORBIDDEN.tsv:17 CHAT_SEND_DOCS_FORBIDDEN
    ("CHAT_SEND_DOCS_FORBIDDEN", content(K::Docs)),
    // PyroTGFork 403_FORBIDDEN.tsv:16 CHAT_SEND_AUDIOS_FORBIDDEN
    ("CHAT_SEND_AUDIOS_FORBIDDEN", content(K::Audios)),
    // PyroTGFork 403_FORBIDDEN.tsv:28 CHAT_SEND_VOICES_FORBIDDEN
    ("CHAT_SEND_VOICES_FORBIDDEN", content(K::Voices)),
    // PyroTGFork 403_FORBIDDEN.tsv:25 CHAT_SEND_ROUNDVIDEOS_FORBIDDEN
    ("CHAT_SEND_ROUNDVIDEOS_FORBIDDEN", content(K::RoundVideos)),
    // Telethon errors.csv:101 CHAT_SEND_STICKERS_FORBIDDEN,403; PyroTGFork 403_FORBIDDEN.tsv:26
    ("CHAT_SEND_STICKERS_FORBIDDEN", content(K::Stickers)),
    // Telethon errors.csv:97 CHAT_SEND_GIFS_FORBIDDEN,403; PyroTGFork 403_FORBIDDEN.tsv:19
    ("CHAT_SEND_GIFS_FORBIDDEN", content(K::Gifs)),
    // Telethon errors.csv:100 CHAT_SEND_POLL_FORBIDDEN,403; PyroTGFork 403_FORBIDDEN.tsv:24
    ("CHAT_SEND_POLL_FORBIDDEN", content(K::Polls)),
    // Telethon errors.csv:98 CHAT_SEND_INLINE_FORBIDDEN,400 403; PyroTGFork 403_FORBIDDEN.tsv:20
    ("CHAT_SEND_INLINE_FORBIDDEN", content(K::Inline)),
    // Telethon errors.csv:96 CHAT_SEND_GAME_FORBIDDEN,403; PyroTGFork 403_FORBIDDEN.tsv:18
    ("CHAT_SEND_GAME_FORBIDDEN", content(K::Games)),
    // PyroTGFork 403_FORBIDDEN.tsv:29 CHAT_SEND_WEBPAGE_FORBIDDEN "can't send webpage previews"
    ("CHAT_SEND_WEBPAGE_FORBIDDEN", content(K::LinkPreviews)),
    // PyroTGFork 403_FORBIDDEN.tsv:3 ALLOW_PAYMENT_REQUIRED_X "charges {value} Stars per message"
    ("ALLOW_PAYMENT_REQUIRED", content(K::Paid)),
    // Telethon errors.csv:502 USER_KICKED,400; PyroTGFork 400_BAD_REQUEST.tsv:670
    ("USER_KICKED", group(G::BannedUs)),
    // Telethon errors.csv:83 CHAT_FORBIDDEN,403; PyroTGFork 403_FORBIDDEN.tsv:14 "not available to the current user"
    ("CHAT_FORBIDDEN", group(G::BannedUs)),
    // Telethon errors.csv:104 CHAT_WRITE_FORBIDDEN,403; PyroTGFork 403_FORBIDDEN.tsv:31
    ("CHAT_WRITE_FORBIDDEN", group(G::WriteForbidden)),
    // Telethon errors.csv:81 CHAT_ADMIN_REQUIRED,400 403; PyroTGFork 403_FORBIDDEN.tsv:13
    ("CHAT_ADMIN_REQUIRED", group(G::WriteForbidden)),
    // Telethon errors.csv:69 CHANNEL_BANNED,400 "The channel is banned"; PyroTGFork 400_BAD_REQUEST.tsv:98
    ("CHANNEL_BANNED", group(G::BannedByTelegram)),
    // Telethon errors.csv:75 CHANNEL_PUBLIC_GROUP_NA,403; PyroTGFork 403_FORBIDDEN.tsv:10
    ("CHANNEL_PUBLIC_GROUP_NA", group(G::Gone)),
    // Telethon errors.csv:90 CHAT_INVALID,400; PyroTGFork 400_BAD_REQUEST.tsv:122
    ("CHAT_INVALID", group(G::Gone)),
    // Telethon errors.csv:478 USERNAME_NOT_OCCUPIED,400; PyroTGFork 400_BAD_REQUEST.tsv:647
    ("USERNAME_NOT_OCCUPIED", group(G::Gone)),
    // Telethon errors.csv:476 USERNAME_INVALID,400; PyroTGFork 400_BAD_REQUEST.tsv:645
    ("USERNAME_INVALID", group(G::Gone)),
    // Telethon errors.csv:229 INVITE_HASH_EXPIRED,400 406; PyroTGFork 400_BAD_REQUEST.tsv:294
    ("INVITE_HASH_EXPIRED", group(G::Gone)),
    // Telethon errors.csv:230 INVITE_HASH_INVALID,400; PyroTGFork 400_BAD_REQUEST.tsv:295
    ("INVITE_HASH_INVALID", group(G::Gone)),
    // Telethon errors.csv:228 INVITE_HASH_EMPTY,400; PyroTGFork 400_BAD_REQUEST.tsv:293
    ("INVITE_HASH_EMPTY", group(G::Gone)),
    // PyroTGFork 400_BAD_REQUEST.tsv:620 TOPIC_CLOSED; 406_NOT_ACCEPTABLE.tsv:31
    ("TOPIC_CLOSED", group(G::TopicClosed)),
    // Telethon errors.csv:461 TOPIC_DELETED,400; PyroTGFork 400_BAD_REQUEST.tsv:622
    ("TOPIC_DELETED", group(G::TopicClosed)),
    // Telethon errors.csv:84 CHAT_FORWARDS_RESTRICTED,400 406 "You can't forward messages from a protected chat"; PyroTGFork 400_BAD_REQUEST.tsv:119
    ("CHAT_FORWARDS_RESTRICTED", Rule::Is(About::Source)),
    // Telethon errors.csv:231 INVITE_REQUEST_SENT,400; PyroTGFork 400_BAD_REQUEST.tsv:296
    ("INVITE_REQUEST_SENT", join(JoinNote::RequestSent)),
    // Telethon errors.csv:487 USER_ALREADY_PARTICIPANT,400; PyroTGFork 400_BAD_REQUEST.tsv:656
    ("USER_ALREADY_PARTICIPANT", join(JoinNote::AlreadyMember)),
];

/// Classifies one RPC error. A listed name answers from its row. An unlisted name
/// falls back on its code (<https://core.telegram.org/api/errors>): 420 with a value
/// and a `*_WAIT` / `*_DELAY` name is a wait; 401 is unauthorized; 500 and the
/// negative service codes are transient; anything else is unexpected.
pub fn classify(code: i32, name: &str, value: Option<u32>) -> About {
    if let Some((_, rule)) = ROWS.iter().find(|(row, _)| *row == name) {
        return match rule {
            Rule::Wait(kind) => About::Call(CallAnswer::Wait(*kind, value.unwrap_or(0))),
            Rule::Is(about) => *about,
        };
    }
    let waits = name.ends_with("_WAIT") || name.ends_with("_DELAY");
    match code {
        420 if waits && value.is_some() => {
            About::Call(CallAnswer::Wait(WaitKind::Flood, value.unwrap_or(0)))
        }
        401 => About::Account(A::Unauthorized),
        500.. | -503 | -500 => About::Call(CallAnswer::Transient),
        _ => About::Unexpected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The class every mapped name must have.
    fn expected() -> Vec<(About, &'static [&'static str])> {
        use CallAnswer::{Transient, UnknownOutcome};
        vec![
            (
                About::Call(Transient),
                &[
                    "RPC_CALL_FAIL",
                    "RPC_MCGET_FAIL",
                    "INTERDC_CALL_ERROR",
                    "INTERDC_CALL_RICH_ERROR",
                    "TIMEOUT",
                    "FILE_PART_MISSING",
                ],
            ),
            (About::Call(UnknownOutcome), &["RANDOM_ID_DUPLICATE"]),
            (
                About::Account(A::SpamLimited),
                &["PEER_FLOOD", "USER_BANNED_IN_CHANNEL", "USER_RESTRICTED"],
            ),
            (
                About::Account(A::Frozen),
                &["FROZEN_METHOD_INVALID", "FROZEN_PARTICIPANT_MISSING"],
            ),
            (
                About::Account(A::DeadKey),
                &[
                    "AUTH_KEY_DUPLICATED",
                    "AUTH_KEY_UNREGISTERED",
                    "SESSION_REVOKED",
                ],
            ),
            (
                About::Account(A::Unauthorized),
                &[
                    "AUTH_KEY_INVALID",
                    "AUTH_KEY_PERM_EMPTY",
                    "SESSION_EXPIRED",
                    "SESSION_PASSWORD_NEEDED",
                ],
            ),
            (
                About::Account(A::Deactivated),
                &["USER_DEACTIVATED", "USER_DEACTIVATED_BAN"],
            ),
            (About::Account(A::TooManyChannels), &["CHANNELS_TOO_MUCH"]),
            (About::Membership(M::NotMember), &["USER_NOT_PARTICIPANT"]),
            (About::Membership(M::Restricted), &["CHAT_RESTRICTED"]),
            (
                About::Membership(M::PeerStale),
                &[
                    "CHANNEL_PRIVATE",
                    "CHANNEL_INVALID",
                    "PEER_ID_INVALID",
                    "CHAT_ID_INVALID",
                ],
            ),
            (
                About::Membership(M::JoinFirst),
                &["CHAT_GUEST_SEND_FORBIDDEN"],
            ),
            (About::Content(K::Plain), &["CHAT_SEND_PLAIN_FORBIDDEN"]),
            (About::Content(K::Media), &["CHAT_SEND_MEDIA_FORBIDDEN"]),
            (About::Content(K::Photos), &["CHAT_SEND_PHOTOS_FORBIDDEN"]),
            (About::Content(K::Videos), &["CHAT_SEND_VIDEOS_FORBIDDEN"]),
            (About::Content(K::Docs), &["CHAT_SEND_DOCS_FORBIDDEN"]),
            (About::Content(K::Audios), &["CHAT_SEND_AUDIOS_FORBIDDEN"]),
            (About::Content(K::Voices), &["CHAT_SEND_VOICES_FORBIDDEN"]),
            (
                About::Content(K::RoundVideos),
                &["CHAT_SEND_ROUNDVIDEOS_FORBIDDEN"],
            ),
            (
                About::Content(K::Stickers),
                &["CHAT_SEND_STICKERS_FORBIDDEN"],
            ),
            (About::Content(K::Gifs), &["CHAT_SEND_GIFS_FORBIDDEN"]),
            (About::Content(K::Polls), &["CHAT_SEND_POLL_FORBIDDEN"]),
            (About::Content(K::Inline), &["CHAT_SEND_INLINE_FORBIDDEN"]),
            (About::Content(K::Games), &["CHAT_SEND_GAME_FORBIDDEN"]),
            (
                About::Content(K::LinkPreviews),
                &["CHAT_SEND_WEBPAGE_FORBIDDEN"],
            ),
            (About::Content(K::Paid), &["ALLOW_PAYMENT_REQUIRED"]),
            (
                About::Group(G::BannedUs),
                &["USER_KICKED", "CHAT_FORBIDDEN"],
            ),
            (
                About::Group(G::WriteForbidden),
                &["CHAT_WRITE_FORBIDDEN", "CHAT_ADMIN_REQUIRED"],
            ),
            (About::Group(G::BannedByTelegram), &["CHANNEL_BANNED"]),
            (
                About::Group(G::Gone),
                &[
                    "CHANNEL_PUBLIC_GROUP_NA",
                    "CHAT_INVALID",
                    "USERNAME_NOT_OCCUPIED",
                    "USERNAME_INVALID",
                    "INVITE_HASH_EXPIRED",
                    "INVITE_HASH_INVALID",
                    "INVITE_HASH_EMPTY",
                ],
            ),
            (
                About::Group(G::TopicClosed),
                &["TOPIC_CLOSED", "TOPIC_DELETED"],
            ),
            (About::Source, &["CHAT_FORWARDS_RESTRICTED"]),
            (About::Join(JoinNote::RequestSent), &["INVITE_REQUEST_SENT"]),
            (
                About::Join(JoinNote::AlreadyMember),
                &["USER_ALREADY_PARTICIPANT"],
            ),
        ]
    }

    #[test]
    fn every_mapped_name_has_its_class() {
        let waits = [
            ("FLOOD_WAIT", WaitKind::Flood),
            ("FLOOD_TEST_PHONE_WAIT", WaitKind::Flood),
            ("TAKEOUT_INIT_DELAY", WaitKind::Flood),
            ("FLOOD_PREMIUM_WAIT", WaitKind::Upload),
            ("SLOWMODE_WAIT", WaitKind::SlowMode),
        ];
        let mut covered = BTreeSet::new();
        for (name, kind) in waits {
            assert_eq!(
                classify(420, name, Some(31)),
                About::Call(CallAnswer::Wait(kind, 31)),
                "{name}"
            );
            covered.insert(name);
        }
        for (about, names) in expected() {
            for name in names {
                // The row decides, whatever code Telegram sends it with.
                for code in [400, 403, 406, 420, 500] {
                    assert_eq!(classify(code, name, None), about, "{code} {name}");
                }
                assert!(covered.insert(name), "{name} expected twice");
            }
        }
        let mapped: BTreeSet<&str> = ROWS.iter().map(|(name, _)| *name).collect();
        assert_eq!(mapped.len(), ROWS.len(), "a name is mapped twice");
        assert_eq!(
            mapped, covered,
            "every mapped name is checked, and only those"
        );
    }

    #[test]
    fn every_row_cites_its_source() {
        let source = include_str!("rpc_table.rs");
        let table = source
            .split("pub const ROWS")
            .nth(1)
            .and_then(|rest| rest.split("\n];").next())
            .expect("the ROWS table");
        let lines: Vec<&str> = table.lines().map(str::trim).collect();
        let mut rows = 0;
        for (at, line) in lines.iter().enumerate() {
            let Some(name) = line
                .strip_prefix("(\"")
                .and_then(|rest| rest.split('"').next())
            else {
                continue;
            };
            rows += 1;
            let comment = lines[at - 1];
            assert!(
                comment.starts_with("// "),
                "row {name} has no source comment"
            );
            let cites_a_line = ["errors.csv:", ".tsv:"]
                .iter()
                .any(|file| comment.contains(file));
            assert!(
                cites_a_line,
                "row {name}: {comment:?} names no file and line"
            );
            let listed = comment.contains(name)
                || comment.contains(&format!("{name}_X"))
                || name.split('_').all(|word| comment.contains(word));
            assert!(listed, "row {name}: the comment does not quote the name");
        }
        assert_eq!(rows, ROWS.len(), "every row was read");
    }

    #[test]
    fn unlisted_names_fall_back_on_their_code() {
        let about = |code, name, value| classify(code, name, value);
        assert_eq!(
            about(420, "SOMETHING_NEW_WAIT", Some(9)),
            About::Call(CallAnswer::Wait(WaitKind::Flood, 9))
        );
        // A 420 that is no wait with a value is not a wait.
        assert_eq!(about(420, "SOMETHING_NEW_WAIT", None), About::Unexpected);
        assert_eq!(about(420, "SOMETHING_ELSE", Some(3)), About::Unexpected);
        assert_eq!(
            about(401, "SOME_NEW_401", None),
            About::Account(A::Unauthorized)
        );
        assert_eq!(
            about(-503, "Timedout", None),
            About::Call(CallAnswer::Transient)
        );
        assert_eq!(
            about(500, "NEW_INTERNAL", None),
            About::Call(CallAnswer::Transient)
        );
        assert_eq!(about(400, "MESSAGE_EMPTY", None), About::Unexpected);
    }
}
