//! The group-reviewer's verdicts: what an account's standing in a group means for
//! the group's catalogue status, its `can_post` flag and the membership row.
//!
//! The reviewer reads a group's rights as the marketer's pre-check does: the port's
//! `ChatRights` become a [`WriteRights`] (`tgfleet_telegram::ChatRights::write_rights`)
//! and [`precheck`] judges them, asked whether the account may post anything at all.

use crate::post_outcome::{ContentNeeds, Precheck, WriteRights, precheck};
use crate::{ContentKind, GroupStatus, MembershipState};
use chrono::{DateTime, Utc};

/// Why a member cannot post.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CannotPost {
    /// A broadcast channel where the account is not an admin.
    Broadcast,
    /// The admins restricted this account until a date: the group stays open
    /// (the marketer retries after the restriction ends).
    RestrictedPersonally,
    /// The group's default rights forbid messages.
    DefaultRights,
    /// The group charges Stars per message and no campaign pays.
    Paid,
    /// A forum whose General topic is closed to members.
    TopicClosed,
    /// A legacy basic group: tgfleet neither joins nor posts there.
    BasicGroup,
}

impl CannotPost {
    /// A short reason for `groups.status_reason` and the review history.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Broadcast => "broadcast channel: only admins post",
            Self::RestrictedPersonally => "the account is restricted from sending until a date",
            Self::DefaultRights => "the group's default rights forbid messages",
            Self::Paid => "the group charges Stars per message",
            Self::TopicClosed => "forum: the General topic is closed to members",
            Self::BasicGroup => "basic group: tgfleet posts only to supergroups and channels",
        }
    }
}

/// What one review of one group found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReviewVerdict {
    /// A member that may post.
    CanPost,
    /// A member that may not post.
    CannotPost(CannotPost),
    /// Reachable, but the account is not a member.
    NotMember,
    /// The account is banned in the group.
    Banned,
    /// The group is private, gone, or its invite expired.
    Inaccessible,
    /// A legacy basic group (its invite says so): reachable, but tgfleet neither
    /// joins nor posts there ([`CannotPost::BasicGroup`]).
    BasicGroup,
}

impl ReviewVerdict {
    /// The verdict for an account that could read the group's rights, from the
    /// marketer's own pre-check ([`precheck`] with [`ContentNeeds::ANYTHING`]): a ban
    /// or a restriction without end is `Banned` for both; a restriction with an end
    /// keeps the group open; a refused content kind leaves the others postable.
    pub fn from_rights(rights: &WriteRights, now: DateTime<Utc>) -> Self {
        match precheck(rights, ContentNeeds::ANYTHING, now) {
            Precheck::RefusesContent(ContentKind::Paid) => Self::CannotPost(CannotPost::Paid),
            Precheck::Clear
            | Precheck::ClearWithoutPreview
            | Precheck::SlowModeUntil(_)
            | Precheck::RefusesContent(_) => Self::CanPost,
            Precheck::NotMember => Self::NotMember,
            Precheck::Banned(_) => Self::Banned,
            Precheck::CannotPost(code) if code == Precheck::BROADCAST => {
                Self::CannotPost(CannotPost::Broadcast)
            }
            Precheck::CannotPost(code) if code == Precheck::TOPIC_CLOSED => {
                Self::CannotPost(CannotPost::TopicClosed)
            }
            Precheck::CannotPost(_) => Self::CannotPost(CannotPost::DefaultRights),
            Precheck::RestrictedUntil(_) => {
                let group_only = WriteRights {
                    mine: Default::default(),
                    ..*rights
                };
                match Self::from_rights(&group_only, now) {
                    Self::CanPost => Self::CannotPost(CannotPost::RestrictedPersonally),
                    group => group,
                }
            }
        }
    }

