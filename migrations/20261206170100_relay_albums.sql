-- Relay campaigns read videos and albums (issue 18): a video is its own kind of post
-- and of file; an album is ONE relay item (keyed by its first message id) whose files
-- are its parts, in order, each with its message id, caption and file reference.

ALTER TABLE relay_items DROP CONSTRAINT relay_items_post_kind_check;
ALTER TABLE relay_items ADD CONSTRAINT relay_items_post_kind_check
    CHECK (post_kind IN ('text', 'photo', 'document', 'video', 'album'));
ALTER TABLE relay_items DROP CONSTRAINT relay_items_media_kind_check;
ALTER TABLE relay_items ADD CONSTRAINT relay_items_media_kind_check
    CHECK (media_kind IN ('photo', 'document', 'video'));

CREATE TABLE relay_album_parts (
    item_id              bigint NOT NULL REFERENCES relay_items (id),
    position             smallint NOT NULL CHECK (position >= 0),
    source_message_id    integer NOT NULL CHECK (source_message_id > 0),
    body                 text NOT NULL,
    entities             bytea NOT NULL DEFAULT '\x',
    media_kind           text NOT NULL CHECK (media_kind IN ('photo', 'document', 'video')),
    media_id             bigint NOT NULL,
    media_access_hash    bigint NOT NULL,
    media_file_reference bytea NOT NULL DEFAULT '\x',
    PRIMARY KEY (item_id, position)
);

COMMENT ON TABLE relay_album_parts IS 'The files of a relayed album, in order: a copy sends them as one album (messages.sendMultiMedia), a forward forwards their message ids in one call.';
