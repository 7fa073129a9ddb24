//! One group's check through the port: resolve the handle once if no peer is
//! stored, read the account's rights, and turn the answer (or the error) into a
//! verdict and the facts worth storing.

use chrono::{DateTime, Utc};
use tgfleet_domain::ReviewVerdict;
use tgfleet_store::{CatalogueFacts, ReviewTarget};
use tgfleet_telegram::{
    About, ChatKind, GroupAnswer, MembershipAnswer, PeerKind, PeerRef, Resolved, TelegramAccount,
    TgError,
};

/// What a check of one group came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The account saw the group (or saw it was gone).
    Verdict(Seen),
    /// The check failed for this group only (a network error, an unexpected answer).
    Failed {
        /// A peer resolved before the failure.
        resolved: Option<PeerRef>,
        /// The error.
        detail: String,
    },
    /// Telegram asked the account to wait: stop its checks.
    FloodWait(u32),
    /// The account itself cannot work any more.
    AccountFatal(TgError),
}

/// What the account saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The verdict.
    pub verdict: ReviewVerdict,
    /// A peer resolved during this check (stored if the membership has none).
    pub resolved: Option<PeerRef>,
    /// Catalogue facts.
    pub facts: CatalogueFacts,
    /// Slow-mode interval, if any.
    pub slow_mode_secs: Option<u32>,
    /// When slow mode lets the account send next.
    pub next_send_at: Option<DateTime<Utc>>,
    /// The error behind a banned or inaccessible verdict.
    pub detail: Option<String>,
}

impl Seen {
    fn verdict(verdict: ReviewVerdict) -> Self {
        Self {
            verdict,
            resolved: None,
            facts: CatalogueFacts::default(),
            slow_mode_secs: None,
            next_send_at: None,
            detail: None,
        }
    }
}

/// Port calls made by a check, for the event log.
pub const RESOLVE_ACTION: &str = "resolve";
/// The rights read, for the event log.
pub const RIGHTS_ACTION: &str = "review";

