//! One client connection: frames in, MTProto messages decoded and answered, frames out.
//!
//! Everything for a connection runs on its own task. Answers delayed by the fault switch run
//! as sleeping sub-tasks that die with the connection.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use grammers_tl_types::{self as tl, Cursor, Deserializable, Identifiable, Serializable};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout};
use tracing::{debug, error, trace, warn};

use crate::backend::{CallContext, ClientInfo, RpcCall, RpcError, RpcResponse, SERVED_LAYERS};
use crate::crypto::{
    AuthKey, AuthKeyId, DecryptError, decrypt_client_payload, encrypt_server_payload,
    peek_auth_key_id, random_i64,
};
use crate::dc_config::config_for;
use crate::faults::CallFault;
use crate::mtproto::{
    self, ClientMessage, GZIP_PACKED_ID, MSG_CONTAINER_ID, MessageError, ServerMessage,
    ServerSequence, msg_id_unix_time, parse_container, parse_plaintext, unpack_gzip,
};
use crate::server::{Counters, Shared, stopped};
use crate::transport::{Codec, FrameError, TransportKind};

/// A client message id more than this far in the past is "too low" (bad_msg 16).
const MSG_ID_MAX_AGE_SECS: i64 = 300;
/// A client message id more than this far in the future is "too high" (bad_msg 17).
const MSG_ID_MAX_LEAD_SECS: i64 = 30;
/// Writes that make no progress for this long close the connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Messages per outgoing container (grammers accepts any count; Telegram uses up to ~1000).
const MAX_MESSAGES_PER_PACKET: usize = 256;
/// The read buffer is shrunk back after holding a frame larger than this.
const READ_BUFFER_KEEP: usize = 64 * 1024;

