//! grammers' [`Session`] over `account_sessions`: the home DC, its address and the
//! auth key come from Postgres (sealed at rest) and are cached in memory for the
//! synchronous getters; a changed home DC (with its key) is written back, and a
//! stored home key is never replaced by another key of the same DC.
//!
//! Peers are cached in memory only (tgfleet stores `(id, access_hash)` per membership
//! itself) and the update state is never persisted: tgfleet does not consume updates.

use grammers_session::types::{DcOption, PeerId, PeerInfo, UpdateState, UpdatesState};
use grammers_session::{BoxFuture, Session, SessionData};
use secrecy::{ExposeSecret, SecretBox};
use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::{Mutex, MutexGuard};
use tgfleet_domain::AccountId;
use tgfleet_store::{AUTH_KEY_BYTES, SessionCipher, Store, StoreError, StoredSession};

/// Why the session storage failed. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Writing the session to Postgres failed.
    #[error("saving the session of account {account} failed: {reason}")]
    Save {
        /// The account.
        account: AccountId,
        /// The store's message.
        reason: String,
    },
    /// The stored server address is not `ip:port`.
    #[error("the session of account {account} has an invalid server address")]
    BadAddress {
        /// The account.
        account: AccountId,
    },
    /// A lock was poisoned by a panic elsewhere.
    #[error("the session cache of account {account} is poisoned")]
    Poisoned {
        /// The account.
        account: AccountId,
    },
}

struct Cache {
    home_dc: i32,
    dc_options: HashMap<i32, DcOption>,
}

/// What was last written to (or read from) `account_sessions`.
struct Persisted {
    dc_id: i32,
    address: String,
    auth_key: SecretBox<[u8; AUTH_KEY_BYTES]>,
}

/// A grammers session whose home DC and auth key live in Postgres.
/// `Debug` shows the account and home DC only.
pub struct PgSession {
    store: Store,
    cipher: SessionCipher,
    account: AccountId,
    source: String,
    use_ipv6: bool,
    cache: Mutex<Cache>,
    peers: Mutex<HashMap<PeerId, PeerInfo>>,
    persisted: tokio::sync::Mutex<Option<Persisted>>,
}

impl fmt::Debug for PgSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let home_dc = self.cache.lock().map(|cache| cache.home_dc).ok();
        f.debug_struct("PgSession")
            .field("account", &self.account)
            .field("home_dc", &home_dc)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl PgSession {
    /// The stored session of `account`, or `None` when it has none.
    pub async fn load(
        store: &Store,
        cipher: &SessionCipher,
        account: AccountId,
    ) -> Result<Option<Self>, StoreError> {
        let Some(stored) = store.load_session(account, cipher).await? else {
            return Ok(None);
        };
        Self::from_stored(store.clone(), cipher.clone(), account, &stored)
            .map(Some)
            .map_err(|err| StoreError::Invalid {
                what: format!("session of account {account}"),
                reason: err.to_string(),
            })
    }

    /// A session over an already loaded [`StoredSession`].
    pub fn from_stored(
        store: Store,
        cipher: SessionCipher,
        account: AccountId,
        stored: &StoredSession,
    ) -> Result<Self, SessionError> {
        let address: SocketAddr = stored
            .server_address
            .parse()
            .map_err(|_| SessionError::BadAddress { account })?;
        let mut data = SessionData {
            home_dc: stored.dc_id,
            ..SessionData::default()
        };
        let option = data
            .dc_options
            .entry(stored.dc_id)
            .or_insert_with(|| DcOption {
                id: stored.dc_id,
                ipv4: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
                ipv6: SocketAddrV6::new(Ipv4Addr::UNSPECIFIED.to_ipv6_mapped(), 0, 0, 0),
                auth_key: None,
            });
        let use_ipv6 = match address {
            SocketAddr::V4(ipv4) => {
                option.ipv4 = ipv4;
                option.ipv6 = SocketAddrV6::new(ipv4.ip().to_ipv6_mapped(), ipv4.port(), 0, 0);
                false
            }
            SocketAddr::V6(ipv6) => {
                option.ipv6 = ipv6;
                true
            }
        };
        option.auth_key = Some(*stored.auth_key.expose_secret());
        Ok(Self {
            store,
            cipher,
            account,
            source: stored.source.clone(),
            use_ipv6,
            cache: Mutex::new(Cache {
                home_dc: data.home_dc,
                dc_options: data.dc_options,
            }),
            peers: Mutex::new(HashMap::new()),
            persisted: tokio::sync::Mutex::new(Some(Persisted {
                dc_id: stored.dc_id,
                address: stored.server_address.clone(),
                auth_key: SecretBox::new(Box::new(*stored.auth_key.expose_secret())),
            })),
        })
    }

    /// A session with no auth key yet, on Telegram's known data centres: grammers
    /// generates the key on first connect and it is saved then, with `source`.
    pub fn fresh(store: Store, cipher: SessionCipher, account: AccountId, source: &str) -> Self {
        let data = SessionData::default();
        Self {
            store,
            cipher,
            account,
            source: source.to_owned(),
            use_ipv6: false,
            cache: Mutex::new(Cache {
                home_dc: data.home_dc,
                dc_options: data.dc_options,
            }),
            peers: Mutex::new(HashMap::new()),
            persisted: tokio::sync::Mutex::new(None),
        }
    }

    /// The account this session belongs to.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// Whether the home address is IPv6 (connections then use IPv6).
    pub fn uses_ipv6(&self) -> bool {
        self.use_ipv6
    }

    fn cache(&self) -> Result<MutexGuard<'_, Cache>, SessionError> {
        self.cache.lock().map_err(|_| SessionError::Poisoned {
            account: self.account,
        })
    }

    /// The home DC's `(id, address, key)` when it has a key.
    fn home_snapshot(&self) -> Result<Option<Persisted>, SessionError> {
        let cache = self.cache()?;
        let Some(option) = cache.dc_options.get(&cache.home_dc) else {
            return Ok(None);
        };
        let Some(auth_key) = option.auth_key else {
            return Ok(None);
        };
        let address = if self.use_ipv6 {
            SocketAddr::V6(option.ipv6)
        } else {
            SocketAddr::V4(option.ipv4)
        };
        Ok(Some(Persisted {
            dc_id: option.id,
            address: address.to_string(),
            auth_key: SecretBox::new(Box::new(auth_key)),
        }))
    }

    /// Writes the home DC back to `account_sessions` if it differs from what is stored.
    async fn persist_home_if_changed(&self) -> Result<(), SessionError> {
        let Some(current) = self.home_snapshot()? else {
            return Ok(());
        };
        let mut persisted = self.persisted.lock().await;
        let unchanged = persisted.as_ref().is_some_and(|stored| {
            stored.dc_id == current.dc_id
                && stored.address == current.address
                && stored.auth_key.expose_secret() == current.auth_key.expose_secret()
        });
        if unchanged {
            return Ok(());
        }
        // grammers 0.11 answers a transport -404 (Telegram does not know the key) by
        // making a fresh key for the same DC (`sender_pool.rs`). That key belongs to no
        // login: storing it would destroy the imported session. Keep the original; the
        // connection's calls fail as unauthorized and the account stops.
        if let Some(stored) = persisted.as_ref()
            && stored.dc_id == current.dc_id
            && stored.auth_key.expose_secret() != current.auth_key.expose_secret()
        {
            tracing::error!(
                account = %self.account,
                dc_id = current.dc_id,
                "Telegram does not know the stored auth key (transport -404); the fresh key \
                 made for this connection is not stored, the stored session stays as it was"
            );
            return Ok(());
        }
        let session = StoredSession {
            dc_id: current.dc_id,
            server_address: current.address.clone(),
            auth_key: SecretBox::new(Box::new(*current.auth_key.expose_secret())),
            source: self.source.clone(),
        };
        self.store
            .save_session(self.account, &session, &self.cipher)
            .await
            .map_err(|err| SessionError::Save {
                account: self.account,
                reason: err.to_string(),
            })?;
        tracing::info!(
            account = %self.account,
            dc_id = current.dc_id,
            "session saved"
        );
        *persisted = Some(current);
        Ok(())
    }
}

