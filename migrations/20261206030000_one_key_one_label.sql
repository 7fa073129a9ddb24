-- One Telegram auth key and one Telegram user live under one label, fleet-wide.
-- Two labels on one key would mean two connections on one key: Telegram answers
-- AUTH_KEY_DUPLICATED and revokes the key.

ALTER TABLE account_sessions ADD COLUMN key_fingerprint bytea
    CHECK (key_fingerprint IS NULL OR octet_length(key_fingerprint) = 32);
COMMENT ON COLUMN account_sessions.key_fingerprint IS
    'SHA-256 of the auth key: finds the same key under another label without opening sealed keys. NULL only for rows written before this column; the store fills them in before an import.';
CREATE UNIQUE INDEX account_sessions_key_fingerprint_key ON account_sessions (key_fingerprint);

CREATE UNIQUE INDEX accounts_telegram_user_id_key ON accounts (telegram_user_id);

-- The device an imported session was used from (a session + JSON sidecar, or tdata):
-- sent in initConnection instead of tgfleet's defaults. NULL columns use the defaults.
ALTER TABLE account_sessions
    ADD COLUMN device_api_id        integer CHECK (device_api_id IS NULL OR device_api_id > 0),
    ADD COLUMN device_model         text,
    ADD COLUMN device_system_version text,
    ADD COLUMN device_app_version   text,
    ADD COLUMN device_system_lang_code text,
    ADD COLUMN device_lang_code     text,
    ADD COLUMN device_source        text,
    ADD COLUMN password_sealed      bytea;
COMMENT ON COLUMN account_sessions.device_source IS
    'Where the device parameters came from (e.g. "json sidecar alice.json", "tdata"); NULL: tgfleet''s defaults.';
COMMENT ON COLUMN account_sessions.password_sealed IS
    'The account''s 2FA password from the import, sealed like the auth key (ChaCha20-Poly1305, its own associated data).';
