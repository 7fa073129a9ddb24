//! MTProto message framing inside the encrypted payload: the plaintext header, messages,
//! `msg_container`, `gzip_packed`, `rpc_result`, and server message ids.

use std::io::{Read, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use grammers_tl_types::Serializable;

use crate::crypto::is_valid_padding;

/// `msg_container#73f1f8dc messages:vector<message> = MessageContainer;`
pub const MSG_CONTAINER_ID: u32 = 0x73f1_f8dc;
/// `gzip_packed#3072cfa1 packed_data:bytes = Object;`
pub const GZIP_PACKED_ID: u32 = 0x3072_cfa1;
/// `rpc_result#f35c6d01 req_msg_id:long result:Object = RpcResult;`
pub const RPC_RESULT_ID: u32 = 0xf35c_6d01;

/// Most messages a client container may hold.
const MAX_CONTAINER_LEN: usize = 1024;
/// Largest body a `gzip_packed` may inflate to.
const MAX_INFLATED_LEN: usize = 16 * 1024 * 1024;
/// Bytes of the plaintext header: `salt (8) | session_id (8)`.
const PLAINTEXT_HEADER_LEN: usize = 16;
/// Bytes of a message header: `msg_id (8) | seq_no (4) | length (4)`.
const MESSAGE_HEADER_LEN: usize = 16;

/// Why a decrypted client payload is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The plaintext or a message is shorter than its headers or declared length.
    #[error("truncated message")]
    Truncated,
    /// The padding after the message is outside 12..=1024 bytes.
    #[error("invalid padding of {0} bytes")]
    BadPadding(usize),
    /// A message length is negative or not 4-byte aligned.
    #[error("invalid message length {0}")]
    BadLength(i32),
    /// A container holds too many messages or another container.
    #[error("invalid container")]
    BadContainer,
    /// `gzip_packed` data does not inflate.
    #[error("invalid gzip_packed data")]
    BadGzip,
}

/// One message from a client: `msg_id`, `seq_no` and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMessage {
    /// The client-chosen message id.
    pub msg_id: i64,
    /// The client's sequence number (odd for content-related messages).
    pub seq_no: i32,
    /// The serialized TL object.
    pub body: Vec<u8>,
}

impl ClientMessage {
    /// The constructor id at the start of the body.
    pub fn constructor_id(&self) -> Option<u32> {
        constructor_id(&self.body)
    }

    /// Whether the client marked it as content-related (odd `seq_no`).
    pub fn is_content_related(&self) -> bool {
        self.seq_no % 2 != 0
    }
}

/// The decrypted plaintext of one client packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPacket {
    /// The server salt the client used.
    pub salt: i64,
    /// The client's session id.
    pub session_id: i64,
    /// The top-level message (possibly a container).
    pub message: ClientMessage,
}

/// Reads the constructor id at the start of a TL body.
pub fn constructor_id(body: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(body.get(..4)?.try_into().ok()?))
}

/// Parses a decrypted plaintext: header, one message, and MTProto 2.0 padding.
pub fn parse_plaintext(plaintext: &[u8]) -> Result<ClientPacket, MessageError> {
    if plaintext.len() < PLAINTEXT_HEADER_LEN {
        return Err(MessageError::Truncated);
    }
    let salt = read_i64(plaintext, 0);
    let session_id = read_i64(plaintext, 8);
    let (message, used) = parse_message(&plaintext[PLAINTEXT_HEADER_LEN..])?;
    let padding = plaintext.len() - PLAINTEXT_HEADER_LEN - used;
    if !is_valid_padding(padding) {
        return Err(MessageError::BadPadding(padding));
    }
    Ok(ClientPacket {
        salt,
        session_id,
        message,
    })
}

