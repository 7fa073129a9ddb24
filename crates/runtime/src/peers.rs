//! Between the port's peer references and their stored form (invariant 6: a peer is
//! resolved once, stored per account in `memberships`, and reused).

use tgfleet_store::StoredPeer;
use tgfleet_telegram::{PeerKind, PeerRef};

/// The port's peer for a stored one; `None` for a kind this version does not know
/// (the caller resolves the group again).
pub fn peer_ref(stored: &StoredPeer) -> Option<PeerRef> {
    Some(PeerRef {
        id: stored.id,
        access_hash: stored.access_hash,
        kind: PeerKind::from_stored(&stored.kind)?,
    })
}

/// The stored form of a port peer.
pub fn stored_peer(peer: &PeerRef) -> StoredPeer {
    StoredPeer {
        id: peer.id,
        access_hash: peer.access_hash,
        kind: peer.kind.as_str().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_round_trip_and_unknown_kinds_are_refused() {
        for kind in [PeerKind::Channel, PeerKind::Chat, PeerKind::User] {
            let peer = PeerRef {
                id: 1_700_000_123,
                access_hash: -42,
                kind,
            };
            assert_eq!(peer_ref(&stored_peer(&peer)), Some(peer));
        }
        let odd = StoredPeer {
            id: 1,
            access_hash: 2,
            kind: "megachannel".into(),
        };
        assert_eq!(peer_ref(&odd), None);
    }
}
