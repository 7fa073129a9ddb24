//! The group-reviewer's verdicts: what an account's standing in a group means for
//! the group's catalogue status, its `can_post` flag and the membership row.
//!
//! The port's `ChatRights` lives in `tgfleet-telegram`, which this crate may not
//! name; the reviewer turns it into a [`ChatAccess`] (a few booleans) first.

use crate::{GroupStatus, MembershipState};

/// The account's standing in a group, as far as the reviewer cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChatStanding {
    /// A regular member.
    Member,
    /// An admin or the creator.
    Admin,
    /// Not a member (never joined, left, or a join request is pending).
    Left,
    /// Banned (kicked) by the group's admins.
    Banned,
}

/// What the account may do in a group, reduced from the port's `ChatRights`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChatAccess {
    /// Member, admin, left or banned.
    pub standing: ChatStanding,
    /// A broadcast channel or gigagroup: only admins post.
    pub broadcast: bool,
    /// A personal restriction forbids reading (a ban in all but name).
    pub view_banned: bool,
    /// A personal restriction, in force now, forbids sending messages.
    pub send_banned_personally: bool,
    /// The group's default rights forbid sending messages.
    pub send_banned_by_default: bool,
}

/// Why a member cannot post.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CannotPost {
    /// A broadcast channel where the account is not an admin.
    Broadcast,
    /// The admins restricted this account.
    RestrictedPersonally,
    /// The group's default rights forbid messages.
    DefaultRights,
}

impl CannotPost {
    /// A short reason for `groups.status_reason` and the review history.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Broadcast => "broadcast channel: only admins post",
            Self::RestrictedPersonally => "the account is restricted from sending",
            Self::DefaultRights => "the group's default rights forbid messages",
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
}

impl ReviewVerdict {
    /// The verdict for an account that could read the group's rights.
    pub fn from_access(access: &ChatAccess) -> Self {
        if access.standing == ChatStanding::Banned || access.view_banned {
            return Self::Banned;
        }
        match access.standing {
            ChatStanding::Left => Self::NotMember,
            ChatStanding::Admin => Self::CanPost,
            ChatStanding::Member if access.broadcast => Self::CannotPost(CannotPost::Broadcast),
            ChatStanding::Member if access.send_banned_personally => {
                Self::CannotPost(CannotPost::RestrictedPersonally)
            }
            ChatStanding::Member if access.send_banned_by_default => {
                Self::CannotPost(CannotPost::DefaultRights)
            }
            ChatStanding::Member | ChatStanding::Banned => Self::CanPost,
        }
    }

    /// The word stored in `review_findings.finding` and used as a metrics label.
    pub fn finding(self) -> &'static str {
        match self {
            Self::CanPost => "can_post",
            Self::CannotPost(_) => "cannot_post",
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
            Self::CannotPost(why) => (GroupStatus::Active, false, Some(why.as_str())),
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
            (Self::Inaccessible, State::Pending | State::JoinRequested) => State::Failed,
            (Self::NotMember | Self::Inaccessible, other) => other,
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

    fn member() -> ChatAccess {
        ChatAccess {
            standing: ChatStanding::Member,
            broadcast: false,
            view_banned: false,
            send_banned_personally: false,
            send_banned_by_default: false,
        }
    }

    #[test]
    fn verdicts_from_access() {
        let cases = [
            (member(), ReviewVerdict::CanPost),
            (
                ChatAccess {
                    broadcast: true,
                    ..member()
                },
                ReviewVerdict::CannotPost(CannotPost::Broadcast),
            ),
            (
                ChatAccess {
                    standing: ChatStanding::Admin,
                    broadcast: true,
                    send_banned_by_default: true,
                    ..member()
                },
                ReviewVerdict::CanPost,
            ),
            (
                ChatAccess {
                    send_banned_personally: true,
                    send_banned_by_default: true,
                    ..member()
                },
                ReviewVerdict::CannotPost(CannotPost::RestrictedPersonally),
            ),
            (
                ChatAccess {
                    send_banned_by_default: true,
                    ..member()
                },
                ReviewVerdict::CannotPost(CannotPost::DefaultRights),
            ),
            (
                ChatAccess {
                    standing: ChatStanding::Left,
                    send_banned_by_default: true,
                    ..member()
                },
                ReviewVerdict::NotMember,
            ),
            (
                ChatAccess {
                    standing: ChatStanding::Banned,
                    ..member()
                },
                ReviewVerdict::Banned,
            ),
            (
                ChatAccess {
                    view_banned: true,
                    ..member()
                },
                ReviewVerdict::Banned,
            ),
        ];
        for (access, expected) in cases {
            assert_eq!(ReviewVerdict::from_access(&access), expected, "{access:?}");
        }
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
