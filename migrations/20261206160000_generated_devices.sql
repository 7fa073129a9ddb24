-- An account whose import brought no device gets one picked once by tgfleet
-- (device_source 'generated') and stored with its session, so every connection and
-- every replica introduces itself as the same device. A partial import (tdata) has its
-- missing fields filled once the same way (device_source '<import> + generated').
COMMENT ON COLUMN account_sessions.device_source IS
    'Where the device parameters came from (e.g. "json sidecar alice.json", "tdata", or "generated": picked once by tgfleet; "<import> + generated": the missing fields of an import, filled once; stored fields are never replaced); NULL: none yet (the first connection picks and stores one).';