    /// The word stored in `review_findings.finding` and used as a metrics label.
    pub fn finding(self) -> &'static str {
        match self {
            Self::CanPost => "can_post",
            Self::CannotPost(_) | Self::BasicGroup => "cannot_post",
            Self::NotMember => "not_member",
            Self::Banned => "banned",
            Self::Inaccessible => "inaccessible",
        }
    }

    /// Whether the account is a member (may or may not post).
    pub fn is_member(self) -> bool {
        matches!(self, Self::CanPost | Self::CannotPost(_))
    }

    /// The group's status and `can_post` after this verdict. A group already
    /// `banned` stays banned whatever the account sees now (invariant 4: a group
    /// that banned or forbade one account is off-limits; only the operator lifts it).
    pub fn group_after(self, current: GroupStatus) -> GroupReview {
        let (status, can_post, reason) = match self {
            Self::Banned => (GroupStatus::Banned, false, Some("banned the account")),
            _ if current == GroupStatus::Banned => (GroupStatus::Banned, false, None),
            Self::Inaccessible => (GroupStatus::Inaccessible, false, None),
            Self::CanPost => (GroupStatus::Active, true, None),
            Self::CannotPost(CannotPost::RestrictedPersonally) => (
                GroupStatus::Active,
                true,
                Some(CannotPost::RestrictedPersonally.as_str()),
            ),
            Self::CannotPost(why) => (GroupStatus::Active, false, Some(why.as_str())),
            Self::BasicGroup => (
                GroupStatus::Active,
                false,
                Some(CannotPost::BasicGroup.as_str()),
            ),
            Self::NotMember => (
                GroupStatus::Active,
                false,
                Some("the responsible account is not a member"),
            ),
        };
        GroupReview {
            status,
            can_post,
            reason,
        }
    }

    /// The membership state after this verdict. Only facts the review saw change
    /// it: membership, a ban, a group that is gone. A pending join stays pending
    /// when the account is simply not a member yet (the join planner owns it).
    pub fn membership_after(self, current: MembershipState) -> MembershipState {
        use MembershipState as State;
        match (self, current) {
            (Self::CanPost | Self::CannotPost(_), _) => State::Joined,
            (Self::Banned, _) => State::Banned,
            (Self::NotMember | Self::Inaccessible, State::Joined) => State::Left,
            (Self::Inaccessible | Self::BasicGroup, State::Pending | State::JoinRequested) => {
                State::Failed
            }
            (Self::NotMember | Self::Inaccessible | Self::BasicGroup, other) => other,
        }
    }
}