/// Why a connection ended.
#[derive(Debug, thiserror::Error)]
enum Closing {
    #[error("client closed the connection")]
    ClientClosed,
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    #[error("transport: {0}")]
    Frame(#[from] FrameError),
    #[error("decryption: {0}")]
    Decrypt(#[from] DecryptError),
    #[error("message: {0}")]
    Message(#[from] MessageError),
    #[error("unknown auth key {0}")]
    UnknownKey(AuthKeyId),
    #[error("unencrypted message (key generation is not supported)")]
    Unencrypted,
    #[error("auth key changed mid-connection")]
    KeyChanged,
    #[error("dropped by a fault")]
    FaultDrop,
    #[error("all connections dropped")]
    DropAll,
    #[error("server shutting down")]
    Shutdown,
    #[error("idle timeout")]
    Idle,
    #[error("no ping within the client's disconnect delay")]
    PingDelayExpired,
}

/// A message waiting to be sent in a session.
struct Outgoing {
    session_id: i64,
    message: ServerMessage,
}

/// Answers produced while handling one client packet.
struct Replies {
    session_id: i64,
    messages: Vec<ServerMessage>,
    acks: Vec<i64>,
}

impl Replies {
    fn push(&mut self, is_response: bool, content_related: bool, body: impl Serializable) {
        self.messages.push(ServerMessage {
            is_response,
            content_related,
            body: body.to_bytes(),
        });
    }

    fn bad_msg(&mut self, message: &ClientMessage, error_code: i32) {
        debug!(msg_id = message.msg_id, error_code, "bad_msg_notification");
        self.push(
            true,
            false,
            tl::enums::BadMsgNotification::Notification(tl::types::BadMsgNotification {
                bad_msg_id: message.msg_id,
                bad_msg_seqno: message.seq_no,
                error_code,
            }),
        );
    }
}

/// Serves one accepted connection until it closes.
pub(crate) async fn serve(stream: TcpStream, shared: Arc<Shared>, connection_id: u64) {
    // Nagle's algorithm would add ~40 ms to every answer on loopback.
    if let Err(error) = stream.set_nodelay(true) {
        debug!(connection_id, %error, "could not disable Nagle's algorithm");
    }
    let _open = OpenConnection::count(&shared.counters);
    let mut connection = Connection::new(Arc::clone(&shared), connection_id);
    let closing = connection.run(stream).await;
    debug!(connection_id, reason = %closing, "connection closed");
}

/// Counts a connection as open for as long as it lives, even if its task is aborted.
struct OpenConnection<'a>(&'a Counters);

impl<'a> OpenConnection<'a> {
    fn count(counters: &'a Counters) -> Self {
        counters.open_connections.fetch_add(1, Ordering::SeqCst);
        Self(counters)
    }
}

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Connection {
    shared: Arc<Shared>,
    id: u64,
    /// Set by the first bytes the client sends.
    codec: Option<Codec>,
    key: Option<AuthKey>,
    sessions: HashMap<i64, ServerSequence>,
    layer: Option<i32>,
    client: Option<Arc<ClientInfo>>,
    last_activity: Instant,
    disconnect_at: Option<Instant>,
    delayed: JoinSet<Outgoing>,
}

impl Connection {
    fn new(shared: Arc<Shared>, id: u64) -> Self {
        Self {
            shared,
            id,
            codec: None,
            key: None,
            sessions: HashMap::new(),
            layer: None,
            client: None,
            last_activity: Instant::now(),
            disconnect_at: None,
            delayed: JoinSet::new(),
        }
    }

    async fn run(&mut self, mut stream: TcpStream) -> Closing {
        let mut drops = self.shared.faults.subscribe_drops();
        let mut shutdown = self.shared.shutdown.subscribe();
        let mut buffer = Vec::with_capacity(1024);
        loop {
            let deadline = self.deadline();
            tokio::select! {
                _ = drops.changed() => return Closing::DropAll,
                () = stopped(&mut shutdown) => return Closing::Shutdown,
                () = sleep_until(deadline) => {
                    return if self.disconnect_at.is_some_and(|at| at <= Instant::now()) {
                        Closing::PingDelayExpired
                    } else {
                        Closing::Idle
                    };
                }
                Some(joined) = self.delayed.join_next(), if !self.delayed.is_empty() => {
                    let Ok(outgoing) = joined else { continue };
                    if let Err(closing) = self.send(&mut stream, outgoing.session_id, vec![outgoing.message]).await {
                        return closing;
                    }
                }
                read = stream.read_buf(&mut buffer) => {
                    match read {
                        Ok(0) => return Closing::ClientClosed,
                        Ok(_) => self.last_activity = Instant::now(),
                        Err(error) => return Closing::Io(error),
                    }
                    if let Err(closing) = self.drain_frames(&mut stream, &mut buffer).await {
                        return closing;
                    }
                }
            }
        }
    }

    /// The earlier of the idle deadline and the client's ping-disconnect deadline.
    fn deadline(&self) -> Instant {
        let idle = self.last_activity + self.shared.config.idle_timeout;
        self.disconnect_at.map_or(idle, |at| at.min(idle))
    }

    /// Handles every complete frame in `buffer`, answering each packet.
    async fn drain_frames(
        &mut self,
        stream: &mut TcpStream,
        buffer: &mut Vec<u8>,
    ) -> Result<(), Closing> {
        let mut consumed = 0;
        if self.codec.is_none() {
            let Some((kind, tag_len)) = TransportKind::detect(buffer) else {
                return Ok(());
            };
            debug!(connection_id = self.id, ?kind, "transport");
            self.codec = Some(Codec::new(kind));
            consumed = tag_len;
        }
        while let Some((payload, used)) = self
            .codec
            .as_mut()
            .expect("set above")
            .decode(&buffer[consumed..])?
        {
            let payload = consumed + payload.start..consumed + payload.end;
            consumed += used;
            match self.on_payload(&mut buffer[payload]) {
                Ok(replies) => self.send_replies(stream, replies).await?,
                Err(closing @ (Closing::UnknownKey(_) | Closing::Unencrypted)) => {
                    // Telegram's answer to a key it does not know; grammers reads it as
                    // `BadStatus { status: 404 }`.
                    let error = self.codec.as_mut().expect("set above").error(404);
                    stream.write_all(&error).await?;
                    stream.flush().await?;
                    return Err(closing);
                }
                Err(closing) => return Err(closing),
            }
        }
        buffer.drain(..consumed);
        if buffer.is_empty() && buffer.capacity() > READ_BUFFER_KEEP {
            buffer.shrink_to(1024);
        }
        Ok(())
    }

    /// Decrypts and handles one transport payload.
    fn on_payload(&mut self, payload: &mut [u8]) -> Result<Replies, Closing> {
        let key_id = peek_auth_key_id(payload).ok_or(MessageError::Truncated)?;
        if key_id.0 == 0 {
            return Err(Closing::Unencrypted);
        }
        let key = self.key_for(key_id)?;
        let plaintext = decrypt_client_payload(payload, &key)?;
        let packet = parse_plaintext(plaintext)?;
        let mut replies = Replies {
            session_id: packet.session_id,
            messages: Vec::new(),
            acks: Vec::new(),
        };
        if let Entry::Vacant(session) = self.sessions.entry(packet.session_id) {
            session.insert(ServerSequence::default());
            replies.push(
                false,
                true,
                tl::enums::NewSession::Created(tl::types::NewSessionCreated {
                    first_msg_id: packet.message.msg_id,
                    unique_id: random_i64(),
                    server_salt: self.shared.salts.current(),
                }),
            );
        }
        self.handle_message(packet.message, true, &mut replies)?;
        Ok(replies)
    }

    /// The connection's key; the first packet fixes it.
    fn key_for(&mut self, key_id: AuthKeyId) -> Result<AuthKey, Closing> {
        match &self.key {
            Some(key) if key.id() == key_id => Ok(key.clone()),
            Some(_) => Err(Closing::KeyChanged),
            None => {
                let key = self
                    .shared
                    .find_key(key_id)
                    .ok_or(Closing::UnknownKey(key_id))?;
                self.key = Some(key.clone());
                Ok(key)
            }
        }
    }

    /// Handles one message; containers and `gzip_packed` are opened when `top_level`.
    fn handle_message(
        &mut self,
        message: ClientMessage,
        top_level: bool,
        replies: &mut Replies,
    ) -> Result<(), Closing> {
        if message.msg_id.rem_euclid(4) != 0 {
            replies.bad_msg(&message, 18);
            return Ok(());
        }
        let age = unix_now() - msg_id_unix_time(message.msg_id);
        if age > MSG_ID_MAX_AGE_SECS {
            replies.bad_msg(&message, 16);
            return Ok(());
        }
        if -age > MSG_ID_MAX_LEAD_SECS {
            replies.bad_msg(&message, 17);
            return Ok(());
        }
        let constructor = message.constructor_id().ok_or(MessageError::Truncated)?;
        trace!(
            connection_id = self.id,
            msg_id = message.msg_id,
            name = tl::name_for_id(constructor),
            "message"
        );
        match constructor {
            MSG_CONTAINER_ID if top_level => {
                for inner in parse_container(&message.body)? {
                    self.handle_inner(inner, replies)?;
                }
                Ok(())
            }
            MSG_CONTAINER_ID => Err(MessageError::BadContainer.into()),
            _ => self.handle_inner(message, replies),
        }
    }

    /// Handles a message that is not a container: inflates `gzip_packed`, then dispatches.
    fn handle_inner(
        &mut self,
        message: ClientMessage,
        replies: &mut Replies,
    ) -> Result<(), Closing> {
        if message.constructor_id() == Some(GZIP_PACKED_ID) {
            let body = unpack_gzip(&message.body)?;
            if matches!(
                mtproto::constructor_id(&body),
                Some(GZIP_PACKED_ID | MSG_CONTAINER_ID)
            ) {
                return Err(MessageError::BadGzip.into());
            }
            return self.dispatch(ClientMessage { body, ..message }, replies);
        }
        self.dispatch(message, replies)
    }

    /// Answers MTProto service messages here and passes RPC calls on.
    fn dispatch(&mut self, message: ClientMessage, replies: &mut Replies) -> Result<(), Closing> {
        let constructor = message.constructor_id().ok_or(MessageError::Truncated)?;
        let body = &message.body[4..];
        match constructor {
            tl::types::MsgsAck::CONSTRUCTOR_ID => {
                if message.is_content_related() {
                    replies.bad_msg(&message, 34);
                }
            }
            tl::types::HttpWait::CONSTRUCTOR_ID => {}
            tl::functions::Ping::CONSTRUCTOR_ID => {
                let ping = decode_service::<tl::functions::Ping>(body)?;
                replies.push(true, true, pong(message.msg_id, ping.ping_id));
            }
            tl::functions::PingDelayDisconnect::CONSTRUCTOR_ID => {
                let ping = decode_service::<tl::functions::PingDelayDisconnect>(body)?;
                self.disconnect_at = u64::try_from(ping.disconnect_delay)
                    .ok()
                    .filter(|&secs| secs > 0)
                    .map(|secs| Instant::now() + Duration::from_secs(secs));
                replies.push(true, true, pong(message.msg_id, ping.ping_id));
            }
            tl::functions::GetFutureSalts::CONSTRUCTOR_ID => {
                let request = decode_service::<tl::functions::GetFutureSalts>(body)?;
                let salts = self.shared.salts.future_salts(message.msg_id, request.num);
                replies.push(true, true, salts);
            }
            tl::functions::DestroySession::CONSTRUCTOR_ID => {
                let request = decode_service::<tl::functions::DestroySession>(body)?;
                let answer = if request.session_id != replies.session_id
                    && self.sessions.remove(&request.session_id).is_some()
                {
                    tl::enums::DestroySessionRes::DestroySessionOk(tl::types::DestroySessionOk {
                        session_id: request.session_id,
                    })
                } else {
                    tl::enums::DestroySessionRes::DestroySessionNone(
                        tl::types::DestroySessionNone {
                            session_id: request.session_id,
                        },
                    )
                };
                replies.push(true, true, answer);
            }
            tl::functions::RpcDropAnswer::CONSTRUCTOR_ID => {
                replies.push(
                    true,
                    true,
                    RawBody(mtproto::rpc_result(
                        message.msg_id,
                        &tl::enums::RpcDropAnswer::RpcAnswerUnknown.to_bytes(),
                    )),
                );
            }
            _ => return self.handle_call(&message, replies),
        }
        Ok(())
    }

    /// Answers one RPC call: faults, then `help.getConfig` or the backend.
    fn handle_call(
        &mut self,
        message: &ClientMessage,
        replies: &mut Replies,
    ) -> Result<(), Closing> {
        if !message.is_content_related() {
            replies.bad_msg(message, 35);
            return Ok(());
        }
        let unwrapped = self.unwrap_call(&message.body);
        let faults = &self.shared.faults;
        let part = unwrapped.as_ref().ok().and_then(saved_file_part);
        let response = match faults.take_call_fault() {
            CallFault::DropConnection => return Err(Closing::FaultDrop),
            CallFault::Fail { code, message } => Err(RpcError::new(code, message)),
            // A part lost from storage: acknowledged, never kept (see
            // `Faults::lose_next_file_part` for the rule's sources).
            CallFault::None if part.is_some_and(|part| faults.take_lost_part(part)) => {
                Ok(true.to_bytes())
            }
            CallFault::None => {
                unwrapped.and_then(|call| self.answer(replies.session_id, message.msg_id, &call))
            }
        };
        let answer = ServerMessage {
            is_response: true,
            content_related: true,
            body: self.rpc_result(message.msg_id, response),
        };
        let upload_delay = part.and(faults.upload_delay());
        let delay = match (faults.answer_delay(), upload_delay) {
            (Some(all), Some(upload)) => Some(all + upload),
            (all, upload) => all.or(upload),
        };
        match delay {
            Some(delay) => {
                let session_id = replies.session_id;
                self.delayed.spawn(async move {
                    tokio::time::sleep(delay).await;
                    Outgoing {
                        session_id,
                        message: answer,
                    }
                });
                replies.acks.push(message.msg_id);
            }
            None => replies.messages.push(answer),
        }
        Ok(())
    }

    /// Strips `invokeWithLayer`, `initConnection`, `invokeWithoutUpdates` and
    /// `invokeAfterMsg(s)`, remembering the layer and client info.
    fn unwrap_call(&mut self, body: &[u8]) -> Result<RpcCall, RpcError> {
        let fetch_error = |_| RpcError::new(400, "INPUT_FETCH_ERROR");
        let mut cursor = Cursor::from_slice(body);
        loop {
            let start = cursor.pos();
            match u32::deserialize(&mut cursor).map_err(fetch_error)? {
                tl::functions::InvokeWithLayer::<Query>::CONSTRUCTOR_ID => {
                    let wrapper = tl::functions::InvokeWithLayer::<Query>::deserialize(&mut cursor)
                        .map_err(fetch_error)?;
                    if !SERVED_LAYERS.contains(&wrapper.layer) {
                        warn!(
                            connection_id = self.id,
                            layer = wrapper.layer,
                            "refusing a client of API layer {} (tg-sim serves layers {}..={})",
                            wrapper.layer,
                            SERVED_LAYERS.start(),
                            SERVED_LAYERS.end()
                        );
                        return Err(RpcError::layer_invalid());
                    }
                    self.layer = Some(wrapper.layer);
                }
                tl::functions::InitConnection::<Query>::CONSTRUCTOR_ID => {
                    let init = tl::functions::InitConnection::<Query>::deserialize(&mut cursor)
                        .map_err(fetch_error)?;
                    let client = Arc::new(ClientInfo {
                        api_id: init.api_id,
                        layer: self.layer,
                        device_model: init.device_model,
                        system_version: init.system_version,
                        app_version: init.app_version,
                        system_lang_code: init.system_lang_code,
                        lang_code: init.lang_code,
                    });
                    self.shared.record_client(Arc::clone(&client));
                    self.client = Some(client);
                }
                tl::functions::InvokeWithoutUpdates::<Query>::CONSTRUCTOR_ID => {}
                tl::functions::InvokeAfterMsg::<Query>::CONSTRUCTOR_ID => {
                    tl::functions::InvokeAfterMsg::<Query>::deserialize(&mut cursor)
                        .map_err(fetch_error)?;
                }
                tl::functions::InvokeAfterMsgs::<Query>::CONSTRUCTOR_ID => {
                    tl::functions::InvokeAfterMsgs::<Query>::deserialize(&mut cursor)
                        .map_err(fetch_error)?;
                }
                _ => {
                    return RpcCall::from_body(body[start..].to_vec())
                        .ok_or(RpcError::new(400, "INPUT_FETCH_ERROR"));
                }
            }
        }
    }

    /// The answer to an unwrapped call.
    fn answer(&self, session_id: i64, msg_id: i64, call: &RpcCall) -> RpcResponse {
        if call.is::<tl::functions::help::GetConfig>() {
            let config = &self.shared.config;
            return Ok(
                config_for(self.shared.address, config.dc_ids.clone(), config.this_dc).to_bytes(),
            );
        }
        let key = self
            .key
            .as_ref()
            .expect("a call arrives only after the key is known");
        let ctx = CallContext {
            auth_key_id: key.id(),
            session_id,
            msg_id,
            connection_id: self.id,
            client: self.client.clone(),
        };
        let backend = &self.shared.backend;
        panic::catch_unwind(AssertUnwindSafe(|| backend.handle(&ctx, call))).unwrap_or_else(|_| {
            error!(
                connection_id = self.id,
                call = call.name(),
                "backend panicked"
            );
            Err(RpcError::internal())
        })
    }

    /// `rpc_result` around an answer (compressed when large) or an `rpc_error`.
    fn rpc_result(&self, req_msg_id: i64, response: RpcResponse) -> Vec<u8> {
        let counters = &self.shared.counters;
        match response {
            Ok(answer) => {
                counters.calls_answered.fetch_add(1, Ordering::Relaxed);
                let compress = self
                    .shared
                    .config
                    .compress_answers_from
                    .is_some_and(|threshold| answer.len() >= threshold);
                if compress {
                    let packed = mtproto::pack_gzip(&answer);
                    if packed.len() < answer.len() {
                        return mtproto::rpc_result(req_msg_id, &packed);
                    }
                }
                mtproto::rpc_result(req_msg_id, &answer)
            }
            Err(error) => {
                counters.calls_failed.fetch_add(1, Ordering::Relaxed);
                debug!(connection_id = self.id, %error, "rpc_error");
                mtproto::rpc_result(req_msg_id, &error.to_tl().to_bytes())
            }
        }
    }

    /// Sends a packet's replies, acknowledging the content-related messages not answered yet.
    async fn send_replies(
        &mut self,
        stream: &mut TcpStream,
        mut replies: Replies,
    ) -> Result<(), Closing> {
        if !replies.acks.is_empty() {
            let acks = std::mem::take(&mut replies.acks);
            replies.push(
                false,
                false,
                tl::enums::MsgsAck::Ack(tl::types::MsgsAck { msg_ids: acks }),
            );
        }
        if replies.messages.is_empty() {
            return Ok(());
        }
        self.send(stream, replies.session_id, replies.messages)
            .await
    }

    /// Seals, encrypts, frames and writes messages of one session.
    async fn send(
        &mut self,
        stream: &mut TcpStream,
        session_id: i64,
        messages: Vec<ServerMessage>,
    ) -> Result<(), Closing> {
        let (Some(key), Some(codec)) = (&self.key, &mut self.codec) else {
            return Ok(());
        };
        let salt = self.shared.salts.current();
        let sequence = self.sessions.entry(session_id).or_default();
        let mut frames = Vec::new();
        for chunk in messages.chunks(MAX_MESSAGES_PER_PACKET) {
            let plaintext = sequence.seal(salt, session_id, chunk);
            let payload = encrypt_server_payload(plaintext, key);
            frames.extend(codec.encode(&payload));
        }
        match timeout(WRITE_TIMEOUT, stream.write_all(&frames)).await {
            Ok(written) => Ok(written?),
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "client does not read").into()),
        }
    }
}