/// Splits a `msg_container` body into its messages.
pub fn parse_container(body: &[u8]) -> Result<Vec<ClientMessage>, MessageError> {
    if body.len() < 8 || constructor_id(body) != Some(MSG_CONTAINER_ID) {
        return Err(MessageError::BadContainer);
    }
    let count = usize::try_from(read_i32(body, 4)).map_err(|_| MessageError::BadContainer)?;
    if count > MAX_CONTAINER_LEN {
        return Err(MessageError::BadContainer);
    }
    let mut offset = 8;
    let mut messages = Vec::with_capacity(count);
    for _ in 0..count {
        let (message, used) = parse_message(&body[offset..])?;
        if message.constructor_id() == Some(MSG_CONTAINER_ID) {
            return Err(MessageError::BadContainer);
        }
        offset += used;
        messages.push(message);
    }
    if offset != body.len() {
        return Err(MessageError::BadContainer);
    }
    Ok(messages)
}

/// Inflates a `gzip_packed` body into the object it wraps.
pub fn unpack_gzip(body: &[u8]) -> Result<Vec<u8>, MessageError> {
    if constructor_id(body) != Some(GZIP_PACKED_ID) {
        return Err(MessageError::BadGzip);
    }
    let packed = read_tl_bytes(&body[4..]).ok_or(MessageError::BadGzip)?;
    let mut inflated = Vec::new();
    GzDecoder::new(packed)
        .take(MAX_INFLATED_LEN as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|_| MessageError::BadGzip)?;
    if inflated.len() > MAX_INFLATED_LEN || inflated.len() < 4 {
        return Err(MessageError::BadGzip);
    }
    Ok(inflated)
}

/// Wraps `object` into `gzip_packed`.
pub fn pack_gzip(object: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder
        .write_all(object)
        .expect("writing to memory cannot fail");
    let packed = encoder.finish().expect("writing to memory cannot fail");
    let mut body = GZIP_PACKED_ID.to_bytes();
    packed.serialize(&mut body);
    body
}

/// Serializes `rpc_result req_msg_id result`.
pub fn rpc_result(req_msg_id: i64, result: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(12 + result.len());
    RPC_RESULT_ID.serialize(&mut body);
    req_msg_id.serialize(&mut body);
    body.extend_from_slice(result);
    body
}

/// One message the server is about to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerMessage {
    /// Whether it answers a client message (`msg_id % 4 == 1`) or not (`== 3`).
    pub is_response: bool,
    /// Whether it is content-related (odd `seq_no`, the client acknowledges it).
    pub content_related: bool,
    /// The serialized TL object.
    pub body: Vec<u8>,
}

/// Numbers a server session's messages: monotonic message ids and sequence numbers.
#[derive(Debug, Default)]
pub struct ServerSequence {
    last_msg_id: i64,
    content_related_sent: i32,
}

impl ServerSequence {
    /// Serializes `messages` (one, or several in a `msg_container`) into a plaintext with the
    /// given salt and session id, ready for encryption.
    pub fn seal(&mut self, salt: i64, session_id: i64, messages: &[ServerMessage]) -> Vec<u8> {
        let body_len: usize = messages
            .iter()
            .map(|m| m.body.len() + MESSAGE_HEADER_LEN)
            .sum();
        let mut plaintext = Vec::with_capacity(PLAINTEXT_HEADER_LEN + 24 + body_len);
        salt.serialize(&mut plaintext);
        session_id.serialize(&mut plaintext);
        if let [single] = messages {
            self.write_message(&mut plaintext, single);
        } else {
            let mut container = Vec::with_capacity(8 + body_len);
            MSG_CONTAINER_ID.serialize(&mut container);
            (messages.len() as i32).serialize(&mut container);
            for message in messages {
                self.write_message(&mut container, message);
            }
            let container = ServerMessage {
                is_response: false,
                content_related: false,
                body: container,
            };
            self.write_message(&mut plaintext, &container);
        }
        plaintext
    }

    fn write_message(&mut self, out: &mut Vec<u8>, message: &ServerMessage) {
        self.next_msg_id(message.is_response).serialize(out);
        self.next_seq_no(message.content_related).serialize(out);
        (message.body.len() as i32).serialize(out);
        out.extend_from_slice(&message.body);
    }

