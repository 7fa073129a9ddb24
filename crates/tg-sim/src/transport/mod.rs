//! MTProto TCP transports, told apart by the first bytes a client sends, as Telegram's servers
//! do (<https://core.telegram.org/mtproto/mtproto-transports>):
//!
//! * `0xef` — abridged: a length in 4-byte words (1 byte, or `0x7f` + 3 bytes), then the
//!   payload (Pyrogram-family clients by default; Telethon's `ConnectionTcpAbridged`);
//! * `0xeeeeeeee` — intermediate: a 4-byte length, then the payload (Telethon's
//!   `ConnectionTcpIntermediate`);
//! * `0xdddddddd` — padded intermediate: like intermediate, with 0–15 random bytes after the
//!   payload, counted in the length;
//! * anything else — full ([`full`]: length, sequence number, CRC32; grammers and Telethon's
//!   default `ConnectionTcpFull`), which has no tag.
//!
//! The server never sends a tag. Quick acknowledgements (the top bit of an abridged or
//! intermediate length) are not sent; the flag is masked off when reading.

mod compact;
pub mod full;

pub use compact::Compact;
pub use full::{FRAME_OVERHEAD, FrameDecoder, FrameEncoder, transport_error};

/// Largest frame accepted from a client (clients send at most about 1 MiB).
pub const MAX_FRAME_LEN: usize = 2 * 1024 * 1024;

/// Why the byte stream from a client is not a valid stream of its transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The length field is below the minimum, above [`MAX_FRAME_LEN`] or not 4-byte aligned.
    #[error("bad frame length {0}")]
    BadLength(i64),
    /// The sequence number is not the next one expected.
    #[error("bad frame sequence number (expected {expected}, got {got})")]
    BadSeq {
        /// The number the server expected.
        expected: i32,
        /// The number the client sent.
        got: i32,
    },
    /// The CRC32 does not match the frame's contents.
    #[error("bad frame crc32")]
    BadCrc,
}

/// The transport a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Length, sequence number, payload, CRC32; no tag.
    Full,
    /// Abridged, intermediate or padded intermediate.
    Compact(Compact),
}

impl TransportKind {
    /// The transport a stream starting with `start` uses and the length of its tag, or
    /// `None` while fewer bytes than needed to tell have arrived.
    pub fn detect(start: &[u8]) -> Option<(Self, usize)> {
        match start {
            [0xef, ..] => Some((Self::Compact(Compact::Abridged), 1)),
            [a, b, c, d, ..] => Some(match u32::from_le_bytes([*a, *b, *c, *d]) {
                0xeeee_eeee => (Self::Compact(Compact::Intermediate), 4),
                0xdddd_dddd => (Self::Compact(Compact::PaddedIntermediate), 4),
                _ => (Self::Full, 0),
            }),
            _ => None,
        }
    }
}

/// Frames of one connection in both directions, in the transport the client chose.
#[derive(Debug)]
pub enum Codec {
    /// The full transport.
    Full(FrameDecoder, FrameEncoder),
    /// Abridged, intermediate or padded intermediate.
    Compact(Compact),
}

impl Codec {
    /// A codec for `kind`.
    pub fn new(kind: TransportKind) -> Self {
        match kind {
            TransportKind::Full => Self::Full(FrameDecoder::default(), FrameEncoder::default()),
            TransportKind::Compact(compact) => Self::Compact(compact),
        }
    }

    /// Decodes the first complete frame in `buffer`: the payload's range and the bytes the
    /// frame occupies, or `Ok(None)` when more bytes are needed.
    pub fn decode(
        &mut self,
        buffer: &[u8],
    ) -> Result<Option<(std::ops::Range<usize>, usize)>, FrameError> {
        match self {
            Self::Full(decoder, _) => decoder.decode(buffer),
            Self::Compact(kind) => compact::decode(*kind, buffer),
        }
    }

    /// Wraps `payload` (a multiple of 4 bytes long) into a frame.
    pub fn encode(&mut self, payload: &[u8]) -> Vec<u8> {
        match self {
            Self::Full(_, encoder) => encoder.encode(payload),
            Self::Compact(kind) => compact::encode(*kind, payload),
        }
    }

    /// The bytes of a transport error (`-404`): a bare negative length in the full transport
    /// (what grammers reads as `BadStatus`), a 4-byte payload in the others.
    pub fn error(&mut self, code: u16) -> Vec<u8> {
        match self {
            Self::Full(..) => transport_error(code).to_vec(),
            Self::Compact(kind) => compact::encode(*kind, &transport_error(code)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bytes_name_the_transport() {
        assert_eq!(
            TransportKind::detect(&[0xef]),
            Some((TransportKind::Compact(Compact::Abridged), 1))
        );
        assert_eq!(TransportKind::detect(&[0xee, 0xee, 0xee]), None);
        assert_eq!(
            TransportKind::detect(&[0xee; 5]),
            Some((TransportKind::Compact(Compact::Intermediate), 4))
        );
        assert_eq!(
            TransportKind::detect(&[0xdd; 4]),
            Some((TransportKind::Compact(Compact::PaddedIntermediate), 4))
        );
        // A full frame starts with its length: a multiple of 4, so never 0xef.
        assert_eq!(
            TransportKind::detect(&[0x58, 0, 0, 0, 0]),
            Some((TransportKind::Full, 0))
        );
    }
}
