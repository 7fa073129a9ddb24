//! A world-backed tg-sim on a manual clock, and grammers clients holding scenario keys.

use std::path::Path;
use std::sync::{Arc, MutexGuard};

use chrono::{DateTime, Utc};
use grammers_client::Client;
use grammers_client::session::types::PeerRef;
use grammers_mtsender::InvocationError;
use grammers_tl_types as tl;
use tg_sim::{ManualClock, ServerConfig, SimServer, WorldBackend};
use tg_world::{InputChannel, Scenario, UserId, World};

#[allow(
    dead_code,
    reason = "the shared client has helpers this binary does not call"
)]
#[path = "../common/client.rs"]
mod client;
#[path = "../common/requests.rs"]
mod requests;

pub use client::TestClient;
pub use requests::send_message;

pub const API_HASH: &str = "0123456789abcdef0123456789abcdef";

/// `crates/tg-world/scenarios/small.toml`.
pub fn small_scenario() -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tg-world/scenarios/small.toml");
    Scenario::load(path).expect("the example scenario loads")
}

/// A tg-sim serving a scenario's world, its backend, and the world's manual clock (set to
/// the scenario's epoch).
pub struct WorldSim {
    pub server: SimServer,
    pub backend: Arc<WorldBackend>,
    pub clock: Arc<ManualClock>,
    pub scenario: Scenario,
}

impl WorldSim {
    pub async fn start(scenario: Scenario) -> Self {
        let clock = ManualClock::new(scenario.epoch);
        let world = World::new(&scenario).expect("the scenario builds");
        let backend = Arc::new(WorldBackend::new(world, Arc::clone(&clock)));
        let server = SimServer::start(ServerConfig::default(), Arc::clone(&backend))
            .await
            .expect("server starts");
        Self {
            server,
            backend,
            clock,
            scenario,
        }
    }

    /// The pre-shared key of the account labelled `label`.
    pub fn key(&self, label: &str) -> [u8; 256] {
        *self
            .scenario
            .preshared_auth_key(label)
            .expect("a scenario account")
            .expose_bytes()
    }

    /// A grammers client holding `label`'s pre-shared key.
    pub fn client(&self, label: &str) -> TestClient {
        TestClient::connect(self.server.local_addr(), self.key(label))
    }

    /// The served world (lock briefly).
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.backend.world().lock().unwrap()
    }

    pub fn user(&self, label: &str) -> UserId {
        self.world().user_id(label).expect("a scenario account")
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.backend.now()
    }

    /// The `inputChannel` `label` uses for the group with this username.
    pub fn input_channel(&self, label: &str, username: &str) -> InputChannel {
        let world = self.world();
        let channel_id = world.channel_by_username(username).expect("a group");
        world.input_channel(world.user_id(label).unwrap(), channel_id)
    }

    /// `inputChannel` for `label` and a group username, as TL.
    pub fn tl_channel(&self, label: &str, username: &str) -> tl::enums::InputChannel {
        let channel = self.input_channel(label, username);
        tl::enums::InputChannel::Channel(tl::types::InputChannel {
            channel_id: channel.channel_id,
            access_hash: channel.access_hash,
        })
    }

    /// `inputPeerChannel` for `label` and a group username.
    pub fn tl_peer(&self, label: &str, username: &str) -> tl::enums::InputPeer {
        let channel = self.input_channel(label, username);
        tl::enums::InputPeer::Channel(tl::types::InputPeerChannel {
            channel_id: channel.channel_id,
            access_hash: channel.access_hash,
        })
    }

    /// grammers' peer reference for `label` and a group username (what the production
    /// adapter rebuilds from a stored `(peer_id, access_hash)`).
    pub fn peer_ref(&self, label: &str, username: &str) -> PeerRef {
        let channel = self.input_channel(label, username);
        tl::types::InputPeerChannel {
            channel_id: channel.channel_id,
            access_hash: channel.access_hash,
        }
        .into()
    }

    /// `label` joins the group with this username through grammers' `join_chat`.
    pub async fn join(&self, test: &TestClient, label: &str, username: &str) {
        test.client
            .join_chat(self.peer_ref(label, username))
            .await
            .expect("the join succeeds");
    }

    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }

    /// Stops the client, then the server.
    pub async fn finish(self, test: TestClient) {
        test.quit().await;
        self.shutdown().await;
    }
}