    /// The next message id: unix time in the high 32 bits, increasing, `≡ 1 (mod 4)` for
    /// responses and `≡ 3` otherwise.
    pub fn next_msg_id(&mut self, is_response: bool) -> i64 {
        let parity = if is_response { 1 } else { 3 };
        let candidate = unix_msg_id_base().max((self.last_msg_id & !3) + 4);
        self.last_msg_id = candidate | parity;
        self.last_msg_id
    }

    fn next_seq_no(&mut self, content_related: bool) -> i32 {
        if content_related {
            self.content_related_sent += 1;
            self.content_related_sent * 2 - 1
        } else {
            self.content_related_sent * 2
        }
    }
}

/// The current time as a message id base (multiple of 4).
pub fn unix_msg_id_base() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("system time is after the epoch");
    let fraction = (u64::from(now.subsec_nanos()) << 32) / 1_000_000_000;
    (((now.as_secs() << 32) | fraction) & !3) as i64
}

/// The unix time (seconds) encoded in a message id.
pub fn msg_id_unix_time(msg_id: i64) -> i64 {
    msg_id >> 32
}

fn parse_message(bytes: &[u8]) -> Result<(ClientMessage, usize), MessageError> {
    if bytes.len() < MESSAGE_HEADER_LEN {
        return Err(MessageError::Truncated);
    }
    let msg_id = read_i64(bytes, 0);
    let seq_no = read_i32(bytes, 8);
    let len = read_i32(bytes, 12);
    if len < 0 || len % 4 != 0 {
        return Err(MessageError::BadLength(len));
    }
    let end = MESSAGE_HEADER_LEN + len as usize;
    let body = bytes
        .get(MESSAGE_HEADER_LEN..end)
        .ok_or(MessageError::Truncated)?;
    Ok((
        ClientMessage {
            msg_id,
            seq_no,
            body: body.to_vec(),
        },
        end,
    ))
}

/// Reads a TL `bytes` value (length-prefixed, padded) from the start of `bytes`.
fn read_tl_bytes(bytes: &[u8]) -> Option<&[u8]> {
    let first = *bytes.first()?;
    let (len, start) = if first == 254 {
        let b = bytes.get(1..4)?;
        (
            usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16,
            4,
        )
    } else {
        (usize::from(first), 1)
    };
    bytes.get(start..start + len)
}

