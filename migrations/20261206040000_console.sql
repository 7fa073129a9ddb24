-- The operator console and HTTP API: operators, their sessions, API tokens, the audit
-- trail, service heartbeats, review requests, and a wake-up for new events.
-- Secrets are never stored in clear: passwords as argon2id PHC strings, session ids
-- and API tokens as SHA-256 digests (they are random 256-bit values).

CREATE TABLE operators (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.-]{1,64}$'),
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2%'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

COMMENT ON COLUMN operators.password_hash IS 'argon2id PHC string (salted); the password itself is never stored.';

CREATE TABLE operator_sessions (
    id_digest   text PRIMARY KEY,
    operator_id bigint NOT NULL REFERENCES operators (id),
    csrf_token  text NOT NULL,
    source_addr text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);

COMMENT ON COLUMN operator_sessions.id_digest IS 'SHA-256 (hex) of the session cookie''s value; the cookie itself is never stored.';

CREATE INDEX operator_sessions_expiry_idx ON operator_sessions (expires_at);

CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    digest       text NOT NULL UNIQUE,
    scope        text NOT NULL CHECK (scope IN ('read', 'write')),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);

COMMENT ON COLUMN api_tokens.digest IS 'SHA-256 (hex) of the bearer token; the token is shown once, when created.';

-- Every write made through the console, the API or `tgfleet console`: who, what, when,
-- from where. Append-only.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text,
    source_addr text NOT NULL,
    detail      text
);

CREATE INDEX audit_log_at_idx ON audit_log (at);

-- Long-running service replicas: one row per holder, its last beat updated in place,
-- and one row per beat minute for the 24-hour history.
CREATE TABLE service_heartbeats (
    holder     text PRIMARY KEY,
    service    text NOT NULL,
    version    text NOT NULL,
    host       text NOT NULL,
    started_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL,
    stopped_at timestamptz
);

CREATE TABLE service_beats (
    holder text NOT NULL,
    minute timestamptz NOT NULL,
    PRIMARY KEY (holder, minute)
);

CREATE INDEX service_beats_minute_idx ON service_beats (minute);

-- "Review now": a request row; the group-reviewer claims the oldest open one.
CREATE TABLE review_requests (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL,
    picked_by    text,
    picked_at    timestamptz,
    run_id       bigint REFERENCES review_runs (id)
);

CREATE INDEX review_requests_open_idx ON review_requests (requested_at) WHERE picked_at IS NULL;

CREATE TRIGGER review_requests_notify AFTER INSERT ON review_requests
    FOR EACH STATEMENT EXECUTE FUNCTION tgfleet_notify_change();

-- The console's live feed: a statement-level wake-up on its own channel (services
-- write events constantly and must not wake each other through tgfleet_changes).
CREATE FUNCTION tgfleet_notify_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tgfleet_events', (SELECT max(id)::text FROM inserted));
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_notify AFTER INSERT ON events
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION tgfleet_notify_events();

-- Console filters over the event log.
CREATE INDEX events_group_at_idx ON events (group_id, at);
CREATE INDEX events_flood_wait_at_idx ON events (at) WHERE outcome = 'flood_wait';
CREATE INDEX memberships_joined_at_idx ON memberships (joined_at) WHERE joined_at IS NOT NULL;

-- Views for the operator's psql, and the console's charts ("today" as in the other views).
CREATE VIEW joins_per_day AS
SELECT date(joined_at) AS date, count(*) AS joins
FROM memberships
WHERE joined_at IS NOT NULL
GROUP BY 1
ORDER BY 1 DESC;

CREATE VIEW flood_waits_per_day AS
SELECT date(at) AS date, count(*) AS flood_waits, coalesce(sum(flood_wait_secs), 0) AS total_secs
FROM events
WHERE outcome = 'flood_wait'
GROUP BY 1
ORDER BY 1 DESC;
