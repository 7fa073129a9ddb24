-- One-off sends through the fleet (POST /api/v1/messages) and connectivity checks
-- of one account (POST /api/v1/accounts/{label}/check).
--
-- The console only writes a request row; its insert notifies tgfleet_changes and a
-- marketer sends it under the account's lease. The send itself is a row of `posts`
-- without a campaign (message_request_id instead), so the caps, gaps, slow mode,
-- the in-flight rule, crash recovery (pending -> unknown) and the views count it
-- exactly as a campaign post: recorded before it is sent, at most once.

CREATE TABLE message_requests (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    request_hash    text NOT NULL,
    group_id        bigint NOT NULL REFERENCES groups (id),
    account_id      bigint NOT NULL REFERENCES accounts (id),
    kind            text NOT NULL CHECK (kind IN ('text', 'photo', 'document')),
    text_format     text NOT NULL DEFAULT 'plain' CHECK (text_format IN ('plain', 'markdown', 'html')),
    body            text NOT NULL DEFAULT '',
    media_path      text,
    content_hash    text NOT NULL,
    requested_by    text NOT NULL,
    requested_at    timestamptz NOT NULL,
    open            boolean NOT NULL DEFAULT true,
    CHECK ((kind IN ('photo', 'document')) = (media_path IS NOT NULL)),
    CHECK (kind <> 'text' OR length(body) > 0)
);

COMMENT ON TABLE message_requests IS 'One-off sends asked for through the API; the marketer sends each at most once as a post without a campaign.';
COMMENT ON COLUMN message_requests.request_hash IS 'SHA-256 of the request (chat, account, content): the same idempotency key with another request is refused.';
COMMENT ON COLUMN message_requests.open IS 'Not yet sent, skipped, failed or unknown for good (kept by the posts trigger).';

CREATE INDEX message_requests_open_idx ON message_requests (requested_at) WHERE open;

CREATE TRIGGER message_requests_notify AFTER INSERT ON message_requests
    FOR EACH STATEMENT EXECUTE FUNCTION tgfleet_notify_change();

ALTER TABLE posts
    ALTER COLUMN campaign_id DROP NOT NULL,
    ALTER COLUMN variant_id DROP NOT NULL,
    ADD COLUMN message_request_id bigint UNIQUE REFERENCES message_requests (id),
    ADD CONSTRAINT posts_campaign_or_message CHECK (
        (campaign_id IS NULL) = (message_request_id IS NOT NULL)
        AND (variant_id IS NULL) = (message_request_id IS NOT NULL));

COMMENT ON COLUMN posts.message_request_id IS 'A one-off send (no campaign, no variant, round 0); its idempotency key is message:<the request''s key>.';

-- A request closes when its post ends for good (neither pending nor to be retried).
CREATE FUNCTION tgfleet_close_message_request() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE message_requests
       SET open = (NEW.state = 'pending' OR NEW.retry_at IS NOT NULL)
     WHERE id = NEW.message_request_id
       AND open IS DISTINCT FROM (NEW.state = 'pending' OR NEW.retry_at IS NOT NULL);
    RETURN NULL;
END;
$$;

CREATE TRIGGER posts_close_message_request AFTER INSERT OR UPDATE OF state, retry_at ON posts
    FOR EACH ROW WHEN (NEW.message_request_id IS NOT NULL)
    EXECUTE FUNCTION tgfleet_close_message_request();

-- "Check this account": the service that takes the account's lease answers it
-- (whoami over its one connection); the console never connects.
CREATE TABLE account_checks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id   bigint NOT NULL REFERENCES accounts (id),
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL,
    answered_by  text,
    answered_at  timestamptz,
    outcome      text CHECK (outcome IN ('ok', 'failed')),
    detail       text,
    CHECK ((answered_at IS NULL) = (outcome IS NULL))
);

COMMENT ON TABLE account_checks IS 'Connectivity checks asked for in the console, answered by a marketer under the account''s lease.';

CREATE INDEX account_checks_open_idx ON account_checks (requested_at) WHERE answered_at IS NULL;
CREATE INDEX account_checks_account_idx ON account_checks (account_id, requested_at);

CREATE TRIGGER account_checks_notify AFTER INSERT ON account_checks
    FOR EACH STATEMENT EXECUTE FUNCTION tgfleet_notify_change();

-- The console's accounts page counts each account's posts sent today: a range of
-- sent_at, not a scan of the account index (1 M posts: 160 ms -> a few ms).
CREATE INDEX posts_sent_at_idx ON posts (sent_at) WHERE state = 'sent';
