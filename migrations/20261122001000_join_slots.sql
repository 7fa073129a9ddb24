-- account-manager: join slots.

-- Transient (network) failures of a planned join within its current slot: the join
-- is retried up to joins.transient_retries times, then left pending for a later slot.
-- Planning a slot resets it.
ALTER TABLE memberships
    ADD COLUMN join_transient_failures integer NOT NULL DEFAULT 0
    CHECK (join_transient_failures >= 0);

COMMENT ON COLUMN memberships.planned_seq IS 'Place of the join in its account''s current slot (1-based); NULL once the join left the slot. Kept on settled memberships as history.';

-- The executor's question: which joins are planned for an account, in order.
CREATE INDEX memberships_planned_idx ON memberships (account_id, planned_seq)
    WHERE state = 'pending' AND planned_seq IS NOT NULL;
