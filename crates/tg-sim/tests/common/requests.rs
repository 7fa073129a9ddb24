//! TL requests the wire tests and the benchmark build (shared through `#[path]`).

use grammers_tl_types as tl;

/// `messages.sendMessage` of `text` (with `entities`) to `peer`.
pub fn send_message(
    peer: tl::enums::InputPeer,
    text: &str,
    random_id: i64,
    entities: Option<Vec<tl::enums::MessageEntity>>,
) -> tl::functions::messages::SendMessage {
    tl::functions::messages::SendMessage {
        no_webpage: false,
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer,
        reply_to: None,
        message: text.to_owned(),
        random_id,
        reply_markup: None,
        entities,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
        rich_message: None,
    }
}
