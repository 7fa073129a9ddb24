//! Helpers for the end-to-end tests in `tests/`, which run the real binaries.

use std::net::TcpListener;
use std::path::PathBuf;

/// `target/debug`, where nextest / cargo test built every workspace binary (the test
/// binary itself is in `target/debug/deps`).
pub fn binaries() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// A base port below 60,000 with the `width` ports above it free now.
pub fn free_port_range(width: u16) -> u16 {
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if port < 60_000
            && (port..port + width).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok())
        {
            return port;
        }
    }
}
