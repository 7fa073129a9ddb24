//! [`WorldBackend`]: the simulated world ([`tg_world::World`]) served over the wire.
//!
//! Every call reads `now` from a [`SimClock`], locks the shared world for the duration of one
//! synchronous world method (never across an await), and answers with the TL shapes real
//! Telegram uses (see `shapes`). Calls that need a user are authorized with the world's
//! [`World::authorize`], which answers `AUTH_KEY_UNREGISTERED` / `USER_DEACTIVATED_BAN`.
//! World errors travel as `rpc_error` with Telegram's message (`FLOOD_WAIT_31`).
//!
//! Served: `users.getUsers`, `updates.getState`, `contacts.resolveUsername`,
//! `channels.joinChannel`, `messages.checkChatInvite`, `messages.importChatInvite`,
//! `channels.getParticipant`, `channels.getFullChannel`, `channels.leaveChannel`,
//! `messages.sendMessage`, `upload.saveFilePart`, `upload.saveBigFilePart`,
//! `messages.sendMedia`, `messages.forwardMessages`, `messages.getHistory`,
//! `channels.readHistory`, `stories.getPeerStories`, `stories.readStories`,
//! `messages.sendReaction`, `updates.getDifference`, `updates.getChannelDifference`,
//! `messages.getDialogs`, `users.getFullUser`, and sign-in: `auth.sendCode`, `auth.signIn`,
//! `account.getPassword`, `auth.checkPassword`, `auth.logOut`. Anything else is
//! `400 INPUT_METHOD_INVALID_<constructor id>`.
//!
//! # Serving a scenario from a test
//!
//! ```
//! use std::sync::Arc;
//! use tg_sim::{ManualClock, ServerConfig, SimServer, WorldBackend};
//! use tg_world::{Scenario, World};
//!
//! # fn main() -> anyhow::Result<()> {
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let scenario = Scenario::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../tg-world/scenarios/small.toml"))?;
//! // A clock the test moves (`clock.advance(..)`); `ScaledClock` runs on wall time.
//! let clock = ManualClock::new(scenario.epoch);
//! let backend = Arc::new(WorldBackend::new(World::new(&scenario)?, Arc::clone(&clock)));
//! let server = SimServer::start(ServerConfig::default(), Arc::clone(&backend)).await?;
//! // A grammers session for "ayu": home DC 2 at `server.local_addr()` holding
//! // `scenario.preshared_auth_key("ayu").unwrap().expose_bytes()`; or Telethon string
//! // sessions for every account: `tg_sim::provision::provision(dir, &scenario, address, 2)`.
//! assert_eq!(backend.world().lock().unwrap().labels()[0], "ayu");
//! server.shutdown().await;
//! # Ok::<_, anyhow::Error>(())
//! # })
//! # }
//! ```

mod channels;
mod inputs;
mod login;
mod messages;
mod objects;
mod sync;
mod uploads;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use tg_world::{UserId, World};

use crate::backend::{Backend, CallContext, RpcCall, RpcError, RpcResponse};
use crate::clock::SimClock;
use crate::crypto::{AuthKey, AuthKeyId};
use login::Login;
use uploads::Uploads;

/// A world shared between the server and whoever inspects it (tests, the demo).
pub type SharedWorld = Arc<Mutex<World>>;

/// Serves a [`World`] to grammers clients. See the module docs.
pub struct WorldBackend {
    world: SharedWorld,
    clock: Box<dyn SimClock>,
    uploads: Uploads,
    login: Login,
}

impl fmt::Debug for WorldBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorldBackend")
            .field("world", &*lock(&self.world))
            .field("now", &self.clock.now())
            .finish_non_exhaustive()
    }
}

impl WorldBackend {
    /// Serves `world`, reading time from `clock`.
    pub fn new(world: World, clock: impl SimClock) -> Self {
        Self::with_shared_world(Arc::new(Mutex::new(world)), clock)
    }

    /// Serves a world someone else also holds (to inspect it while it is served).
    pub fn with_shared_world(world: SharedWorld, clock: impl SimClock) -> Self {
        Self {
            world,
            clock: Box::new(clock),
            uploads: Uploads::default(),
            login: Login::default(),
        }
    }

    /// The served world. Lock it briefly; every call waits for it.
    pub fn world(&self) -> &SharedWorld {
        &self.world
    }

    /// The world's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        lock(&self.world)
    }

    /// The user the call's key is signed in as, now.
    fn authorize(&self, ctx: &CallContext) -> Result<UserId, RpcError> {
        let now = self.now();
        Ok(self.lock().authorize(now, key_of(ctx.auth_key_id))?)
    }

    /// Locks the world and authorizes the call's key: everything a user's call needs.
    fn session(&self, ctx: &CallContext) -> Result<Session<'_>, RpcError> {
        let now = self.now();
        let world = self.lock();
        let me = world.authorize(now, key_of(ctx.auth_key_id))?;
        Ok(Session { world, me, now })
    }
}

impl Backend for WorldBackend {
    fn handle(&self, ctx: &CallContext, call: &RpcCall) -> RpcResponse {
        login::serve(self, ctx, call)
            .or_else(|| uploads::serve(self, ctx, call))
            .or_else(|| channels::serve(self, ctx, call))
            .or_else(|| messages::serve(self, ctx, call))
            .or_else(|| sync::serve(self, ctx, call))
            .unwrap_or_else(|| Err(RpcError::method_invalid(call)))
    }

    /// The world's pre-shared keys, signed in or not.
    fn find_auth_key(&self, id: AuthKeyId) -> Option<AuthKey> {
        let world = self.lock();
        let key = world.preshared_auth_key_by_id(key_of(id))?;
        Some(AuthKey::from_bytes(*key.expose_bytes()))
    }
}

/// One authorized call: the locked world, the acting user and the time.
struct Session<'a> {
    world: MutexGuard<'a, World>,
    me: UserId,
    now: DateTime<Utc>,
}

impl From<tg_world::RpcError> for RpcError {
    fn from(error: tg_world::RpcError) -> Self {
        RpcError::new(error.code, error.message())
    }
}

fn lock(world: &SharedWorld) -> MutexGuard<'_, World> {
    world.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The world's name for a key id.
fn key_of(id: AuthKeyId) -> i64 {
    id.0.cast_signed()
}