fn read_i64(bytes: &[u8], at: usize) -> i64 {
    i64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

fn read_i32(bytes: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

#[cfg(test)]
mod tests {
    use grammers_crypto::DequeBuffer;
    use grammers_mtproto::mtp::{Deserialization, Encrypted, Mtp};
    use grammers_tl_types as tl;
    use tl::{Deserializable, Identifiable};

    use super::*;
    use crate::crypto::{AuthKey, decrypt_client_payload, encrypt_server_payload};

    const KEY: [u8; 256] = [5u8; 256];

    /// Lets a grammers `Encrypted` serialize `requests` and returns the decrypted packet.
    fn client_packet(mtp: &mut Encrypted, requests: &[Vec<u8>]) -> ClientPacket {
        let mut buffer = DequeBuffer::with_capacity(1024, 128);
        for request in requests {
            mtp.push(&mut buffer, request).unwrap();
        }
        mtp.finalize(&mut buffer).unwrap();
        let mut payload = buffer[..].to_vec();
        let plaintext = decrypt_client_payload(&mut payload, &AuthKey::from_bytes(KEY)).unwrap();
        parse_plaintext(plaintext).unwrap()
    }

    #[test]
    fn parses_a_single_grammers_request() {
        let mut mtp = Encrypted::build().finish(KEY);
        let ping = tl::functions::Ping { ping_id: 42 }.to_bytes();
        let packet = client_packet(&mut mtp, std::slice::from_ref(&ping));
        assert_eq!(packet.message.body, ping);
        assert_eq!(packet.message.msg_id % 4, 0);
        assert!(packet.message.is_content_related());
    }

    #[test]
    fn parses_a_grammers_container() {
        let mut mtp = Encrypted::build().finish(KEY);
        let first = tl::functions::Ping { ping_id: 1 }.to_bytes();
        let second = tl::functions::Ping { ping_id: 2 }.to_bytes();
        let packet = client_packet(&mut mtp, &[first.clone(), second.clone()]);
        assert_eq!(packet.message.constructor_id(), Some(MSG_CONTAINER_ID));
        assert!(!packet.message.is_content_related());
        let inner = parse_container(&packet.message.body).unwrap();
        assert_eq!(
            inner.iter().map(|m| m.body.clone()).collect::<Vec<_>>(),
            [first, second]
        );
    }

    #[test]
    fn inflates_what_grammers_compresses() {
        let mut mtp = Encrypted::build()
            .compression_threshold(Some(16))
            .finish(KEY);
        let request = tl::functions::contacts::ResolveUsername {
            username: "a".repeat(600),
            referer: None,
        }
        .to_bytes();
        let packet = client_packet(&mut mtp, std::slice::from_ref(&request));
        assert_eq!(packet.message.constructor_id(), Some(GZIP_PACKED_ID));
        assert_eq!(unpack_gzip(&packet.message.body).unwrap(), request);
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for garbage in [
            vec![],
            vec![0u8; 15],
            vec![0xffu8; 64],
            [
                &[0u8; 16][..],
                &[0u8; 12],
                &(-4i32).to_le_bytes(),
                &[0u8; 16],
            ]
            .concat(),
        ] {
            assert!(parse_plaintext(&garbage).is_err());
            assert!(parse_container(&garbage).is_err());
            assert!(unpack_gzip(&garbage).is_err());
        }
        let mut nested = MSG_CONTAINER_ID.to_bytes();
        1i32.serialize(&mut nested);
        0i64.serialize(&mut nested);
        1i32.serialize(&mut nested);
        8i32.serialize(&mut nested);
        nested.extend(MSG_CONTAINER_ID.to_bytes());
        0i32.serialize(&mut nested);
        assert_eq!(parse_container(&nested), Err(MessageError::BadContainer));
    }

    #[test]
    fn msg_ids_increase_with_the_right_parity() {
        let mut sequence = ServerSequence::default();
        let mut last = 0;
        for i in 0..1000 {
            let is_response = i % 3 == 0;
            let id = sequence.next_msg_id(is_response);
            assert!(id > last);
            assert_eq!(id.rem_euclid(4), if is_response { 1 } else { 3 });
            last = id;
        }
    }

    #[test]
    fn grammers_reads_a_sealed_container_of_results() {
        let mut mtp = Encrypted::build().finish(KEY);
        let ping = tl::functions::Ping { ping_id: 7 }.to_bytes();
        let packet = client_packet(&mut mtp, std::slice::from_ref(&ping));
        let req_msg_id = packet.message.msg_id;

        let state = tl::enums::updates::State::State(tl::types::updates::State {
            pts: 1,
            qts: 2,
            date: 3,
            seq: 4,
            unread_count: 5,
        });
        let big = vec![0u8; 4000];
        let mut sequence = ServerSequence::default();
        let plaintext = sequence.seal(
            0,
            packet.session_id,
            &[
                ServerMessage {
                    is_response: true,
                    content_related: true,
                    body: rpc_result(req_msg_id, &state.to_bytes()),
                },
                ServerMessage {
                    is_response: true,
                    content_related: true,
                    body: rpc_result(req_msg_id + 4, &pack_gzip(&big.to_bytes())),
                },
            ],
        );
        let mut payload = encrypt_server_payload(plaintext, &AuthKey::from_bytes(KEY));
        let results = mtp.deserialize(&mut payload).unwrap();
        let bodies: Vec<Vec<u8>> = results
            .into_iter()
            .filter_map(|d| match d {
                Deserialization::RpcResult(r) => Some(r.body),
                _ => None,
            })
            .collect();
        assert_eq!(bodies.len(), 2);
        assert_eq!(
            tl::enums::updates::State::from_bytes(&bodies[0]).unwrap(),
            state
        );
        assert_eq!(Vec::<u8>::from_bytes(&bodies[1]).unwrap(), big);
        assert_eq!(
            constructor_id(&state.to_bytes()),
            Some(tl::types::updates::State::CONSTRUCTOR_ID)
        );
    }
}
