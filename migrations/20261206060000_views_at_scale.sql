-- The operator's views at fleet scale (10 M posts, 2 M events, 100,000 groups):
-- summaries kept by triggers instead of scans of `posts`, date ranges instead of
-- date() on indexed columns, and the indexes the services' hot queries use.

-- Posts per hour (UTC) and state. The hour of a post is that of
-- coalesce(sent_at, completed_at, created_at), the time posts_per_day dates it by.
CREATE TABLE post_hour_counts (
    hour  timestamptz NOT NULL,
    state text NOT NULL,
    posts bigint NOT NULL,
    PRIMARY KEY (hour, state)
);

COMMENT ON TABLE post_hour_counts IS 'Posts per UTC hour and state, kept by the posts trigger; read by posts_per_day and overview.';

-- Sent posts per group, and the latest send.
CREATE TABLE group_post_stats (
    group_id     bigint PRIMARY KEY REFERENCES groups (id),
    posts_sent   bigint NOT NULL,
    last_post_at timestamptz
);

COMMENT ON TABLE group_post_stats IS 'Sent posts per group and the latest send, kept by the posts trigger; read by group_health.';

-- Keeps both summaries. Counter rows are written in (hour, state) order, so two
-- transactions moving posts between the same buckets lock them in the same order.
-- A post's group is locked by every writer of its posts (claim_post,
-- complete_post), so its group_post_stats row adds no new wait.
CREATE FUNCTION tgfleet_count_post() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_hour timestamptz;
    new_hour timestamptz;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_hour := date_trunc('hour', coalesce(OLD.sent_at, OLD.completed_at, OLD.created_at), 'UTC');
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_hour := date_trunc('hour', coalesce(NEW.sent_at, NEW.completed_at, NEW.created_at), 'UTC');
    END IF;
    IF TG_OP <> 'UPDATE' OR old_hour <> new_hour OR OLD.state <> NEW.state THEN
        INSERT INTO post_hour_counts AS c (hour, state, posts)
        SELECT d.hour, d.state, sum(d.delta)
          FROM (VALUES (old_hour, OLD.state, -1), (new_hour, NEW.state, 1)) AS d(hour, state, delta)
         WHERE d.hour IS NOT NULL
         GROUP BY d.hour, d.state
         ORDER BY d.hour, d.state
        ON CONFLICT (hour, state) DO UPDATE SET posts = c.posts + EXCLUDED.posts;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.state = 'sent'
       AND (TG_OP = 'INSERT' OR OLD.state <> 'sent') THEN
        INSERT INTO group_post_stats AS s (group_id, posts_sent, last_post_at)
        VALUES (NEW.group_id, 1, NEW.sent_at)
        ON CONFLICT (group_id) DO UPDATE
           SET posts_sent = s.posts_sent + 1,
               last_post_at = greatest(s.last_post_at, EXCLUDED.last_post_at);
    ELSIF TG_OP <> 'INSERT' AND OLD.state = 'sent'
          AND (TG_OP = 'DELETE' OR NEW.state <> 'sent' OR NEW.sent_at <> OLD.sent_at) THEN
        -- Never done by tgfleet (a sent post stays sent); recount the group to stay exact.
        INSERT INTO group_post_stats AS s (group_id, posts_sent, last_post_at)
        SELECT OLD.group_id, count(*) FILTER (WHERE p.state = 'sent'), max(p.sent_at)
          FROM posts p WHERE p.group_id = OLD.group_id
        ON CONFLICT (group_id) DO UPDATE
           SET posts_sent = EXCLUDED.posts_sent, last_post_at = EXCLUDED.last_post_at;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER posts_count AFTER INSERT OR UPDATE OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION tgfleet_count_post();

-- Recomputes both summaries from `posts` (after a bulk load with triggers off).
CREATE FUNCTION tgfleet_rebuild_post_summaries() RETURNS void
LANGUAGE sql AS $$
    DELETE FROM post_hour_counts;
    DELETE FROM group_post_stats;
    INSERT INTO post_hour_counts (hour, state, posts)
    SELECT date_trunc('hour', coalesce(sent_at, completed_at, created_at), 'UTC'), state, count(*)
      FROM posts GROUP BY 1, 2;
    INSERT INTO group_post_stats (group_id, posts_sent, last_post_at)
    SELECT group_id, count(*), max(sent_at) FROM posts WHERE state = 'sent' GROUP BY group_id;
