//! The abridged, intermediate and padded intermediate transports (after their tag).
//!
//! * abridged: `len/4` as one byte (`0x01..=0x7e`), or `0x7f` + `len/4` in 3 bytes (little
//!   endian), then the payload;
//! * intermediate: `len` in 4 bytes (little endian), then the payload;
//! * padded intermediate: like intermediate, the length counting 0–15 random bytes after the
//!   payload. A client's padding is dropped by keeping the encrypted payload's shape
//!   (24 header bytes + whole 16-byte blocks). The server pads with 0–3 bytes: within the
//!   documented range, and what Telethon's `RandomizedIntermediatePacketCodec` strips
//!   (`len % 4`).

use std::ops::Range;

use super::{FrameError, MAX_FRAME_LEN};
use crate::crypto::fill_random;

/// The top bit of a length asks for a quick acknowledgement; it is not part of the length.
const QUICK_ACK_BYTE: u8 = 0x80;
const QUICK_ACK_WORD: u32 = 0x8000_0000;
/// The abridged header byte announcing a 3-byte length.
const ABRIDGED_LONG: u8 = 0x7f;
/// `auth_key_id (8) | msg_key (16)` before the 16-byte blocks of an encrypted payload.
const ENCRYPTED_HEADER_LEN: usize = 24;

/// One of the three transports of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compact {
    /// Tag `0xef`.
    Abridged,
    /// Tag `0xeeeeeeee`.
    Intermediate,
    /// Tag `0xdddddddd`.
    PaddedIntermediate,
}

/// Decodes the first complete frame of `kind` in `buffer`.
pub(super) fn decode(
    kind: Compact,
    buffer: &[u8],
) -> Result<Option<(Range<usize>, usize)>, FrameError> {
    let Some((header, len)) = header(kind, buffer)? else {
        return Ok(None);
    };
    if len == 0 || len > MAX_FRAME_LEN || (kind != Compact::PaddedIntermediate && len % 4 != 0) {
        return Err(FrameError::BadLength(len as i64));
    }
    let used = header + len;
    if buffer.len() < used {
        return Ok(None);
    }
    let payload_len = match kind {
        Compact::PaddedIntermediate if len >= ENCRYPTED_HEADER_LEN => {
            len - (len - ENCRYPTED_HEADER_LEN) % 16
        }
        _ => len,
    };
    Ok(Some((header..header + payload_len, used)))
}

/// The header's length and the payload length it announces, once the header is complete.
fn header(kind: Compact, buffer: &[u8]) -> Result<Option<(usize, usize)>, FrameError> {
    match kind {
        Compact::Abridged => match buffer {
            [] => Ok(None),
            [first, ..] if first & !QUICK_ACK_BYTE != ABRIDGED_LONG => {
                Ok(Some((1, usize::from(first & !QUICK_ACK_BYTE) * 4)))
            }
            [_, a, b, c, ..] => Ok(Some((4, u32::from_le_bytes([*a, *b, *c, 0]) as usize * 4))),
            _ => Ok(None),
        },
        _ => match buffer {
            [a, b, c, d, ..] => {
                let len = u32::from_le_bytes([*a, *b, *c, *d]) & !QUICK_ACK_WORD;
                Ok(Some((4, len as usize)))
            }
            _ => Ok(None),
        },
    }
}

/// Wraps `payload` (a multiple of 4 bytes long) into a frame of `kind`.
pub(super) fn encode(kind: Compact, payload: &[u8]) -> Vec<u8> {
    debug_assert!(payload.len().is_multiple_of(4));
    let mut frame = Vec::with_capacity(payload.len() + 8);
    match kind {
        Compact::Abridged => {
            let words = u32::try_from(payload.len() / 4).expect("frame fits in u32");
            match u8::try_from(words) {
                Ok(short) if short < ABRIDGED_LONG => frame.push(short),
                _ => {
                    frame.push(ABRIDGED_LONG);
                    frame.extend_from_slice(&words.to_le_bytes()[..3]);
                }
            }
            frame.extend_from_slice(payload);
        }
        Compact::PaddedIntermediate => {
            let mut pad = [0u8; 4];
            fill_random(&mut pad);
            let padding = &pad[1..1 + usize::from(pad[0] % 4)];
            push_intermediate(&mut frame, &[payload, padding]);
        }
        Compact::Intermediate => {
            push_intermediate(&mut frame, &[payload]);
        }
    }
    frame
}

