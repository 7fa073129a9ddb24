//! Between the Telegram port's vocabulary and the domain policies' and store's.

use tgfleet_domain::BodyFormat;
use tgfleet_domain::post_outcome::{MemberStanding, Restrictions, SendFailure, WriteRights};
use tgfleet_telegram::{BannedRights, ChatKind, ChatRights, MemberStatus, TextFormat, TgError};

/// A port error in the posting policy's terms.
pub(crate) fn send_failure(error: &TgError) -> SendFailure {
    match error {
        TgError::FloodWait(secs) => SendFailure::FloodWait(*secs),
        TgError::SlowMode(secs) => SendFailure::SlowMode(*secs),
        TgError::WriteForbidden(name) => SendFailure::WriteForbidden(name.clone()),
        TgError::BannedInGroup(name) => SendFailure::BannedInGroup(name.clone()),
        TgError::Inaccessible(name) => SendFailure::Inaccessible(name.clone()),
        TgError::PeerFlood => SendFailure::PeerFlood,
        TgError::Unauthorized(name) => SendFailure::Unauthorized(name.clone()),
        TgError::Deactivated(name) => SendFailure::Deactivated(name.clone()),
        TgError::Transient(detail) => SendFailure::Transient(detail.clone()),
        TgError::Other(name) => SendFailure::Other(name.clone()),
        TgError::JoinRequestSent | TgError::AlreadyMember | TgError::TooManyChannels => {
            SendFailure::Other(error.outcome().to_uppercase())
        }
    }
}

fn restrictions(rights: Option<&BannedRights>) -> Restrictions {
    rights.map_or_else(Restrictions::default, |rights| Restrictions {
        view: rights.view_messages,
        send: rights.send_messages,
        media: rights.send_media,
        links: rights.embed_links,
    })
}

/// The pre-check's view of `channels.getParticipant` + `getFullChannel`.
pub(crate) fn write_rights(rights: &ChatRights) -> WriteRights {
    WriteRights {
        standing: match rights.status {
            MemberStatus::Member => MemberStanding::Member,
            MemberStatus::Admin => MemberStanding::Admin,
            MemberStatus::Left => MemberStanding::Left,
            MemberStatus::Banned => MemberStanding::Banned,
        },
        members_write: matches!(rights.kind, ChatKind::Supergroup | ChatKind::BasicGroup),
        mine: restrictions(rights.my_banned.as_ref()),
        defaults: restrictions(Some(&rights.default_banned)),
        join_to_send: rights.join_to_send,
        slow_mode_next_send_at: rights.slow_mode_next_send_at,
    }
}

pub(crate) use tgfleet_runtime::peers::{peer_ref, stored_peer};

/// A variant's text format as the port sends it.
pub(crate) fn text_format(format: BodyFormat) -> TextFormat {
    match format {
        BodyFormat::Plain => TextFormat::Plain,
        BodyFormat::Markdown => TextFormat::Markdown,
        BodyFormat::Html => TextFormat::Html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_port_error_has_a_policy_meaning() {
        assert_eq!(
            send_failure(&TgError::FloodWait(42)),
            SendFailure::FloodWait(42)
        );
        assert_eq!(send_failure(&TgError::PeerFlood), SendFailure::PeerFlood);
        assert_eq!(
            send_failure(&TgError::AlreadyMember),
            SendFailure::Other("ALREADY_MEMBER".into())
        );
        assert_eq!(
            send_failure(&TgError::WriteForbidden("CHAT_WRITE_FORBIDDEN".into())),
            SendFailure::WriteForbidden("CHAT_WRITE_FORBIDDEN".into())
        );
    }

    #[test]
    fn broadcast_channels_do_not_let_members_write() {
        let rights = ChatRights {
            status: MemberStatus::Member,
            kind: ChatKind::Broadcast,
            my_banned: None,
            default_banned: BannedRights {
                send_media: true,
                ..BannedRights::default()
            },
            join_to_send: false,
            slow_mode_secs: None,
            slow_mode_next_send_at: None,
        };
        let view = write_rights(&rights);
        assert!(!view.members_write);
        assert!(view.defaults.media && !view.defaults.send);
        assert_eq!(view.mine, Restrictions::default());
    }
}