/// `scenarios/small.toml` served, and a client of `label`.
pub async fn serving(label: &str) -> (WorldSim, TestClient) {
    let sim = WorldSim::start(small_scenario()).await;
    let test = sim.client(label);
    (sim, test)
}

/// `scenarios/small.toml` served, and a client of `label` that joined `username`.
pub async fn joined(label: &str, username: &str) -> (WorldSim, TestClient) {
    let (sim, test) = serving(label).await;
    sim.join(&test, label, username).await;
    (sim, test)
}

/// The RPC error inside `error`; panics on any other kind of failure.
pub fn rpc_error(error: InvocationError) -> grammers_mtsender::RpcError {
    match error {
        InvocationError::Rpc(error) => error,
        other => panic!("expected an RPC error, got {other:?}"),
    }
}

/// `(code, name, value)` of the RPC error a call failed with.
pub fn rpc_failure<T>(result: Result<T, InvocationError>) -> (i32, String, Option<u32>) {
    let Err(error) = result else {
        panic!("the call succeeded");
    };
    let error = rpc_error(error);
    (error.code, error.name, error.value)
}

/// `(code, name, value)` as grammers splits a world error's wire message.
pub fn expected(error: tg_world::RpcError) -> (i32, String, Option<u32>) {
    (error.code, error.name, error.value)
}

/// The id of the user `users.getUsers([inputUserSelf])` returns.
pub async fn self_id(client: &Client) -> Result<i64, InvocationError> {
    let users = client
        .invoke(&tl::functions::users::GetUsers {
            id: vec![tl::enums::InputUser::UserSelf],
        })
        .await?;
    Ok(users.first().expect("one user").id())
}

/// grammers' `send_message` (its future is large, so it is boxed).
pub async fn send(
    client: &Client,
    peer: PeerRef,
    message: impl Into<grammers_client::message::InputMessage>,
) -> Result<grammers_client::message::Message, InvocationError> {
    Box::pin(client.send_message(peer, message)).await
}

/// `messages.sendMedia` with an uploaded media and a caption.
pub fn send_media(
    peer: tl::enums::InputPeer,
    media: tl::enums::InputMedia,
    caption: &str,
    entities: Option<Vec<tl::enums::MessageEntity>>,
) -> tl::functions::messages::SendMedia {
    tl::functions::messages::SendMedia {
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer,
        reply_to: None,
        media,
        message: caption.to_owned(),
        random_id: 77,
        reply_markup: None,
        entities,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
    }
}

/// `messages.forwardMessages` of one message.
pub fn forward(
    from: tl::enums::InputPeer,
    id: i32,
    to: tl::enums::InputPeer,
    drop_author: bool,
) -> tl::functions::messages::ForwardMessages {
    tl::functions::messages::ForwardMessages {
        silent: false,
        background: false,
        with_my_score: false,
        drop_author,
        drop_media_captions: false,
        noforwards: false,
        allow_paid_floodskip: false,
        from_ephemeral: false,
        from_peer: from,
        id: vec![id],
        random_id: vec![4242],
        to_peer: to,
        top_msg_id: None,
        reply_to: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        video_timestamp: None,
        allow_paid_stars: None,
        suggested_post: None,
    }
}

/// Uploads `size` bytes through grammers' `upload_stream` under `name`.
pub async fn upload(client: &Client, size: usize, name: &str) -> grammers_client::media::Uploaded {
    let bytes = vec![7u8; size];
    let mut stream = std::io::Cursor::new(bytes);
    client
        .upload_stream(&mut stream, size, name.to_owned())
        .await
        .expect("upload succeeds")
}

/// `updates` and its parts; panics on other constructors.
pub fn updates_of(updates: tl::enums::Updates) -> tl::types::Updates {
    match updates {
        tl::enums::Updates::Updates(updates) => updates,
        other => panic!("expected updates, got {other:?}"),
    }
}

/// The only chat of a list, as `channel`.
pub fn only_channel(chats: &[tl::enums::Chat]) -> &tl::types::Channel {
    match chats {
        [tl::enums::Chat::Channel(channel)] => channel,
        other => panic!("expected one channel, got {other:?}"),
    }
}
