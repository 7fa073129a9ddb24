//! Peer references as stored per account in `memberships` (invariant 6: resolved once).

/// A peer reference stored in `memberships` (`peer_id`, `access_hash`, `peer_kind`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPeer {
    /// Telegram's bare id of the peer.
    pub id: i64,
    /// The access hash this account received (0 for basic groups).
    pub access_hash: i64,
    /// `channel`, `chat` or `user` (`memberships.peer_kind`).
    pub kind: String,
}

impl StoredPeer {
    /// The peer of a membership row, when all three columns are set.
    pub(crate) fn from_columns(
        id: Option<i64>,
        access_hash: Option<i64>,
        kind: Option<String>,
    ) -> Option<Self> {
        Some(Self {
            id: id?,
            access_hash: access_hash?,
            kind: kind?,
        })
    }
}
