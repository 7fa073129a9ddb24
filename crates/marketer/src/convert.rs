//! Between the Telegram port's vocabulary and the domain policies' and store's.

use tgfleet_domain::BodyFormat;
use tgfleet_domain::post_outcome::{MemberStanding, Restrictions, WriteRights};
use tgfleet_telegram::{BannedRights, ChatKind, ChatRights, MemberStatus, TextFormat};

fn restrictions(rights: Option<&BannedRights>) -> Restrictions {
    rights.map_or_else(Restrictions::default, |rights| Restrictions {
        view: rights.view_messages,
        send: rights.send_messages,
        plain: rights.send_plain,
        media: rights.send_media,
        photos: rights.send_photos,
        docs: rights.send_docs,
        links: rights.embed_links,
        until: rights.until,
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
