//! A grammers 0.11 client wired exactly as production wires it (shared by the wire tests and
//! the benchmark through `#[path]`).

use std::net::{SocketAddr, SocketAddrV6};
use std::sync::Arc;
use std::time::Duration;

use grammers_client::Client;
use grammers_mtsender::{ConnectionParams, NoRetries, SenderPool, SenderPoolHandle};
use grammers_session::SessionData;
use grammers_session::storages::MemorySession;
use grammers_session::updates::UpdatesLike;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The `api_id` the test clients send in `initConnection`.
pub const API_ID: i32 = 12345;

/// A grammers client wired exactly as production wires it, plus its pool's plumbing.
pub struct TestClient {
    pub client: Client,
    pub updates: mpsc::Receiver<UpdatesLike>,
    pub session: Arc<MemorySession>,
    handle: SenderPoolHandle,
    runner: JoinHandle<()>,
}

impl TestClient {
    /// A client whose home DC (2) is `address`, holding the pre-shared `auth_key`.
    pub fn connect(address: SocketAddr, auth_key: [u8; 256]) -> Self {
        let SocketAddr::V4(ipv4) = address else {
            panic!("tg-sim listens on IPv4 loopback");
        };
        let mut data = SessionData::default();
        let home = data
            .dc_options
            .get_mut(&data.home_dc)
            .expect("home dc option");
        home.ipv4 = ipv4;
        home.ipv6 = SocketAddrV6::new(ipv4.ip().to_ipv6_mapped(), ipv4.port(), 0, 0);
        home.auth_key = Some(auth_key);
        let session = Arc::new(MemorySession::from(data));
        let pool = SenderPool::with_configuration(
            Arc::clone(&session),
            API_ID,
            ConnectionParams {
                retry_policy: Box::new(NoRetries),
                ..Default::default()
            },
        );
        let handle = pool.handle.thin.clone();
        let runner = tokio::spawn(pool.runner.run());
        Self {
            client: Client::new(pool.handle),
            updates: pool.updates,
            session,
            handle,
            runner,
        }
    }

    /// Waits until the pool reports its home connection closed.
    pub async fn wait_connection_closed(&mut self) {
        tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(update) = self.updates.recv().await {
                if matches!(update, UpdatesLike::ConnectionClosed) {
                    return;
                }
            }
            panic!("updates channel closed");
        })
        .await
        .expect("the client noticed the closed connection");
        // Let the pool runner reap the finished connection task before the next call.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    /// Stops the pool and waits for its runner.
    pub async fn quit(self) {
        self.handle.quit();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.runner).await;
    }
}
