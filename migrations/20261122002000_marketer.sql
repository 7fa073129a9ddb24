-- marketer: retries within a round, and source channels resolved once per account.

-- A post row is one (campaign, group, round). When an attempt ends without anything
-- reaching the group (a transient error, a FloodWait, slow mode, a lost membership),
-- retry_at says from when the same row may be claimed again (attempts + 1), until
-- the round ends. Sent, unknown, and skipped or failed rows without retry_at close
-- their round for good.
ALTER TABLE posts
    ADD COLUMN retry_at timestamptz,
    ADD COLUMN attempts integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
    ADD CONSTRAINT posts_retry_only_unsent CHECK (retry_at IS NULL OR state IN ('failed', 'skipped'));

COMMENT ON COLUMN posts.retry_at IS 'Nothing was sent; the (campaign, group, round) may be claimed again from this time (same row, attempts + 1).';
COMMENT ON COLUMN posts.attempts IS 'How many times this (campaign, group, round) was claimed.';
COMMENT ON COLUMN posts.created_at IS 'When the current attempt was claimed.';

CREATE INDEX posts_retry_idx ON posts (retry_at) WHERE retry_at IS NOT NULL;

-- Forward and copy variants name a source channel; each account resolves it once and
-- keeps its (peer id, access hash) here (invariant 6: no resolve on every use).
CREATE TABLE source_peers (
    account_id  bigint NOT NULL REFERENCES accounts (id),
    handle      text NOT NULL,
    peer_id     bigint NOT NULL,
    access_hash bigint NOT NULL,
    peer_kind   text NOT NULL CHECK (peer_kind IN ('channel', 'chat', 'user')),
    resolved_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, handle)
);

COMMENT ON TABLE source_peers IS 'Source channels of forward / copy variants, resolved once per account.';