/// A group's catalogue fields after a review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupReview {
    /// The new status.
    pub status: GroupStatus,
    /// Whether the marketer may post there.
    pub can_post: bool,
    /// Why, when the status or `can_post` needs an explanation (`None` keeps
    /// the stored reason when the status did not change, clears it otherwise).
    pub reason: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::post_outcome::tests::member;
    use crate::post_outcome::{MemberStanding, Restrictions};
    use chrono::TimeDelta;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-10T03:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn restricted(edit: impl Fn(&mut Restrictions)) -> Restrictions {
        let mut restrictions = Restrictions::default();
        edit(&mut restrictions);
        restrictions
    }

    #[test]
    fn verdicts_from_rights() {
        let hour = Some(now() + TimeDelta::hours(1));
        let cases = [
            (member(), ReviewVerdict::CanPost),
            (
                WriteRights {
                    members_write: false,
                    ..member()
                },
                ReviewVerdict::CannotPost(CannotPost::Broadcast),
            ),
            (
                WriteRights {
                    standing: MemberStanding::Admin,
                    members_write: false,
                    defaults: restricted(|r| r.send = true),
                    ..member()
                },
                ReviewVerdict::CanPost,
            ),
            (
                WriteRights {
                    mine: restricted(|r| {
                        r.send = true;
                        r.until = hour;
                    }),
                    ..member()
                },
                ReviewVerdict::CannotPost(CannotPost::RestrictedPersonally),
            ),
            (
                WriteRights {
                    mine: restricted(|r| {
                        r.send = true;
                        r.until = hour;
                    }),
                    defaults: restricted(|r| r.send = true),
                    ..member()
                },
                ReviewVerdict::CannotPost(CannotPost::DefaultRights),
            ),
            // A restriction without end is the admins' ban, as the marketer reads it.
            (
                WriteRights {
                    mine: restricted(|r| r.send = true),
                    ..member()
                },
                ReviewVerdict::Banned,
            ),
            (
                WriteRights {
                    defaults: restricted(|r| r.send = true),
                    ..member()
                },
                ReviewVerdict::CannotPost(CannotPost::DefaultRights),
            ),
            // One refused kind (photos, links) leaves the group postable.
            (
                WriteRights {
                    defaults: restricted(|r| {
                        r.photos = true;
                        r.links = true;
                    }),
                    ..member()
                },
                ReviewVerdict::CanPost,
            ),
            (
                WriteRights {
                    paid: true,
                    ..member()
                },
                ReviewVerdict::CannotPost(CannotPost::Paid),
            ),
            (
                WriteRights {
                    standing: MemberStanding::Left,
                    ..member()
                },
                ReviewVerdict::NotMember,
            ),
            (
                WriteRights {
                    standing: MemberStanding::Banned,
                    ..member()
                },
                ReviewVerdict::Banned,
            ),
            (
                WriteRights {
                    mine: restricted(|r| r.view = true),
                    ..member()
                },
                ReviewVerdict::Banned,
            ),
        ];
        for (rights, expected) in cases {
            assert_eq!(
                ReviewVerdict::from_rights(&rights, now()),
                expected,
                "{rights:?}"
            );
        }
    }

    #[test]
    fn the_reviewer_and_the_pre_check_agree() {
        // Whatever the rights, a group the reviewer leaves open (`can_post`) is one
        // where the pre-check of a plain text does not close it, and a group the
        // pre-check closes (banned) is one the reviewer marks banned.
        let hour = Some(now() + TimeDelta::hours(1));
        let text = ContentNeeds {
            kinds: &[ContentKind::Plain],
            links: true,
        };
        let mut all = Vec::new();
        for standing in [
            MemberStanding::Member,
            MemberStanding::Admin,
            MemberStanding::Left,
            MemberStanding::Banned,
        ] {
            for (members_write, topic_closed) in [(true, false), (false, false), (true, true)] {
                for mine in [
                    Restrictions::default(),
                    restricted(|r| r.view = true),
                    restricted(|r| r.send = true),
                    restricted(|r| {
                        r.send = true;
                        r.until = hour;
                    }),
                    restricted(|r| r.links = true),
                ] {
                    for defaults in [
                        Restrictions::default(),
                        restricted(|r| r.send = true),
                        restricted(|r| r.plain = true),
                        restricted(|r| r.media = true),
                        restricted(|r| r.links = true),
                    ] {
                        all.push(WriteRights {
                            standing,
                            members_write,
                            topic_closed,
                            mine,
                            defaults,
                            ..member()
                        });
                    }
                }
            }
        }
        for rights in all {
            let review = ReviewVerdict::from_rights(&rights, now());
            let pre = precheck(&rights, text, now());
            assert_eq!(
                review == ReviewVerdict::Banned,
                matches!(pre, Precheck::Banned(_)),
                "{rights:?}: {review:?} vs {pre:?}"
            );
            if pre.is_clear() {
                assert!(
                    review.group_after(GroupStatus::Active).can_post,
                    "{rights:?}"
                );
            }
        }
    }

    #[test]
    fn a_closed_general_topic_and_a_basic_group_have_their_own_reasons() {
        let closed = WriteRights {
            topic_closed: true,
            ..member()
        };
        let verdict = ReviewVerdict::from_rights(&closed, now());
        assert_eq!(verdict, ReviewVerdict::CannotPost(CannotPost::TopicClosed));
        let review = verdict.group_after(GroupStatus::Active);
        assert!(!review.can_post);
        assert_eq!(review.reason, Some(CannotPost::TopicClosed.as_str()));
        // Admins manage topics: a closed General topic does not stop them.
        let admin = WriteRights {
            standing: MemberStanding::Admin,
            ..closed
        };
        assert_eq!(
            ReviewVerdict::from_rights(&admin, now()),
            ReviewVerdict::CanPost
        );

        let basic = ReviewVerdict::BasicGroup.group_after(GroupStatus::New);
        assert_eq!(
            (basic.status, basic.can_post, basic.reason),
            (
                GroupStatus::Active,
                false,
                Some("basic group: tgfleet posts only to supergroups and channels")
            )
        );
        assert!(!ReviewVerdict::BasicGroup.is_member());
        assert_eq!(
            ReviewVerdict::BasicGroup.membership_after(MembershipState::Pending),
            MembershipState::Failed
        );
        assert_eq!(ReviewVerdict::BasicGroup.finding(), "cannot_post");
    }

    #[test]
    fn group_status_follows_the_verdict() {
        use GroupStatus::*;
        let after = |verdict: ReviewVerdict, current| {
            let review = verdict.group_after(current);
            (review.status, review.can_post)
        };
        assert_eq!(after(ReviewVerdict::CanPost, New), (Active, true));
        assert_eq!(after(ReviewVerdict::CanPost, Inaccessible), (Active, true));
        assert_eq!(
            after(ReviewVerdict::CannotPost(CannotPost::Broadcast), Active),
            (Active, false)
        );
        assert_eq!(after(ReviewVerdict::NotMember, New), (Active, false));
        assert_eq!(after(ReviewVerdict::Banned, Active), (Banned, false));
        assert_eq!(
            after(ReviewVerdict::Inaccessible, Active),
            (Inaccessible, false)
        );
        assert_eq!(
            ReviewVerdict::CannotPost(CannotPost::DefaultRights)
                .group_after(Active)
                .reason,
            Some("the group's default rights forbid messages")
        );
    }

    #[test]
    fn a_banned_group_stays_banned() {
        for verdict in [
            ReviewVerdict::CanPost,
            ReviewVerdict::CannotPost(CannotPost::Broadcast),
            ReviewVerdict::NotMember,
            ReviewVerdict::Inaccessible,
            ReviewVerdict::Banned,
        ] {
            let review = verdict.group_after(GroupStatus::Banned);
            assert_eq!(review.status, GroupStatus::Banned, "{verdict:?}");
            assert!(!review.can_post, "{verdict:?}");
        }
    }

    #[test]
    fn memberships_change_only_on_facts() {
        use MembershipState::*;
        let cases = [
            (ReviewVerdict::CanPost, Pending, Joined),
            (ReviewVerdict::CanPost, JoinRequested, Joined),
            (
                ReviewVerdict::CannotPost(CannotPost::Broadcast),
                Left,
                Joined,
            ),
            (ReviewVerdict::Banned, Joined, Banned),
            (ReviewVerdict::Banned, Pending, Banned),
            (ReviewVerdict::NotMember, Joined, Left),
            (ReviewVerdict::NotMember, Pending, Pending),
            (ReviewVerdict::NotMember, JoinRequested, JoinRequested),
            (ReviewVerdict::NotMember, Failed, Failed),
            (ReviewVerdict::Inaccessible, Pending, Failed),
            (ReviewVerdict::Inaccessible, JoinRequested, Failed),
            (ReviewVerdict::Inaccessible, Joined, Left),
            (ReviewVerdict::Inaccessible, Banned, Banned),
        ];
        for (verdict, current, expected) in cases {
            assert_eq!(
                verdict.membership_after(current),
                expected,
                "{verdict:?} from {current:?}"
            );
        }
    }

    #[test]
    fn findings_are_the_stored_words() {
        assert_eq!(ReviewVerdict::CanPost.finding(), "can_post");
        assert_eq!(
            ReviewVerdict::CannotPost(CannotPost::Broadcast).finding(),
            "cannot_post"
        );
        assert_eq!(ReviewVerdict::NotMember.finding(), "not_member");
        assert_eq!(ReviewVerdict::Banned.finding(), "banned");
        assert_eq!(ReviewVerdict::Inaccessible.finding(), "inaccessible");
        assert!(ReviewVerdict::CannotPost(CannotPost::DefaultRights).is_member());
        assert!(!ReviewVerdict::NotMember.is_member());
    }
}