/// Placeholder for the query inside a wrapper: deserializes nothing, so the cursor stays at
/// the start of the wrapped query.
struct Query;

impl Deserializable for Query {
    fn deserialize(_: &mut Cursor<'_>) -> tl::deserialize::Result<Self> {
        Ok(Query)
    }
}

/// Already serialized TL.
struct RawBody(Vec<u8>);

impl Serializable for RawBody {
    fn serialize(&self, buf: &mut impl Extend<u8>) {
        buf.extend(self.0.iter().copied());
    }
}

fn pong(msg_id: i64, ping_id: i64) -> tl::enums::Pong {
    tl::enums::Pong::Pong(tl::types::Pong { msg_id, ping_id })
}

fn decode_service<F: Deserializable>(body: &[u8]) -> Result<F, Closing> {
    F::from_bytes(body).map_err(|_| MessageError::Truncated.into())
}

fn unix_now() -> i64 {
    msg_id_unix_time(mtproto::unix_msg_id_base())
}

/// The part number of an `upload.saveFilePart` / `upload.saveBigFilePart` call.
fn saved_file_part(call: &RpcCall) -> Option<i32> {
    match call.decode::<tl::functions::upload::SaveFilePart>() {
        Some(small) => small.ok().map(|request| request.file_part),
        None => call
            .decode::<tl::functions::upload::SaveBigFilePart>()
            .and_then(Result::ok)
            .map(|request| request.file_part),
    }
}