impl Session for PgSession {
    type Error = SessionError;

    fn home_dc_id(&self) -> Result<i32, SessionError> {
        Ok(self.cache()?.home_dc)
    }

    fn set_home_dc_id(&self, dc_id: i32) -> BoxFuture<'_, Result<(), SessionError>> {
        Box::pin(async move {
            let changed = {
                let mut cache = self.cache()?;
                let changed = cache.home_dc != dc_id;
                cache.home_dc = dc_id;
                changed
            };
            if changed {
                self.persist_home_if_changed().await?;
            }
            Ok(())
        })
    }

    fn dc_option(&self, dc_id: i32) -> Result<Option<DcOption>, SessionError> {
        Ok(self.cache()?.dc_options.get(&dc_id).cloned())
    }

    fn set_dc_option(&self, dc_option: &DcOption) -> BoxFuture<'_, Result<(), SessionError>> {
        let dc_option = dc_option.clone();
        Box::pin(async move {
            let touches_home = {
                let mut cache = self.cache()?;
                let touches_home = dc_option.id == cache.home_dc;
                let previous = cache.dc_options.insert(dc_option.id, dc_option.clone());
                touches_home && previous.as_ref() != Some(&dc_option)
            };
            if touches_home {
                self.persist_home_if_changed().await?;
            }
            Ok(())
        })
    }

    fn peer(&self, peer: PeerId) -> BoxFuture<'_, Result<Option<PeerInfo>, SessionError>> {
        Box::pin(async move {
            let peers = self.peers.lock().map_err(|_| SessionError::Poisoned {
                account: self.account,
            })?;
            Ok(peers.get(&peer).cloned())
        })
    }

    fn cache_peer(&self, peer: PeerInfo) -> BoxFuture<'_, Result<(), SessionError>> {
        Box::pin(async move {
            let mut peers = self.peers.lock().map_err(|_| SessionError::Poisoned {
                account: self.account,
            })?;
            peers
                .entry(peer.id())
                .or_insert_with(|| peer.clone())
                .extend_info(&peer);
            Ok(())
        })
    }

    fn updates_state(&self) -> BoxFuture<'_, Result<UpdatesState, SessionError>> {
        Box::pin(async { Ok(UpdatesState::default()) })
    }

    fn set_update_state(&self, _update: UpdateState) -> BoxFuture<'_, Result<(), SessionError>> {
        Box::pin(async { Ok(()) })
    }
}
