-- Relay readers are members of their source (issue 18): while no active account is a
-- member, the relay waits and says why; the source joins the catalogue so that the
-- account-manager's ordinary join path (slots, limits) joins one account to it.

ALTER TABLE relay_sources ADD COLUMN waiting_reason text;

COMMENT ON COLUMN relay_sources.waiting_reason IS 'Why the source is not read now (e.g. no reader is a member of it yet); NULL once a read is recorded.';
