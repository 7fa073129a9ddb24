-- Evidence about a group: an answer usually about the account (USER_BANNED_IN_CHANNEL
-- after a clean pre-check) that an account in good standing met in one group. A second
-- account's report closes the group for the fleet; one account's never does.
CREATE TABLE group_ban_reports (
    group_id    bigint NOT NULL REFERENCES groups (id),
    account_id  bigint NOT NULL REFERENCES accounts (id),
    name        text NOT NULL,
    reported_at timestamptz NOT NULL,
    PRIMARY KEY (group_id, account_id)
);

COMMENT ON TABLE group_ban_reports IS 'One row per (group, account) that met an ambiguous ban answer there while in good standing; the group closes when enough distinct accounts reported it recently.';
