//! SQLite session files: Telethon, Pyrogram (and kurigram) and grammers, told apart
//! by their tables and columns. Pyrogram's `sessions` has `test_mode` and `user_id`;
//! kurigram's also has Telethon's `server_address` and `port`, so the Pyrogram
//! columns are looked for first.

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
        let has_address = has_column("server_address") && has_column("port");
        if has_column("test_mode") && has_column("user_id") {
            return pyrogram(&connection, has("peers"), has_address);
        }
        if has_address {
            return telethon(&connection, has("entities"));
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

fn telethon(connection: &Connection, has_entities: bool) -> Result<Found, String> {
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
    refuse_test_address(ip)?;
    let self_user = if has_entities {
        telethon_self(connection)?
    } else {
        None
    };
    if let Some(user) = &self_user
        && user.phone.is_none()
        && user
            .username
            .as_deref()
            .is_some_and(|name| name.to_ascii_lowercase().ends_with("bot"))
    {
        refuse_test_or_bot(false, true)?;
    }
    Ok(Found {
        format: SessionFormat::TelethonFile,
        dc_id: dc_id(dc)?,
        server_address: socket_address(ip, port.unwrap_or(443))?,
        auth_key: auth_key(&key.unwrap_or_default())?,
        user_id: self_user.as_ref().map(|user| user.id),
        phone_masked: self_user
            .and_then(|user| user.phone)
            .map(|phone| mask_phone(&phone)),
    })
}

/// Telethon's own user: since 1.25 Telethon saves an `entities` row with `id = 0`
/// whose `hash` is the signed-in user's id (`_save_states_and_entities`), and the
/// user's own row (`id` = that id) with the phone. Telethon records no bot flag: a
/// self row without a phone whose username ends in `bot` (Telegram's rule for bot
/// usernames) is a bot.
struct TelethonSelf {
    id: i64,
    phone: Option<String>,
    username: Option<String>,
}

fn telethon_self(connection: &Connection) -> Result<Option<TelethonSelf>, String> {
    let id: Option<i64> = connection
        .query_row("SELECT hash FROM entities WHERE id = 0", [], |row| {
            row.get(0)
        })
        .optional()
        .map_err(|err| query_error(&err))?;
    let Some(id) = id.filter(|id| *id > 0) else {
        return Ok(None);
    };
    let row: Option<(Option<String>, Option<String>)> = connection
        .query_row(
            "SELECT CAST(phone AS TEXT), username FROM entities WHERE id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(|err| query_error(&err))?;
    let (phone, username) = row.unwrap_or_default();
    Ok(Some(TelethonSelf {
        id,
        phone: phone.filter(|phone| !phone.is_empty()),
        username,
    }))
}

/// Telegram's test data centres (Pyrogram's `DataCenter.TEST` and `TEST_IPV6`,
/// `pyrogram/session/internals/data_center.py`).
const TEST_SERVERS: [&str; 6] = [
    "149.154.175.10",
    "149.154.167.40",
    "149.154.175.117",
    "2001:b28:f23d:f001::e",
    "2001:67c:4e8:f002::e",
    "2001:b28:f23d:f003::e",
];

/// Telethon keeps no test flag: a session on a test data centre's address is one.
pub(crate) fn refuse_test_address(ip: IpAddr) -> Result<(), String> {
    let test = TEST_SERVERS
        .iter()
        .any(|server| server.parse::<IpAddr>().is_ok_and(|server| server == ip));
    refuse_test_or_bot(test, false)
}

fn pyrogram(connection: &Connection, has_peers: bool, kurigram: bool) -> Result<Found, String> {
    let address_columns = if kurigram {
        "server_address, port"
    } else {
        "NULL, NULL"
    };
    let (dc, test_mode, key, user_id, is_bot, address, port) = single_row(
        connection,
        &format!(
            "SELECT dc_id, test_mode, auth_key, user_id, is_bot, {address_columns} FROM sessions"
        ),
        |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Option<bool>>(1)?,
                row.get::<_, Option<Vec<u8>>>(2)?,
                row.get::<_, Option<i64>>(3)?,
                row.get::<_, Option<bool>>(4)?,
                row.get::<_, Option<String>>(5)?,
                row.get::<_, Option<i64>>(6)?,
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
    let server_address = match address {
        Some(address) => {
            let ip: IpAddr = address
                .parse()
                .map_err(|_| "the server address is not an IP address".to_owned())?;
            socket_address(ip, port.unwrap_or(443))?
        }
        None => known_dc_address(dc)?,
    };
    Ok(Found {
        format: if kurigram {
            SessionFormat::KurigramFile
        } else {
            SessionFormat::PyrogramFile
        },
        dc_id: dc,
        server_address,
        auth_key: auth_key(&key.unwrap_or_default())?,
        user_id: user_id.filter(|id| *id > 0),
        phone_masked: phone.filter(|p| !p.is_empty()).map(|p| mask_phone(&p)),
    })
}

/// Sessions of Telegram's test servers or of bots are not fleet accounts.
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