$$;

SELECT tgfleet_rebuild_post_summaries();

-- Indexes of the views and of the services' hot queries.
CREATE INDEX posts_group_pending_idx ON posts (group_id) WHERE state = 'pending';
CREATE INDEX posts_account_sent_idx ON posts (account_id, sent_at) WHERE state = 'sent';
CREATE INDEX events_flood_account_idx ON events (account_id, at) WHERE outcome = 'flood_wait';
CREATE INDEX events_flood_at_idx ON events (at) WHERE outcome = 'flood_wait';
CREATE INDEX memberships_account_state_idx ON memberships (account_id, state);

-- The views, same columns: "today" is still the database session's date. Days of
-- posts_per_day are made of UTC hours, exact in every zone whose offset is whole hours.
CREATE OR REPLACE VIEW posts_per_day AS
SELECT date(hour) AS date,
       coalesce(sum(posts) FILTER (WHERE state IN ('sent', 'failed')), 0)::bigint AS total,
       coalesce(sum(posts) FILTER (WHERE state = 'sent'), 0)::bigint AS successful,
       coalesce(sum(posts) FILTER (WHERE state = 'failed'), 0)::bigint AS failed,
       coalesce(sum(posts) FILTER (WHERE state = 'skipped'), 0)::bigint AS skipped,
       coalesce(sum(posts) FILTER (WHERE state IN ('pending', 'unknown')), 0)::bigint AS unresolved
FROM post_hour_counts
GROUP BY 1
HAVING sum(posts) > 0
ORDER BY 1 DESC;

CREATE OR REPLACE VIEW overview AS
SELECT (SELECT count(*) FROM groups WHERE status = 'active' AND can_post) AS active_groups,
       (SELECT count(*) FROM accounts WHERE status = 'active') AS active_accounts,
       (SELECT coalesce(sum(posts), 0)::bigint FROM post_hour_counts
         WHERE state = 'sent' AND hour >= CURRENT_DATE::timestamptz
           AND hour < (CURRENT_DATE + 1)::timestamptz) AS posts_today_success,
       (SELECT coalesce(sum(posts), 0)::bigint FROM post_hour_counts
         WHERE state = 'failed' AND hour >= CURRENT_DATE::timestamptz
           AND hour < (CURRENT_DATE + 1)::timestamptz) AS posts_today_failed;

CREATE OR REPLACE VIEW account_health AS
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
       (SELECT count(*) FROM posts p
         WHERE p.account_id = a.id AND p.state = 'sent'
           AND p.sent_at >= CURRENT_DATE::timestamptz AND p.sent_at < (CURRENT_DATE + 1)::timestamptz) AS posts_today,
       (SELECT count(*) FROM events e
         WHERE e.account_id = a.id AND e.outcome = 'flood_wait'
           AND e.at >= CURRENT_DATE::timestamptz AND e.at < (CURRENT_DATE + 1)::timestamptz) AS flood_waits_today
FROM accounts a
ORDER BY a.label;

CREATE OR REPLACE VIEW group_health AS
SELECT g.handle,
       g.title,
       g.kind,
       g.status,
       g.status_reason,
       g.can_post,
       a.label AS responsible_account,
       m.state AS membership,
       g.last_reviewed_at,
       coalesce(s.posts_sent, 0) AS posts_sent,
       s.last_post_at
FROM groups g
LEFT JOIN accounts a ON a.id = g.responsible_account_id
LEFT JOIN memberships m ON m.group_id = g.id AND m.account_id = g.responsible_account_id
LEFT JOIN group_post_stats s ON s.group_id = g.id
ORDER BY g.handle;

CREATE OR REPLACE VIEW flood_waits_today AS
SELECT a.label,
       e.action,
       count(*) AS flood_waits,
       max(e.flood_wait_secs) AS longest_secs,
       sum(e.flood_wait_secs) AS total_secs
FROM events e
JOIN accounts a ON a.id = e.account_id
WHERE e.outcome = 'flood_wait'
  AND e.at >= CURRENT_DATE::timestamptz AND e.at < (CURRENT_DATE + 1)::timestamptz
GROUP BY a.label, e.action
ORDER BY flood_waits DESC, a.label;
