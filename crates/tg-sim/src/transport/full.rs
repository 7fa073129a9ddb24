//! The "full" transport: `len (4) | seq (4) | payload | crc32 (4)`, little endian,
//! where `len` counts the whole frame and `seq` counts frames per direction from 0.
//!
//! Mirrors `grammers_mtproto::transport::Full`. A transport error (such as `-404` for an unknown
//! auth key) is sent as a bare negative 4-byte length, which is what that client reads as
//! `BadStatus`.

use crc32fast::Hasher;

use super::{FrameError, MAX_FRAME_LEN};

/// Bytes a frame adds around its payload.
pub const FRAME_OVERHEAD: usize = 12;

/// Decodes client frames, checking length, sequence number and CRC32.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    next_seq: i32,
}

impl FrameDecoder {
    /// Decodes the first complete frame in `buffer`.
    ///
    /// Returns `Ok(None)` when more bytes are needed, and otherwise the payload's range within
    /// `buffer` and the total number of bytes the frame occupies.
    pub fn decode(
        &mut self,
        buffer: &[u8],
    ) -> Result<Option<(std::ops::Range<usize>, usize)>, FrameError> {
        let Some(len_bytes) = buffer.get(..4) else {
            return Ok(None);
        };
        let len = i64::from(i32::from_le_bytes(len_bytes.try_into().expect("4 bytes")));
        if len < FRAME_OVERHEAD as i64 || len > MAX_FRAME_LEN as i64 || len % 4 != 0 {
            return Err(FrameError::BadLength(len));
        }
        let len = len as usize;
        if buffer.len() < len {
            return Ok(None);
        }
        let seq = i32::from_le_bytes(buffer[4..8].try_into().expect("4 bytes"));
        if seq != self.next_seq {
            return Err(FrameError::BadSeq {
                expected: self.next_seq,
                got: seq,
            });
        }
        let crc = u32::from_le_bytes(buffer[len - 4..len].try_into().expect("4 bytes"));
        if crc != crc32(&buffer[..len - 4]) {
            return Err(FrameError::BadCrc);
        }
        self.next_seq = self.next_seq.wrapping_add(1);
        Ok(Some((8..len - 4, len)))
    }
}

/// Encodes server frames with an increasing sequence number.
#[derive(Debug, Default)]
pub struct FrameEncoder {
    next_seq: i32,
}

impl FrameEncoder {
    /// Wraps `payload` (a multiple of 4 bytes long) into the next frame.
    pub fn encode(&mut self, payload: &[u8]) -> Vec<u8> {
        debug_assert!(payload.len().is_multiple_of(4));
        let len = u32::try_from(payload.len() + FRAME_OVERHEAD).expect("frame fits in u32");
        let mut frame = Vec::with_capacity(payload.len() + FRAME_OVERHEAD);
        frame.extend_from_slice(&len.to_le_bytes());
        frame.extend_from_slice(&self.next_seq.to_le_bytes());
        frame.extend_from_slice(payload);
        let crc = crc32(&frame);
        frame.extend_from_slice(&crc.to_le_bytes());
        self.next_seq = self.next_seq.wrapping_add(1);
        frame
    }
}

/// The bytes of a transport error: the negated code as a bare 4-byte length (`-404`, `-429`).
pub fn transport_error(code: u16) -> [u8; 4] {
    (-i32::from(code)).to_le_bytes()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut hasher = Hasher::new();
    hasher.update(bytes);
    hasher.finalize()
}

#[cfg(test)]
mod tests {
    use grammers_crypto::DequeBuffer;
    use grammers_mtproto::transport::{Full, Transport};

    use super::*;

    fn grammers_frame(client: &mut Full, payload: &[u8]) -> Vec<u8> {
        let mut buffer = DequeBuffer::with_capacity(payload.len(), 8);
        buffer.extend(payload.iter().copied());
        client.pack(&mut buffer);
        buffer[..].to_vec()
    }

    #[test]
    fn decodes_consecutive_grammers_frames() {
        let mut client = Full::new();
        let mut stream = grammers_frame(&mut client, &[1, 2, 3, 4]);
        stream.extend(grammers_frame(&mut client, &[5, 6, 7, 8, 9, 10, 11, 12]));

        let mut decoder = FrameDecoder::default();
        let (range, used) = decoder.decode(&stream).unwrap().unwrap();
        assert_eq!(&stream[range], &[1, 2, 3, 4]);
        let (range, rest) = decoder.decode(&stream[used..]).unwrap().unwrap();
        assert_eq!(&stream[used..][range], &[5, 6, 7, 8, 9, 10, 11, 12]);
        assert_eq!(used + rest, stream.len());
    }

    #[test]
    fn grammers_unpacks_server_frames() {
        let mut encoder = FrameEncoder::default();
        let mut client = Full::new();
        for payload in [[7u8; 8], [9u8; 8]] {
            let mut frame = encoder.encode(&payload);
            let offset = client.unpack(&mut frame).unwrap();
            assert_eq!(&frame[offset.data_range], &payload);
        }
    }

    #[test]
    fn partial_frames_wait_for_more_bytes() {
        let frame = grammers_frame(&mut Full::new(), &[0u8; 16]);
        let mut decoder = FrameDecoder::default();
        for cut in 0..frame.len() {
            assert_eq!(decoder.decode(&frame[..cut]), Ok(None), "cut at {cut}");
        }
    }

    #[test]
    fn rejects_bad_crc_seq_and_length() {
        let mut frame = grammers_frame(&mut Full::new(), &[0u8; 16]);
        let last = frame.len() - 1;
        frame[last] ^= 0xff;
        assert_eq!(
            FrameDecoder::default().decode(&frame),
            Err(FrameError::BadCrc)
        );

        let mut client = Full::new();
        grammers_frame(&mut client, &[0u8; 4]);
        let second = grammers_frame(&mut client, &[0u8; 4]);
        assert_eq!(
            FrameDecoder::default().decode(&second),
            Err(FrameError::BadSeq {
                expected: 0,
                got: 1
            })
        );

        for len in [-404i32, 0, 8, 13, i32::MAX] {
            let mut garbage = len.to_le_bytes().to_vec();
            garbage.extend([0u8; 16]);
            assert_eq!(
                FrameDecoder::default().decode(&garbage),
                Err(FrameError::BadLength(i64::from(len)))
            );
        }
    }

    #[test]
    fn transport_error_is_what_grammers_reads_as_bad_status() {
        let mut bytes = transport_error(404).to_vec();
        assert_eq!(
            Full::new().unpack(&mut bytes),
            Err(grammers_mtproto::transport::Error::BadStatus { status: 404 })
        );
    }
}
