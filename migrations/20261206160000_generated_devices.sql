-- An account whose import brought no device gets one picked once by tgfleet
-- (device_source 'generated') and stored with its session, so every connection and
-- every replica introduces itself as the same device.
COMMENT ON COLUMN account_sessions.device_source IS
    'Where the device parameters came from (e.g. "json sidecar alice.json", "tdata", or "generated": picked once by tgfleet and never replaced); NULL: none yet (the first connection picks and stores one).';
