-- Relay campaigns (issue 18): a source channel's new posts become the campaign's
-- variants. One row per relay campaign with its filters and its cursor (the last
-- source message id read); one row per source post read, with what a copy re-sends.

CREATE TABLE relay_sources (
    campaign_id          bigint PRIMARY KEY REFERENCES campaigns (id),
    source_handle        text NOT NULL,
    mode                 text NOT NULL CHECK (mode IN ('forward', 'copy')),
    include_patterns     text[] NOT NULL DEFAULT '{}',
    exclude_patterns     text[] NOT NULL DEFAULT '{}',
    delay_secs           integer NOT NULL DEFAULT 0 CHECK (delay_secs >= 0),
    max_age_secs         integer NOT NULL CHECK (max_age_secs > 0),
    allow_copy_fallback  boolean NOT NULL DEFAULT false,
    last_message_id      integer NOT NULL DEFAULT 0 CHECK (last_message_id >= 0),
    next_poll_at         timestamptz NOT NULL,
    last_polled_at       timestamptz,
    last_reader_id       bigint REFERENCES accounts (id)
);

COMMENT ON COLUMN relay_sources.last_message_id IS 'The cursor: the newest source message id read. Advanced in the transaction that records the posts read, so a crash loses nothing and repeats nothing.';
COMMENT ON COLUMN relay_sources.next_poll_at IS 'When the source is read next; moved forward by compare-and-set before a read, so two replicas never read it at once.';

CREATE TABLE relay_items (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id         bigint NOT NULL REFERENCES campaigns (id),
    source_message_id   integer NOT NULL CHECK (source_message_id > 0),
    variant_id          bigint REFERENCES message_variants (id),
    post_kind           text NOT NULL CHECK (post_kind IN ('text', 'photo', 'document', 'album')),
    body                text NOT NULL,
    entities            bytea NOT NULL DEFAULT '\x',
    media_kind          text CHECK (media_kind IN ('photo', 'document')),
    media_id            bigint,
    media_access_hash   bigint,
    media_file_reference bytea,
    noforwards          boolean NOT NULL DEFAULT false,
    passed_filters      boolean NOT NULL,
    posted_at           timestamptz NOT NULL,
    seen_at             timestamptz NOT NULL,
    ready_at            timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL,
    edited_at           timestamptz,
    deleted_at          timestamptz,
    UNIQUE (campaign_id, source_message_id),
    UNIQUE (variant_id),
    CHECK (passed_filters = (variant_id IS NOT NULL)),
    CHECK ((media_kind IS NULL) = (media_id IS NULL))
);

COMMENT ON TABLE relay_items IS 'Posts of relay sources as read: the ones that passed the filters carry their variant. A deleted post is not relayed if not yet sent.';

CREATE INDEX relay_items_variant_idx ON relay_items (variant_id) WHERE variant_id IS NOT NULL;

-- A relay source's new posts wake the marketers (the new variants do too).
CREATE TRIGGER relay_sources_notify AFTER INSERT ON relay_sources
    FOR EACH STATEMENT EXECUTE FUNCTION tgfleet_notify_change();

-- Why posts were not sent, for psql and `tgfleet stats`: skips and failures by
-- reason (etiquette skips are `RECENT_MESSAGE_OURS`).
CREATE VIEW post_skip_reasons AS
SELECT state, coalesce(error_code, '-') AS reason, count(*) AS posts
  FROM posts
 WHERE state IN ('skipped', 'failed')
 GROUP BY state, error_code
 ORDER BY posts DESC, reason;
