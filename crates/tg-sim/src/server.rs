//! The listening server: configuration, auth-key registry, statistics, start and shutdown.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::{Deref, RangeInclusive};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tracing::{debug, info, warn};

use crate::backend::{Backend, ClientInfo};
use crate::connection;
use crate::crypto::{AuthKey, AuthKeyId, random_i64};
use crate::faults::Faults;
use crate::salts::SaltSchedule;

/// How a server listens and what it tells clients.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to bind; port 0 picks a free port. Default `127.0.0.1:0`.
    pub listen: SocketAddr,
    /// The address clients are told to connect to (`help.getConfig`, provisioned sessions),
    /// when it differs from the bound one: behind NAT, or bound to `0.0.0.0` inside a
    /// container. Port 0 stands for the bound port. Default `None`: the bound address.
    pub advertise: Option<SocketAddr>,
    /// DC ids announced in `help.getConfig`, all pointing at this server. Default `1..=5`.
    pub dc_ids: RangeInclusive<i32>,
    /// The DC id this server claims to be (`config.this_dc`). Default 2, grammers' default.
    pub this_dc: i32,
    /// A connection with no traffic for this long is closed. Default 5 minutes
    /// (grammers pings every minute).
    pub idle_timeout: Duration,
    /// RPC answers at least this large are sent as `gzip_packed`. Default 16 KiB.
    pub compress_answers_from: Option<usize>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            advertise: None,
            dc_ids: 1..=5,
            this_dc: 2,
            idle_timeout: Duration::from_secs(300),
            compress_answers_from: Some(16 * 1024),
        }
    }
}

/// Counters since the server started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ServerStats {
    /// Connections open now.
    pub open_connections: u64,
    /// Connections accepted (including refused ones).
    pub accepted_connections: u64,
    /// RPC calls answered with a result.
    pub calls_answered: u64,
    /// RPC calls answered with an error.
    pub calls_failed: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub open_connections: AtomicU64,
    pub accepted_connections: AtomicU64,
    pub calls_answered: AtomicU64,
    pub calls_failed: AtomicU64,
}

/// How many `initConnection` records [`ServerHandle::client_infos`] keeps.
pub const CLIENT_INFOS_KEPT: usize = 1024;

/// State shared by the accept loop, every connection and every handle.
pub(crate) struct Shared {
    pub backend: Box<dyn Backend>,
    pub config: ServerConfig,
    pub address: SocketAddr,
    pub keys: RwLock<HashMap<AuthKeyId, AuthKey>>,
    pub faults: Faults,
    pub salts: SaltSchedule,
    pub counters: Counters,
    /// What each connection's client sent in `initConnection`, oldest first (the
    /// last [`CLIENT_INFOS_KEPT`]).
    pub client_infos: Mutex<Vec<Arc<ClientInfo>>>,
    pub shutdown: watch::Sender<bool>,
    next_connection_id: AtomicU64,
}

impl Shared {
    /// Records what a connection's client sent in `initConnection`.
    pub fn record_client(&self, client: Arc<ClientInfo>) {
        let mut infos = self
            .client_infos
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if infos.len() == CLIENT_INFOS_KEPT {
            infos.remove(0);
        }
        infos.push(client);
    }

    /// The key with this id, from the registry or else the backend.
    pub fn find_key(&self, id: AuthKeyId) -> Option<AuthKey> {
        let registered = self
            .keys
            .read()
            .expect("key registry lock is never poisoned")
            .get(&id)
            .cloned();
        registered.or_else(|| self.backend.find_auth_key(id))
    }
}

/// A cheap, cloneable handle to a running server: keys, faults, statistics.
#[derive(Clone)]
pub struct ServerHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("address", &self.shared.address)
            .finish_non_exhaustive()
    }
}

