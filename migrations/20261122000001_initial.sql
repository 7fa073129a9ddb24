-- tgfleet schema, version 1.
--
-- Conventions
-- * Statuses are text with CHECK constraints (readable in psql, mirrored by
--   tgfleet-domain's enums).
-- * Every plan time (next join, cool-downs, lease expiry) is written by the
--   application from its injected clock; SQL now() only fills audit defaults.
-- * Nothing is deleted by the services: statuses change, history stays.

-- Accounts -----------------------------------------------------------------

CREATE TABLE accounts (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label               text NOT NULL UNIQUE CHECK (label ~ '^[A-Za-z0-9_.-]{1,64}$'),
    phone_masked        text,
    telegram_user_id    bigint,
    status              text NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'suspended', 'resting', 'unauthorized', 'deactivated')),
    status_reason       text,
    rest_until          timestamptz,
    join_flood_until    timestamptz,
    post_flood_until    timestamptz,
    other_flood_until   timestamptz,
    post_cooldown_until timestamptz,
    -- consecutive PeerFlood / long FloodWait answers to posts (seed 002's spam-block counter)
    post_strikes        integer NOT NULL DEFAULT 0 CHECK (post_strikes >= 0),
    joins_stopped_reason text,
    join_next_at        timestamptz,
    activity_next_at    timestamptz,
    proxy               text,
    time_zone           text,
    last_activity       timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

COMMENT ON COLUMN accounts.phone_masked IS 'Phone number with all but the country code and last two digits masked; the full number is never stored.';
COMMENT ON COLUMN accounts.joins_stopped_reason IS 'Set when joins must stop for this account (e.g. CHANNELS_TOO_MUCH); cleared by the operator.';

-- The MTProto session of each account. The auth key is sealed with an AEAD
-- (ChaCha20-Poly1305, key from configuration); it never leaves the store in clear
-- except into the adapter that connects with it.
CREATE TABLE account_sessions (
    account_id      bigint PRIMARY KEY REFERENCES accounts (id),
    dc_id           integer NOT NULL,
    server_address  text NOT NULL,
    auth_key_sealed bytea NOT NULL,
    source          text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

COMMENT ON COLUMN account_sessions.server_address IS 'ip:port of the home DC (Telegram''s, or tg-sim''s on loopback).';
COMMENT ON COLUMN account_sessions.source IS 'Where the session came from: login, telethon-file, telethon-string, pyrogram-file, pyrogram-string, grammers, tg-sim.';

-- One holder per account, fleet-wide (invariant 1). The row is never deleted,
-- so fencing_token only grows.
CREATE TABLE account_leases (
    account_id    bigint PRIMARY KEY REFERENCES accounts (id),
    holder        text NOT NULL,
    fencing_token bigint NOT NULL,
    acquired_at   timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);

-- Groups -------------------------------------------------------------------

CREATE TABLE groups (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    handle                 text NOT NULL UNIQUE,
    handle_kind            text NOT NULL CHECK (handle_kind IN ('username', 'invite')),
    kind                   text CHECK (kind IN ('supergroup', 'channel', 'gigagroup', 'basic_group')),
    title                  text,
    telegram_id            bigint,
    tags                   text[] NOT NULL DEFAULT '{}',
    status                 text NOT NULL DEFAULT 'new'
                           CHECK (status IN ('new', 'active', 'banned', 'inaccessible')),
    status_reason          text,
    can_post               boolean NOT NULL DEFAULT false,
    responsible_account_id bigint REFERENCES accounts (id),
    last_reviewed_at       timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

COMMENT ON COLUMN groups.handle IS 'Normalized: lower-case username without @, or +HASH for an invite (case kept).';

CREATE INDEX groups_status_idx ON groups (status, can_post);
CREATE INDEX groups_responsible_idx ON groups (responsible_account_id);
CREATE INDEX groups_tags_idx ON groups USING gin (tags);

CREATE TABLE memberships (
    account_id        bigint NOT NULL REFERENCES accounts (id),
    group_id          bigint NOT NULL REFERENCES groups (id),
    state             text NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'joined', 'join_requested', 'left', 'banned', 'failed')),
    peer_id           bigint,
    access_hash       bigint,
    peer_kind         text CHECK (peer_kind IN ('channel', 'chat', 'user')),
    slow_mode_secs    integer CHECK (slow_mode_secs >= 0),
    next_send_at      timestamptz,
    last_post_at      timestamptz,
    -- join planning (account-manager): the slot tick that planned this join and its place in it
    planned_tick      timestamptz,
    planned_seq       integer,
    join_started_at   timestamptz,
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error        text,
    next_attempt_at   timestamptz,
    joined_at         timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, group_id),
    CHECK ((peer_id IS NULL) = (access_hash IS NULL))
);

