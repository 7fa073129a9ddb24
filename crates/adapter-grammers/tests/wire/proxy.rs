//! An account with a SOCKS5 proxy connects through it (user and password checked by
//! a minimal SOCKS5 server in the test).

use crate::support::*;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const USER: &str = "fleet";
const PASSWORD: &str = "s3cret-proxy-pw";

/// A SOCKS5 server (RFC 1928 CONNECT, RFC 1929 user/password) counting the tunnels
/// it opened, and to where.
struct Socks5 {
    address: SocketAddr,
    tunnels: Arc<AtomicU32>,
    last_target: Arc<std::sync::Mutex<Option<SocketAddr>>>,
}

impl Socks5 {
    async fn start() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let address = listener.local_addr().unwrap();
        let tunnels = Arc::new(AtomicU32::new(0));
        let last_target = Arc::new(std::sync::Mutex::new(None));
        let (count, target) = (Arc::clone(&tunnels), Arc::clone(&last_target));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (count, target) = (Arc::clone(&count), Arc::clone(&target));
                tokio::spawn(async move {
                    if let Ok(Some(mut upstream)) = handshake(client, &target).await {
                        count.fetch_add(1, Ordering::SeqCst);
                        let (mut client, mut server) = upstream.split_pair();
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Self {
            address,
            tunnels,
            last_target,
        }
    }

    fn url(&self, password: &str) -> String {
        format!("socks5://{USER}:{password}@{}", self.address)
    }
}

struct Tunnel(TcpStream, TcpStream);

impl Tunnel {
    fn split_pair(&mut self) -> (&mut TcpStream, &mut TcpStream) {
        (&mut self.0, &mut self.1)
    }
}

async fn handshake(
    mut client: TcpStream,
    target: &std::sync::Mutex<Option<SocketAddr>>,
) -> std::io::Result<Option<Tunnel>> {
    let mut head = [0u8; 2];
    client.read_exact(&mut head).await?;
    let mut methods = vec![0u8; usize::from(head[1])];
    client.read_exact(&mut methods).await?;
    if !methods.contains(&2) {
        client.write_all(&[5, 0xFF]).await?;
        return Ok(None);
    }
    client.write_all(&[5, 2]).await?;
    let mut version_and_len = [0u8; 2];
    client.read_exact(&mut version_and_len).await?;
    let mut user = vec![0u8; usize::from(version_and_len[1])];
    client.read_exact(&mut user).await?;
    let mut password_len = [0u8; 1];
    client.read_exact(&mut password_len).await?;
    let mut password = vec![0u8; usize::from(password_len[0])];
    client.read_exact(&mut password).await?;
    if user != USER.as_bytes() || password != PASSWORD.as_bytes() {
        client.write_all(&[1, 1]).await?;
        return Ok(None);
    }
    client.write_all(&[1, 0]).await?;
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    assert_eq!(
        (request[1], request[3]),
        (1, 1),
        "CONNECT to an IPv4 address"
    );
    let mut ip = [0u8; 4];
    client.read_exact(&mut ip).await?;
    let port = client.read_u16().await?;
    let address = SocketAddr::from((ip, port));
    *target.lock().unwrap() = Some(address);
    let upstream = TcpStream::connect(address).await?;
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    Ok(Some(Tunnel(client, upstream)))
}

#[sqlx::test(migrations = "../../migrations")]
async fn an_account_with_a_proxy_connects_through_it(pool: PgPool) {
    let sim = SimWorld::start().await;
    let proxy = Socks5::start().await;
    let store = Store::from_pool(pool);
    let ayu = enrol_with_proxy(&store, &sim, "ayu", Some(&proxy.url(PASSWORD))).await;

    let tg = test_connector(store).connect(&ayu).await.unwrap();
    assert_eq!(tg.whoami().await.unwrap().user_id, sim.user_id("ayu"));
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 1);
    assert_eq!(
        *proxy.last_target.lock().unwrap(),
        Some(sim.server.local_addr())
    );
    tg.close().await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_refused_proxy_login_fails_without_showing_the_password(pool: PgPool) {
    let sim = SimWorld::start().await;
    let proxy = Socks5::start().await;
    let store = Store::from_pool(pool);
    let ayu = enrol_with_proxy(&store, &sim, "ayu", Some(&proxy.url("wrong-pw"))).await;

    let error = test_connector(store).connect(&ayu).await.unwrap_err();
    assert!(error.is_transient(), "{error:?}");
    assert!(!error.to_string().contains("wrong-pw"), "{error}");
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 0);
    assert_eq!(sim.server.stats().accepted_connections, 0);
}
