//! Sample rows for tests and demos (feature `fixtures`).

use crate::{Store, StoreError};

/// Seeds a small fleet with post history, dated relative to the database's `now()`:
///
/// * accounts `alpha` and `beta` (active), `gamma` (suspended);
/// * groups `@fixture_one` and `@fixture_two` (active, can post), `@fixture_banned`
///   (banned), `@fixture_new` (new);
/// * one campaign with one text variant;
/// * yesterday: 3 posts sent, 1 failed, 1 skipped;
/// * today: 2 sent, 2 failed, 1 pending, 1 unknown.
///
/// Meant for an empty, migrated database: it relies on `UNIQUE (label)`,
/// `UNIQUE (handle)` and `posts_one_per_round` not being hit. Takes no explicit lock.
pub async fn seed_post_history(store: &Store) -> Result<(), StoreError> {
    sqlx::raw_sql(
        "
        INSERT INTO accounts (label, phone_masked, status) VALUES
            ('alpha', '+62*********12', 'active'),
            ('beta', '+62*********34', 'active'),
            ('gamma', '+7*********56', 'suspended');

        INSERT INTO groups (handle, handle_kind, status, can_post, responsible_account_id) VALUES
            ('fixture_one', 'username', 'active', true, (SELECT id FROM accounts WHERE label = 'alpha')),
            ('fixture_two', 'username', 'active', true, (SELECT id FROM accounts WHERE label = 'beta')),
            ('fixture_banned', 'username', 'banned', false, (SELECT id FROM accounts WHERE label = 'alpha')),
            ('fixture_new', 'username', 'new', false, NULL);

        INSERT INTO campaigns (name, target_all) VALUES ('fixture campaign', true);
        INSERT INTO message_variants (campaign_id, kind, body, content_hash)
            SELECT id, 'text', 'Hello from the fixture', 'fixture-hash' FROM campaigns;

        WITH plan (n, day_offset, state) AS (
            VALUES (1, 1, 'sent'), (2, 1, 'sent'), (3, 1, 'sent'), (4, 1, 'failed'), (5, 1, 'skipped'),
                   (6, 0, 'sent'), (7, 0, 'sent'), (8, 0, 'failed'), (9, 0, 'failed'),
                   (10, 0, 'pending'), (11, 0, 'unknown')
        ), stamped AS (
            SELECT n, state, now() - make_interval(days => day_offset) AS at FROM plan
        )
        INSERT INTO posts (campaign_id, variant_id, account_id, group_id, round, idempotency_key,
                           content_hash, state, error_code, claimed_by, created_at, sent_at, completed_at)
        SELECT c.id, v.id, a.id, g.id, s.n, 'fixture-' || s.n, v.content_hash, s.state,
               CASE WHEN s.state = 'failed' THEN 'CHAT_WRITE_FORBIDDEN' END,
               'fixture', s.at,
               CASE WHEN s.state = 'sent' THEN s.at END,
               CASE WHEN s.state IN ('sent', 'failed', 'skipped') THEN s.at END
          FROM stamped s
          CROSS JOIN campaigns c
          JOIN message_variants v ON v.campaign_id = c.id
          JOIN accounts a ON a.label = CASE WHEN s.n % 2 = 0 THEN 'beta' ELSE 'alpha' END
          JOIN groups g ON g.handle = CASE WHEN s.n % 2 = 0 THEN 'fixture_two' ELSE 'fixture_one' END;
        ",
    )
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// One pending one-off send (message request 1 on a fresh database): text to
/// `fixture_one` as `alpha`, key `fixture-message`. Needs [`seed_post_history`].
pub async fn seed_message_request(store: &Store) -> Result<(), StoreError> {
    sqlx::raw_sql(
        "INSERT INTO message_requests (idempotency_key, request_hash, group_id, account_id, kind,
                                       body, content_hash, requested_by, requested_at)
         SELECT 'fixture-message', 'fixture', g.id, a.id, 'text', 'Hello once', 'fixture-message-hash',
                'fixture', now()
           FROM groups g, accounts a WHERE g.handle = 'fixture_one' AND a.label = 'alpha';",
    )
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// A membership row to seed (what account-manager would have written after a join).
#[derive(Clone, Debug)]
pub struct MembershipSeed {
    /// The account.
    pub account: tgfleet_domain::AccountId,
    /// The group.
    pub group: tgfleet_domain::GroupId,
    /// Its state.
    pub state: tgfleet_domain::MembershipState,
    /// The peer the account resolved, if any.
    pub peer: Option<crate::StoredPeer>,
    /// Also make the account the group's responsible account.
    pub responsible: bool,
}

/// Inserts (or overwrites) one membership row, and the group's responsible
/// account when asked. For test and demo setup only: services write
/// memberships through their own fenced functions.
///
/// Relies on the primary key `(account_id, group_id)`: `ON CONFLICT DO UPDATE`.
/// Takes no explicit lock.
pub async fn seed_membership(store: &Store, seed: &MembershipSeed) -> Result<(), StoreError> {
    let peer = seed.peer.as_ref();
    sqlx::query(
        "INSERT INTO memberships (account_id, group_id, state, peer_id, access_hash, peer_kind, joined_at)
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $3 = 'joined' THEN now() END)
         ON CONFLICT (account_id, group_id) DO UPDATE
            SET state = EXCLUDED.state, peer_id = EXCLUDED.peer_id,
                access_hash = EXCLUDED.access_hash, peer_kind = EXCLUDED.peer_kind,
                joined_at = EXCLUDED.joined_at, updated_at = now()",
    )
    .bind(seed.account.0)
    .bind(seed.group.0)
    .bind(seed.state.as_str())
    .bind(peer.map(|p| p.id))
    .bind(peer.map(|p| p.access_hash))
    .bind(peer.map(|p| p.kind.as_str()))
    .execute(&store.pool)
    .await?;
    if seed.responsible {
        sqlx::query("UPDATE groups SET responsible_account_id = $2 WHERE id = $1")
            .bind(seed.group.0)
            .bind(seed.account.0)
            .execute(&store.pool)
            .await?;
    }
    Ok(())
}

