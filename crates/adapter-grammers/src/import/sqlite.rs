//! SQLite session files: Telethon, Pyrogram and grammers, told apart by their tables.

use super::{Found, SessionFormat, auth_key, dc_id, known_dc_address, socket_address};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::net::{IpAddr, SocketAddr, SocketAddrV4};
use std::path::Path;
use tgfleet_domain::mask_phone;

/// The first bytes of every SQLite 3 database file.
pub(crate) const HEADER: &[u8] = b"SQLite format 3\0";

/// Reads the session in an SQLite file.
pub(crate) fn read(file: &Path) -> Result<Found, String> {
    let connection = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|err| format!("cannot open the SQLite file: {}", sql_reason(&err)))?;
    let tables = tables(&connection)?;
    let has = |name: &str| tables.iter().any(|table| table == name);
    if has("dc_home") && has("dc_option") {
        return grammers(&connection);
    }
    if has("sessions") {
        let columns = columns(&connection, "sessions")?;
        let has_column = |name: &str| columns.iter().any(|column| column == name);
        if has_column("server_address") && has_column("port") {
            return telethon(&connection);
        }
        if has_column("test_mode") && has_column("user_id") {
            return pyrogram(&connection, has("peers"));
        }
    }
    Err(format!(
        "an SQLite file of no known session format (tables: {})",
        if tables.is_empty() {
            "none".to_owned()
        } else {
            tables.join(", ")
        }
    ))
}

fn sql_reason(err: &rusqlite::Error) -> String {
    match err {
        rusqlite::Error::SqliteFailure(code, _) => format!("{code}"),
        other => other.to_string(),
    }
}

fn query_error(err: &rusqlite::Error) -> String {
    format!("reading the file failed: {}", sql_reason(err))
}

fn tables(connection: &Connection) -> Result<Vec<String>, String> {
    let mut statement = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .map_err(|err| format!("not a readable SQLite database: {}", sql_reason(&err)))?;
    let names = statement
        .query_map([], |row| row.get::<_, String>(0))
        .and_then(Iterator::collect)
        .map_err(|err| query_error(&err))?;
    Ok(names)
}

fn columns(connection: &Connection, table: &str) -> Result<Vec<String>, String> {
    let mut statement = connection
        .prepare(&format!("PRAGMA table_info({table})"))
        .map_err(|err| query_error(&err))?;
    let names = statement
        .query_map([], |row| row.get::<_, String>(1))
        .and_then(Iterator::collect)
        .map_err(|err| query_error(&err))?;
    Ok(names)
}

/// The single row a session table must hold.
fn single_row<T>(
    connection: &Connection,
    sql: &str,
    map: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<T, String> {
    let mut statement = connection.prepare(sql).map_err(|err| query_error(&err))?;
    let mut rows: Vec<T> = statement
        .query_map([], map)
        .and_then(Iterator::collect)
        .map_err(|err| query_error(&err))?;
    match rows.len() {
        1 => Ok(rows.remove(0)),
        0 => Err("the sessions table is empty".to_owned()),
        n => Err(format!("the sessions table has {n} rows, expected one")),
    }
}

fn telethon(connection: &Connection) -> Result<Found, String> {
    let (dc, address, port, key) = single_row(
        connection,
        "SELECT dc_id, server_address, port, auth_key FROM sessions",
        |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<i64>>(2)?,
                row.get::<_, Option<Vec<u8>>>(3)?,
            ))
        },
    )?;
    let address = address.ok_or_else(|| "the session has no server address".to_owned())?;
    let ip: IpAddr = address
        .parse()
        .map_err(|_| "the server address is not an IP address".to_owned())?;
    Ok(Found {
        format: SessionFormat::TelethonFile,
        dc_id: dc_id(dc)?,
        server_address: socket_address(ip, port.unwrap_or(443))?,
        auth_key: auth_key(&key.unwrap_or_default())?,
        user_id: None,
        phone_masked: None,
    })
}

fn pyrogram(connection: &Connection, has_peers: bool) -> Result<Found, String> {
    let (dc, test_mode, key, user_id, is_bot) = single_row(
        connection,
        "SELECT dc_id, test_mode, auth_key, user_id, is_bot FROM sessions",
        |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Option<bool>>(1)?,
                row.get::<_, Option<Vec<u8>>>(2)?,
                row.get::<_, Option<i64>>(3)?,
                row.get::<_, Option<bool>>(4)?,
            ))
        },
    )?;
    refuse_test_or_bot(test_mode.unwrap_or(false), is_bot.unwrap_or(false))?;
    let dc = dc_id(dc)?;
    let phone = match (has_peers, user_id) {
        (true, Some(user_id)) => connection
            .query_row(
                "SELECT phone_number FROM peers WHERE id = ?1",
                [user_id],
                |row| row.get::<_, Option<String>>(0),
            )
            .optional()
            .map_err(|err| query_error(&err))?
            .flatten(),
        _ => None,
    };
    Ok(Found {
        format: SessionFormat::PyrogramFile,
        dc_id: dc,
        server_address: known_dc_address(dc)?,
        auth_key: auth_key(&key.unwrap_or_default())?,
        user_id: user_id.filter(|id| *id > 0),
        phone_masked: phone.filter(|p| !p.is_empty()).map(|p| mask_phone(&p)),
    })
}

/// Pyrogram sessions of Telegram's test servers or of bots are not fleet accounts.
pub(crate) fn refuse_test_or_bot(test_mode: bool, is_bot: bool) -> Result<(), String> {
    if test_mode {
        return Err(
            "a session of Telegram's test servers; only production sessions are imported"
                .to_owned(),
        );
    }
    if is_bot {
        return Err("a bot session; tgfleet runs user accounts".to_owned());
    }
    Ok(())
}

fn grammers(connection: &Connection) -> Result<Found, String> {
    let home: i64 = connection
        .query_row("SELECT dc_id FROM dc_home LIMIT 1", [], |row| row.get(0))
        .optional()
        .map_err(|err| query_error(&err))?
        .unwrap_or(2);
    let (ipv4, key) = connection
        .query_row(
            "SELECT ipv4, auth_key FROM dc_option WHERE dc_id = ?1",
            [home],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<Vec<u8>>>(1)?)),
        )
        .optional()
        .map_err(|err| query_error(&err))?
        .ok_or_else(|| format!("no dc_option row for the home data centre {home}"))?;
    let address: SocketAddrV4 = ipv4
        .parse()
        .map_err(|_| "the home data centre's ipv4 is not ip:port".to_owned())?;
    let self_user: Option<(i64, i64)> = connection
        .query_row(
            "SELECT peer_id, subtype FROM peer_info WHERE subtype IN (1, 3) LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .unwrap_or(None);
    if let Some((_, 3)) = self_user {
        refuse_test_or_bot(false, true)?;
    }
    Ok(Found {
        format: SessionFormat::GrammersFile,
        dc_id: dc_id(home)?,
        server_address: SocketAddr::V4(address),
        auth_key: auth_key(&key.unwrap_or_default())?,
        user_id: self_user.map(|(id, _)| id),
        phone_masked: None,
    })
}