fn push_intermediate(frame: &mut Vec<u8>, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|part| part.len()).sum();
    let len = u32::try_from(len).expect("frame fits in u32");
    frame.extend_from_slice(&len.to_le_bytes());
    for part in parts {
        frame.extend_from_slice(part);
    }
}

#[cfg(test)]
mod tests {
    use grammers_crypto::DequeBuffer;
    use grammers_mtproto::transport::{Abridged, Error, Intermediate, Transport};

    use super::*;
    use crate::transport::{TransportKind, transport_error};

    /// Frames as a grammers client sends them, tag included.
    fn client_stream(client: &mut impl Transport, payloads: &[Vec<u8>]) -> Vec<u8> {
        let mut stream = Vec::new();
        for payload in payloads {
            let mut buffer = DequeBuffer::with_capacity(payload.len(), 8);
            buffer.extend(payload.iter().copied());
            client.pack(&mut buffer);
            stream.extend_from_slice(&buffer[..]);
        }
        stream
    }

    fn decode_all(kind: Compact, stream: &[u8]) -> Vec<Vec<u8>> {
        let (detected, tag) = TransportKind::detect(stream).unwrap();
        assert_eq!(detected, TransportKind::Compact(kind));
        let mut rest = &stream[tag..];
        let mut payloads = Vec::new();
        while let Some((range, used)) = decode(kind, rest).unwrap() {
            payloads.push(rest[range].to_vec());
            rest = &rest[used..];
        }
        assert!(rest.is_empty());
        payloads
    }

    #[test]
    fn decodes_grammers_abridged_and_intermediate_frames_short_and_long() {
        let payloads = vec![vec![1u8; 8], vec![2u8; 127 * 4], vec![3u8; 4096]];
        let abridged = client_stream(&mut Abridged::new(), &payloads);
        assert_eq!(decode_all(Compact::Abridged, &abridged), payloads);
        let intermediate = client_stream(&mut Intermediate::new(), &payloads);
        assert_eq!(decode_all(Compact::Intermediate, &intermediate), payloads);
    }

    #[test]
    fn grammers_unpacks_server_frames_and_transport_errors() {
        for payload in [vec![7u8; 16], vec![9u8; 2000]] {
            let mut frame = encode(Compact::Abridged, &payload);
            let offset = Abridged::new().unpack(&mut frame).unwrap();
            assert_eq!(&frame[offset.data_range], &payload[..]);
            let mut frame = encode(Compact::Intermediate, &payload);
            let offset = Intermediate::new().unpack(&mut frame).unwrap();
            assert_eq!(&frame[offset.data_range], &payload[..]);
        }
        let mut error = encode(Compact::Intermediate, &transport_error(404));
        assert_eq!(
            Intermediate::new().unpack(&mut error),
            Err(Error::BadStatus { status: 404 })
        );
    }

    #[test]
    fn padded_frames_lose_their_padding_both_ways() {
        let encrypted = vec![5u8; ENCRYPTED_HEADER_LEN + 32];
        for padding in 0..16 {
            let mut frame = Vec::new();
            push_intermediate(&mut frame, &[&encrypted, &vec![0xaa; padding]]);
            let (range, used) = decode(Compact::PaddedIntermediate, &frame)
                .unwrap()
                .unwrap();
            assert_eq!((&frame[range], used), (&encrypted[..], frame.len()));
        }
        for _ in 0..16 {
            let frame = encode(Compact::PaddedIntermediate, &encrypted);
            let len = u32::from_le_bytes(frame[..4].try_into().unwrap()) as usize;
            assert_eq!(len, frame.len() - 4);
            // Telethon strips `len % 4` bytes.
            assert_eq!(&frame[4..4 + len - len % 4], &encrypted[..]);
        }
    }

    #[test]
    fn partial_frames_wait_and_bad_lengths_are_refused() {
        let frame = encode(Compact::Abridged, &[0u8; 600]);
        for cut in 0..frame.len() {
            assert_eq!(decode(Compact::Abridged, &frame[..cut]), Ok(None));
        }
        assert_eq!(
            decode(Compact::Intermediate, &6u32.to_le_bytes()),
            Err(FrameError::BadLength(6))
        );
        assert_eq!(
            decode(Compact::Abridged, &[0]),
            Err(FrameError::BadLength(0))
        );
        let huge = (MAX_FRAME_LEN as u32 + 4).to_le_bytes();
        assert!(decode(Compact::Intermediate, &huge).is_err());
    }
}