/// Every row of `accounts` and `account_sessions` as JSON text, sorted: two equal
/// snapshots show that nothing was written in between. Takes no explicit lock.
pub async fn onboarding_snapshot(store: &Store) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT row_to_json(a)::text FROM accounts a
         UNION ALL SELECT row_to_json(s)::text FROM account_sessions s ORDER BY 1",
    )
    .fetch_all(store.pool())
    .await?)
}

/// A fresh, migrated database `name` (letters, digits and `_`) on the server of `url`
/// (dropped first if it exists), for benchmarks; drop it with [`drop_database`].
/// Takes no lock beyond what `CREATE DATABASE` does.
pub async fn fresh_database(url: &str, name: &str) -> Result<Store, StoreError> {
    let admin = admin_store(url, name).await?;
    drop_named(&admin, name).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(admin.pool())
        .await?;
    let (base, _) = url
        .split('?')
        .next()
        .and_then(|url| url.rsplit_once('/'))
        .ok_or_else(|| StoreError::invalid("database URL", "has no database name"))?;
    let store = Store::connect(&format!("{base}/{name}"), 2).await?;
    crate::MIGRATOR.run(store.pool()).await?;
    Ok(store)
}

/// Drops what [`fresh_database`] created (its connections closed first).
pub async fn drop_database(url: &str, name: &str) -> Result<(), StoreError> {
    drop_named(&admin_store(url, name).await?, name).await
}

async fn admin_store(url: &str, name: &str) -> Result<Store, StoreError> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(StoreError::invalid(
            "database name",
            "letters, digits and _ only",
        ));
    }
    Store::connect(url, 1).await
}

async fn drop_named(admin: &Store, name: &str) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(admin.pool())
    .await?;
    Ok(())
}
