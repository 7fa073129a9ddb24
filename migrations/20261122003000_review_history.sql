-- group-reviewer's history: one row per review run, one row per group finding.
-- Nothing here is ever deleted or updated after the run ends: an operator can
-- follow a group's audits over time (seed 000: "keeps history").

CREATE TABLE review_runs (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    holder              text NOT NULL,
    started_at          timestamptz NOT NULL,
    finished_at         timestamptz,
    checked             integer CHECK (checked >= 0),
    members             integer CHECK (members >= 0),
    can_post            integer CHECK (can_post >= 0),
    marked_banned       integer CHECK (marked_banned >= 0),
    marked_inaccessible integer CHECK (marked_inaccessible >= 0),
    errors              integer CHECK (errors >= 0),
    deferred            integer CHECK (deferred >= 0),
    skipped             integer CHECK (skipped >= 0),
    CHECK (finished_at IS NULL OR finished_at >= started_at)
);

COMMENT ON TABLE review_runs IS 'One group-reviewer run; the totals are filled in when it finishes (NULL: still running or interrupted).';
COMMENT ON COLUMN review_runs.deferred IS 'Groups left for the next run (a long FloodWait, or the account stayed busy).';
COMMENT ON COLUMN review_runs.skipped IS 'Groups not checked because their responsible account is not usable (suspended, resting, unauthorized, deactivated).';

CREATE TABLE review_findings (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         bigint NOT NULL REFERENCES review_runs (id),
    group_id       bigint NOT NULL REFERENCES groups (id),
    account_id     bigint NOT NULL REFERENCES accounts (id),
    reviewed_at    timestamptz NOT NULL,
    finding        text NOT NULL
                   CHECK (finding IN ('can_post', 'cannot_post', 'not_member', 'banned', 'inaccessible', 'error')),
    status_before  text NOT NULL,
    status_after   text NOT NULL,
    can_post       boolean NOT NULL,
    slow_mode_secs integer CHECK (slow_mode_secs >= 0),
    detail         text
);

COMMENT ON COLUMN review_findings.finding IS 'What the responsible account saw: can_post / cannot_post (a member), not_member, banned, inaccessible, or error (the check failed; the group was left unchanged).';

CREATE INDEX review_findings_group_idx ON review_findings (group_id, reviewed_at);
CREATE INDEX review_findings_run_idx ON review_findings (run_id);

-- The latest finding per group, for psql.
CREATE VIEW group_last_review AS
SELECT DISTINCT ON (f.group_id)
       g.handle,
       a.label AS account,
       f.reviewed_at,
       f.finding,
       f.status_before,
       f.status_after,
       f.can_post,
       f.detail
FROM review_findings f
JOIN groups g ON g.id = f.group_id
JOIN accounts a ON a.id = f.account_id
ORDER BY f.group_id, f.reviewed_at DESC, f.id DESC;