impl ServerHandle {
    /// The address clients connect to: the advertised address, else the bound one.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.address
    }

    /// Registers a pre-shared 256-byte auth key; clients holding it can connect.
    pub fn register_auth_key(&self, key: [u8; 256]) -> AuthKeyId {
        let key = AuthKey::from_bytes(key);
        let id = key.id();
        self.shared
            .keys
            .write()
            .expect("key registry lock is never poisoned")
            .insert(id, key);
        id
    }

    /// Forgets a registered key; its clients then get transport error `-404`.
    pub fn forget_auth_key(&self, id: AuthKeyId) -> bool {
        self.shared
            .keys
            .write()
            .expect("key registry lock is never poisoned")
            .remove(&id)
            .is_some()
    }

    /// The fault switches.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// What clients sent in `initConnection`, one entry per connection that sent
    /// it, oldest first (device model, system and app versions, language codes).
    pub fn client_infos(&self) -> Vec<Arc<ClientInfo>> {
        self.shared
            .client_infos
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Counters since start.
    pub fn stats(&self) -> ServerStats {
        let counters = &self.shared.counters;
        ServerStats {
            open_connections: counters.open_connections.load(Ordering::SeqCst),
            accepted_connections: counters.accepted_connections.load(Ordering::SeqCst),
            calls_answered: counters.calls_answered.load(Ordering::SeqCst),
            calls_failed: counters.calls_failed.load(Ordering::SeqCst),
        }
    }
}

/// A running tg-sim server. Dereferences to its [`ServerHandle`]. Dropping it stops the
/// server without waiting; [`SimServer::shutdown`] also waits for every connection to close.
#[derive(Debug)]
pub struct SimServer {
    handle: ServerHandle,
    accept_loop: Option<JoinHandle<()>>,
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.handle.shared.shutdown.send_replace(true);
    }
}

impl Deref for SimServer {
    type Target = ServerHandle;

    fn deref(&self) -> &ServerHandle {
        &self.handle
    }
}

impl SimServer {
    /// Binds `config.listen` and starts serving `backend`, one task per connection.
    ///
    /// `help.getConfig` announces `config.advertise` when set, else the bound address, or
    /// loopback with the bound port when listening on an unspecified address (`0.0.0.0`).
    pub async fn start(config: ServerConfig, backend: impl Backend) -> io::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        let bound = listener.local_addr()?;
        let address = match config.advertise {
            Some(mut advertised) => {
                if advertised.port() == 0 {
                    advertised.set_port(bound.port());
                }
                advertised
            }
            None if bound.ip().is_unspecified() => {
                SocketAddr::new(Ipv4Addr::LOCALHOST.into(), bound.port())
            }
            None => bound,
        };
        let shared = Arc::new(Shared {
            backend: Box::new(backend),
            config,
            address,
            keys: RwLock::new(HashMap::new()),
            faults: Faults::default(),
            salts: SaltSchedule::new(random_i64() as u64),
            counters: Counters::default(),
            client_infos: Mutex::new(Vec::new()),
            shutdown: watch::Sender::new(false),
            next_connection_id: AtomicU64::new(1),
        });
        info!(%bound, advertised = %address, "tg-sim listening");
        let accept_loop = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(Self {
            handle: ServerHandle { shared },
            accept_loop: Some(accept_loop),
        })
    }

    /// A handle that outlives borrowing the server.
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    /// Stops accepting, closes every connection and waits for their tasks to end.
    pub async fn shutdown(mut self) {
        self.handle.shared.shutdown.send_replace(true);
        if let Some(accept_loop) = self.accept_loop.take()
            && let Err(error) = accept_loop.await
        {
            warn!(%error, "tg-sim accept loop ended abnormally");
        }
    }
}

const CONNECTION_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Resolves once shutdown is requested, including a request made before `shutdown` was
/// subscribed (which `changed()` would miss).
pub(crate) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|&stop| stop).await;
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = stopped(&mut shutdown) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    shared.counters.accepted_connections.fetch_add(1, Ordering::SeqCst);
                    if shared.faults.take_connection_refusal() {
                        debug!(%peer, "refusing connection (fault)");
                        drop(stream);
                        continue;
                    }
                    let id = shared.next_connection_id.fetch_add(1, Ordering::SeqCst);
                    connections.spawn(connection::serve(stream, Arc::clone(&shared), id));
                }
                Err(error) => {
                    warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(CONNECTION_SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::DemoBackend;

    #[tokio::test]
    async fn a_shutdown_requested_before_the_accept_loop_ran_still_stops_it() {
        // On the current-thread runtime the accept loop has not run (nor subscribed) yet
        // when shutdown is requested.
        let server = SimServer::start(
            ServerConfig::default(),
            DemoBackend::with_generated_accounts(0),
        )
        .await
        .unwrap();
        tokio::time::timeout(Duration::from_secs(5), server.shutdown())
            .await
            .expect("shutdown completes");
    }
}