COMMENT ON COLUMN memberships.join_started_at IS 'Set before a join request is sent, cleared after its outcome is stored: a restart finding it set checks membership instead of joining again.';
COMMENT ON COLUMN memberships.next_send_at IS 'Earliest next message under the group''s slow mode for this account.';

CREATE INDEX memberships_group_idx ON memberships (group_id);
CREATE INDEX memberships_pending_idx ON memberships (account_id, created_at) WHERE state = 'pending';

-- Campaigns and posts -------------------------------------------------------

CREATE TABLE campaigns (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                 text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    target_all           boolean NOT NULL DEFAULT false,
    target_tags          text[] NOT NULL DEFAULT '{}',
    repeat_interval_secs integer NOT NULL DEFAULT 86400 CHECK (repeat_interval_secs > 0),
    starts_at            timestamptz,
    ends_at              timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at),
    CHECK (target_all OR cardinality(target_tags) > 0)
);

CREATE TABLE message_variants (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id    bigint NOT NULL REFERENCES campaigns (id),
    kind           text NOT NULL CHECK (kind IN ('text', 'photo', 'document', 'forward', 'copy')),
    text_format    text NOT NULL DEFAULT 'plain' CHECK (text_format IN ('plain', 'markdown', 'html')),
    body           text NOT NULL DEFAULT '',
    media_path     text,
    source_handle  text,
    source_message_id integer,
    content_hash   text NOT NULL,
    enabled        boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind IN ('photo', 'document')) = (media_path IS NOT NULL)),
    CHECK ((kind IN ('forward', 'copy')) = (source_handle IS NOT NULL AND source_message_id IS NOT NULL)),
    CHECK (kind <> 'text' OR length(body) > 0)
);

COMMENT ON COLUMN message_variants.content_hash IS 'SHA-256 of what readers see (kind, body, media bytes or source post): identical content is never repeated in a group within the campaign interval.';

CREATE INDEX message_variants_campaign_idx ON message_variants (campaign_id);

CREATE TABLE posts (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id         bigint NOT NULL REFERENCES campaigns (id),
    variant_id          bigint NOT NULL REFERENCES message_variants (id),
    account_id          bigint NOT NULL REFERENCES accounts (id),
    group_id            bigint NOT NULL REFERENCES groups (id),
    round               bigint NOT NULL CHECK (round >= 0),
    idempotency_key     text NOT NULL UNIQUE,
    content_hash        text NOT NULL,
    state               text NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'sent', 'failed', 'skipped', 'unknown')),
    error_code          text,
    telegram_message_id integer,
    claimed_by          text NOT NULL,
    created_at          timestamptz NOT NULL,
    sent_at             timestamptz,
    completed_at        timestamptz,
    CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);

COMMENT ON TABLE posts IS 'A post is recorded (pending) before it is sent and completed after: at most one per (campaign, group, round) (invariant 3).';
COMMENT ON COLUMN posts.round IS 'The campaign repeat round: floor((created_at - campaign start) / repeat interval).';

-- at most one attempt per (campaign, group, round), whatever its outcome
CREATE UNIQUE INDEX posts_one_per_round ON posts (campaign_id, group_id, round);
CREATE INDEX posts_account_created_idx ON posts (account_id, created_at);
CREATE INDEX posts_group_created_idx ON posts (group_id, created_at);
CREATE INDEX posts_pending_idx ON posts (created_at) WHERE state = 'pending';

-- Event log and schedules ---------------------------------------------------

-- Every Telegram outcome, for psql questions like "FloodWaits per account today".
CREATE TABLE events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL,
    service         text NOT NULL,
    account_id      bigint REFERENCES accounts (id),
    group_id        bigint REFERENCES groups (id),
    action          text NOT NULL,
    outcome         text NOT NULL,
    flood_wait_secs integer CHECK (flood_wait_secs >= 0),
    detail          text
);

CREATE INDEX events_at_idx ON events (at);
CREATE INDEX events_account_at_idx ON events (account_id, at);

