//! `accounts import` of 1,000 session files: reading the folder (500 Telethon SQLite
//! files, 500 Telethon strings) and, with `DATABASE_URL` set, importing them into a
//! fresh database in one transaction. Prints the times; asserts nothing about them.

use std::time::Instant;
use tgfleet_adapter_grammers::import::fixtures::{telethon_file, telethon_string};
use tgfleet_adapter_grammers::import::scan;
use tgfleet_store::SessionCipher;
use tgfleet_store::fixtures::{drop_database, fresh_database};

const FILES: usize = 1_000;

fn key(n: usize) -> [u8; 256] {
    std::array::from_fn(|i| (n.wrapping_mul(131) ^ i.wrapping_mul(7)) as u8)
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let address = "149.154.167.51:443".parse().expect("an address");
    for n in 0..FILES {
        if n % 2 == 0 {
            telethon_file(
                &dir.path().join(format!("acc{n:04}.session")),
                2,
                address,
                &key(n),
            );
        } else {
            let string = telethon_string(2, address, &key(n));
            std::fs::write(dir.path().join(format!("acc{n:04}.txt")), string).expect("write");
        }
    }
    let started = Instant::now();
    let found = scan(dir.path()).expect("the folder reads");
    let read = started.elapsed();
    assert_eq!(found.sessions.len(), FILES, "{:?}", found.problems);
    println!(
        "import_files: read {FILES} session files in {:.1} ms ({:.0} µs per file)",
        read.as_secs_f64() * 1e3,
        read.as_secs_f64() * 1e6 / FILES as f64
    );
    let Ok(url) = std::env::var("DATABASE_URL") else {
        println!("import_files: DATABASE_URL unset; the database import was not measured");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let database = format!("tgfleet_bench_import_{}", std::process::id());
        let store = fresh_database(&url, &database)
            .await
            .expect("a fresh bench database");
        let cipher = SessionCipher::from_base64(&secrecy::SecretString::from(
            "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        ))
        .expect("a key");
        let imports: Vec<_> = found.sessions.iter().map(|s| s.to_import()).collect();
        let started = Instant::now();
        let outcomes = store
            .import_sessions(&imports, &cipher, false)
            .await
            .expect("the import");
        let imported = started.elapsed();
        assert_eq!(outcomes.len(), FILES);
        println!(
            "import_files: imported {FILES} sessions into Postgres in one transaction in {:.1} ms; read + import {:.1} ms",
            imported.as_secs_f64() * 1e3,
            (read + imported).as_secs_f64() * 1e3
        );
        store.pool().close().await;
        drop_database(&url, &database)
            .await
            .expect("drop the bench database");
    });
}