/// A port call's result, reported to the caller for the event log.
pub type CallReport<'a> = &'a mut (dyn FnMut(&'static str, &Result<(), TgError>) + Send);

/// Checks one group through `telegram`. `report` sees every port call's outcome.
pub async fn check_group(
    telegram: &dyn TelegramAccount,
    target: &ReviewTarget,
    now: DateTime<Utc>,
    report: CallReport<'_>,
) -> CheckOutcome {
    let mut resolved = None;
    let mut facts = CatalogueFacts::default();
    let peer = match target.peer.as_ref().and_then(peer_ref) {
        // A basic group joined before tgfleet refused them (a `chat`, no channel method
        // reaches it): the same verdict as its invite's.
        Some(peer) if peer.kind == PeerKind::Chat => {
            return CheckOutcome::Verdict(Seen::verdict(ReviewVerdict::BasicGroup));
        }
        Some(peer) => peer,
        None => {
            let answer = telegram.resolve(&target.handle).await;
            report(
                RESOLVE_ACTION,
                &answer.as_ref().map(drop).map_err(Clone::clone),
            );
            match answer {
                // A basic group (its invite, or its `chat`): the join path refuses it before
                // joining, and the review says the same.
                Ok(Resolved::Chat(chat)) if chat.kind == ChatKind::BasicGroup => {
                    return CheckOutcome::Verdict(Seen {
                        facts: CatalogueFacts {
                            kind: Some(chat.kind.as_str().to_owned()),
                            title: Some(chat.title),
                            telegram_id: Some(chat.peer.id),
                        },
                        ..Seen::verdict(ReviewVerdict::BasicGroup)
                    });
                }
                Ok(Resolved::Invite(preview)) if preview.basic_group => {
                    return CheckOutcome::Verdict(Seen {
                        facts: CatalogueFacts {
                            kind: Some(preview.kind().as_str().to_owned()),
                            title: Some(preview.title),
                            telegram_id: None,
                        },
                        ..Seen::verdict(ReviewVerdict::BasicGroup)
                    });
                }
                Ok(Resolved::Chat(chat)) => {
                    facts = CatalogueFacts {
                        kind: Some(chat.kind.as_str().to_owned()),
                        title: Some(chat.title),
                        telegram_id: Some(chat.peer.id),
                    };
                    resolved = Some(chat.peer);
                    chat.peer
                }
                Ok(Resolved::Invite(preview)) => {
                    return CheckOutcome::Verdict(Seen {
                        facts: CatalogueFacts {
                            kind: preview
                                .broadcast
                                .then(|| ChatKind::Broadcast.as_str().to_owned()),
                            title: Some(preview.title),
                            telegram_id: None,
                        },
                        ..Seen::verdict(ReviewVerdict::NotMember)
                    });
                }
                Err(error) => return from_error(error, None),
            }
        }
    };
    let answer = telegram.rights(&peer).await;
    report(
        RIGHTS_ACTION,
        &answer.as_ref().map(drop).map_err(Clone::clone),
    );
    match answer {
        Ok(rights) => {
            facts.kind = Some(rights.kind.as_str().to_owned());
            CheckOutcome::Verdict(Seen {
                verdict: ReviewVerdict::from_rights(&rights.write_rights(), now),
                resolved,
                facts,
                slow_mode_secs: rights.slow_mode_secs,
                next_send_at: rights.slow_mode_next_send_at,
                detail: None,
            })
        }
        Err(error) => from_error(error, resolved),
    }
}

/// The verdict an error stands for, or how the check ends.
fn from_error(error: TgError, resolved: Option<PeerRef>) -> CheckOutcome {
    let seen = |verdict| {
        CheckOutcome::Verdict(Seen {
            resolved,
            detail: Some(error.to_string()),
            ..Seen::verdict(verdict)
        })
    };
    match error.about {
        // Only answers about the group are verdicts on it.
        About::Group(GroupAnswer::BannedUs) => seen(ReviewVerdict::Banned),
        About::Group(GroupAnswer::Gone | GroupAnswer::BannedByTelegram) => {
            seen(ReviewVerdict::Inaccessible)
        }
        About::Membership(MembershipAnswer::NotMember) => seen(ReviewVerdict::NotMember),
        _ if error.flood_wait_secs().is_some() => {
            CheckOutcome::FloodWait(error.flood_wait_secs().unwrap_or_default())
        }
        _ if error.is_account_fatal() => CheckOutcome::AccountFatal(error),
        _ => CheckOutcome::Failed {
            resolved,
            detail: error.to_string(),
        },
    }
}

pub use tgfleet_runtime::peers::{peer_ref, stored_peer};

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use tgfleet_domain::CannotPost;
    use tgfleet_telegram::{BannedRights, ChatRights, MemberStatus};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-10T03:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn rights(status: MemberStatus, kind: ChatKind) -> ChatRights {
        ChatRights {
            status,
            kind,
            my_banned: None,
            default_banned: BannedRights::default(),
            join_to_send: false,
            paid_stars: None,
            slow_mode_secs: None,
            slow_mode_next_send_at: None,
            general_topic_closed: false,
        }
    }

    fn verdict(rights: &ChatRights) -> ReviewVerdict {
        ReviewVerdict::from_rights(&rights.write_rights(), now())
    }

    #[test]
    fn verdicts_from_chat_rights() {
        let member = rights(MemberStatus::Member, ChatKind::Supergroup);
        assert_eq!(verdict(&member), ReviewVerdict::CanPost);
        assert_eq!(
            verdict(&rights(MemberStatus::Member, ChatKind::Broadcast)),
            ReviewVerdict::CannotPost(CannotPost::Broadcast)
        );
        assert_eq!(
            verdict(&rights(MemberStatus::Member, ChatKind::Gigagroup)),
            ReviewVerdict::CannotPost(CannotPost::Broadcast)
        );
        assert_eq!(
            verdict(&rights(MemberStatus::Admin, ChatKind::Broadcast)),
            ReviewVerdict::CanPost
        );
        assert_eq!(
            verdict(&rights(MemberStatus::Left, ChatKind::Supergroup)),
            ReviewVerdict::NotMember
        );
        assert_eq!(
            verdict(&rights(MemberStatus::Banned, ChatKind::Supergroup)),
            ReviewVerdict::Banned
        );
        let no_text = ChatRights {
            default_banned: BannedRights {
                send_messages: true,
                ..BannedRights::default()
            },
            ..member.clone()
        };
        assert_eq!(
            verdict(&no_text),
            ReviewVerdict::CannotPost(CannotPost::DefaultRights)
        );
        let no_links = ChatRights {
            default_banned: BannedRights {
                embed_links: true,
                send_media: true,
                ..BannedRights::default()
            },
            join_to_send: true,
            slow_mode_secs: Some(60),
            ..member.clone()
        };
        assert_eq!(verdict(&no_links), ReviewVerdict::CanPost);
    }

    #[test]
    fn personal_restrictions_count_until_they_end() {
        let restricted = |until| ChatRights {
            my_banned: Some(BannedRights {
                send_messages: true,
                until,
                ..BannedRights::default()
            }),
            ..rights(MemberStatus::Member, ChatKind::Supergroup)
        };
        // Without an end, the admins' restriction is a ban (as the pre-check reads it).
        assert_eq!(verdict(&restricted(None)), ReviewVerdict::Banned);
        assert_eq!(
            verdict(&restricted(Some(now() + TimeDelta::hours(1)))),
            ReviewVerdict::CannotPost(CannotPost::RestrictedPersonally)
        );
        assert_eq!(
            verdict(&restricted(Some(now() - TimeDelta::seconds(1)))),
            ReviewVerdict::CanPost
        );
        let unreadable = ChatRights {
            my_banned: Some(BannedRights {
                view_messages: true,
                ..BannedRights::default()
            }),
            ..rights(MemberStatus::Member, ChatKind::Supergroup)
        };
        assert_eq!(verdict(&unreadable), ReviewVerdict::Banned);
    }

    #[test]
    fn errors_become_verdicts_or_stop_the_account() {
        let verdict_of = |error: TgError| match from_error(error, None) {
            CheckOutcome::Verdict(seen) => Some(seen.verdict),
            _ => None,
        };
        assert_eq!(
            verdict_of(TgError::from_rpc(400, "USER_KICKED", None)),
            Some(ReviewVerdict::Banned)
        );
        // A spam-limited account says nothing about the group.
        assert!(matches!(
            from_error(TgError::from_rpc(400, "USER_BANNED_IN_CHANNEL", None), None),
            CheckOutcome::Failed { .. }
        ));
        assert_eq!(
            verdict_of(TgError::from_rpc(400, "CHANNEL_BANNED", None)),
            Some(ReviewVerdict::Inaccessible)
        );
        assert_eq!(
            verdict_of(TgError::from_rpc(400, "USERNAME_NOT_OCCUPIED", None)),
            Some(ReviewVerdict::Inaccessible)
        );
        assert_eq!(
            from_error(TgError::flood_wait(42), None),
            CheckOutcome::FloodWait(42)
        );
        assert!(matches!(
            from_error(TgError::from_rpc(401, "SESSION_REVOKED", None), None),
            CheckOutcome::AccountFatal(_)
        ));
        assert!(matches!(
            from_error(TgError::transient("timeout"), None),
            CheckOutcome::Failed { .. }
        ));
    }
}