-- One firing per schedule tick, fleet-wide: the replica whose insert succeeds runs it.
CREATE TABLE cron_ticks (
    schedule   text NOT NULL,
    tick_at    timestamptz NOT NULL,
    fired_by   text NOT NULL,
    fired_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schedule, tick_at)
);

-- Wake-ups: a running service LISTENs on tgfleet_changes and learns which table changed.
CREATE FUNCTION tgfleet_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tgfleet_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER accounts_notify AFTER INSERT OR UPDATE OF status ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION tgfleet_notify_change();
CREATE TRIGGER groups_notify AFTER INSERT ON groups
    FOR EACH STATEMENT EXECUTE FUNCTION tgfleet_notify_change();
CREATE TRIGGER memberships_notify AFTER INSERT ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION tgfleet_notify_change();
CREATE TRIGGER campaigns_notify AFTER INSERT OR UPDATE OF status ON campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION tgfleet_notify_change();
CREATE TRIGGER message_variants_notify AFTER INSERT ON message_variants
    FOR EACH STATEMENT EXECUTE FUNCTION tgfleet_notify_change();

-- Views for the operator's psql ---------------------------------------------
-- "Today" is the database session's CURRENT_DATE (set TimeZone to taste).

-- Seed 000's query: posts per day, with successful (sent) and failed.
CREATE VIEW posts_per_day AS
SELECT date(coalesce(sent_at, completed_at, created_at)) AS date,
       count(*) FILTER (WHERE state IN ('sent', 'failed')) AS total,
       count(*) FILTER (WHERE state = 'sent') AS successful,
       count(*) FILTER (WHERE state = 'failed') AS failed,
       count(*) FILTER (WHERE state = 'skipped') AS skipped,
       count(*) FILTER (WHERE state IN ('pending', 'unknown')) AS unresolved
FROM posts
GROUP BY 1
ORDER BY 1 DESC;

-- Seed 000's overview: active groups that can post, active accounts, today's posts.
CREATE VIEW overview AS
SELECT (SELECT count(*) FROM groups WHERE status = 'active' AND can_post) AS active_groups,
       (SELECT count(*) FROM accounts WHERE status = 'active') AS active_accounts,
       (SELECT count(*) FROM posts WHERE state = 'sent' AND date(sent_at) = CURRENT_DATE) AS posts_today_success,
       (SELECT count(*) FROM posts WHERE state = 'failed' AND date(completed_at) = CURRENT_DATE) AS posts_today_failed;

CREATE VIEW account_health AS
SELECT a.label,
       a.status,
       a.status_reason,
       a.rest_until,
       a.join_flood_until,
       a.post_flood_until,
       a.post_cooldown_until,
       a.last_activity,
       (SELECT count(*) FROM memberships m WHERE m.account_id = a.id AND m.state = 'joined') AS groups_joined,
       (SELECT count(*) FROM memberships m WHERE m.account_id = a.id AND m.state = 'pending') AS groups_pending,
       (SELECT count(*) FROM posts p WHERE p.account_id = a.id AND p.state = 'sent' AND date(p.sent_at) = CURRENT_DATE) AS posts_today,
       (SELECT count(*) FROM events e WHERE e.account_id = a.id AND e.outcome = 'flood_wait' AND date(e.at) = CURRENT_DATE) AS flood_waits_today
FROM accounts a
ORDER BY a.label;

CREATE VIEW group_health AS
SELECT g.handle,
       g.title,
       g.kind,
       g.status,
       g.status_reason,
       g.can_post,
       a.label AS responsible_account,
       m.state AS membership,
       g.last_reviewed_at,
       (SELECT count(*) FROM posts p WHERE p.group_id = g.id AND p.state = 'sent') AS posts_sent,
       (SELECT max(p.sent_at) FROM posts p WHERE p.group_id = g.id) AS last_post_at
FROM groups g
LEFT JOIN accounts a ON a.id = g.responsible_account_id
LEFT JOIN memberships m ON m.group_id = g.id AND m.account_id = g.responsible_account_id
ORDER BY g.handle;

CREATE VIEW flood_waits_today AS
SELECT a.label,
       e.action,
       count(*) AS flood_waits,
       max(e.flood_wait_secs) AS longest_secs,
       sum(e.flood_wait_secs) AS total_secs
FROM events e
JOIN accounts a ON a.id = e.account_id
WHERE e.outcome = 'flood_wait' AND date(e.at) = CURRENT_DATE
GROUP BY a.label, e.action
ORDER BY flood_waits DESC, a.label;
