-- Telegram as it really is: frozen accounts, content kinds a group refuses.

-- Telegram froze the account (FROZEN_METHOD_INVALID): it may only read its own data.
ALTER TABLE accounts DROP CONSTRAINT accounts_status_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_status_check
    CHECK (status IN ('active', 'suspended', 'resting', 'unauthorized', 'deactivated', 'frozen'));

-- A kind of content a group refuses (CHAT_SEND_PHOTOS_FORBIDDEN, …): variants of that
-- kind are not sent there; the group stays open for the others.
CREATE TABLE group_refused_content (
    group_id    bigint NOT NULL REFERENCES groups (id),
    kind        text NOT NULL CHECK (kind IN ('plain', 'media', 'photos', 'videos', 'docs', 'audios',
                    'voices', 'roundvideos', 'stickers', 'gifs', 'polls', 'inline', 'games',
                    'link_previews', 'paid')),
    reason      text NOT NULL,
    refused_at  timestamptz NOT NULL,
    PRIMARY KEY (group_id, kind)
);

COMMENT ON TABLE group_refused_content IS 'Content kinds a group refuses to non-admins (its rights or a CHAT_SEND_*_FORBIDDEN answer); never a reason to close the group.';
