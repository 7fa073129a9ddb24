//! TL objects every backend answers with the same shape: users, sign-in results, update state.

use grammers_tl_types as tl;

/// What a `user` object shows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserFields<'a> {
    pub id: i64,
    pub access_hash: i64,
    pub first_name: &'a str,
    pub last_name: Option<&'a str>,
    pub username: Option<&'a str>,
    /// The phone number in digits; shown to the user itself only.
    pub phone_digits: Option<&'a str>,
    pub is_self: bool,
}

/// A `user` object (always with an access hash: grammers needs one for its own user).
pub(crate) fn user(fields: UserFields<'_>) -> tl::enums::User {
    tl::enums::User::User(tl::types::User {
        is_self: fields.is_self,
        contact: false,
        mutual_contact: false,
        deleted: false,
        bot: false,
        bot_chat_history: false,
        bot_nochats: false,
        verified: false,
        restricted: false,
        min: false,
        bot_inline_geo: false,
        support: false,
        scam: false,
        apply_min_photo: false,
        fake: false,
        bot_attach_menu: false,
        premium: false,
        attach_menu_enabled: false,
        bot_can_edit: false,
        close_friend: false,
        stories_hidden: false,
        stories_unavailable: true,
        contact_require_premium: false,
        bot_business: false,
        bot_has_main_app: false,
        bot_forum_view: false,
        bot_forum_can_manage_topics: false,
        bot_can_manage_bots: false,
        bot_guestchat: false,
        bot_guard: false,
        id: fields.id,
        access_hash: Some(fields.access_hash),
        first_name: Some(fields.first_name.to_owned()),
        last_name: fields.last_name.map(str::to_owned),
        username: fields.username.map(str::to_owned),
        phone: fields
            .phone_digits
            .filter(|_| fields.is_self)
            .map(str::to_owned),
        photo: None,
        status: Some(tl::enums::UserStatus::Recently(
            tl::types::UserStatusRecently { by_me: false },
        )),
        bot_info_version: None,
        restriction_reason: None,
        bot_inline_placeholder: None,
        lang_code: None,
        emoji_status: None,
        usernames: None,
        stories_max_id: None,
        color: None,
        profile_color: None,
        bot_active_users: None,
        bot_verification_icon: None,
        send_paid_messages_stars: None,
        linked_community_id: None,
    })
}

/// `auth.authorization` for a signed-in user.
pub(crate) fn authorization(user: tl::enums::User) -> tl::enums::auth::Authorization {
    tl::enums::auth::Authorization::Authorization(tl::types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user,
    })
}

/// `auth.sentCode` for a code "sent" through the app, `length` digits long.
pub(crate) fn sent_code(phone_code_hash: String, length: i32) -> tl::enums::auth::SentCode {
    tl::enums::auth::SentCode::Code(tl::types::auth::SentCode {
        r#type: tl::enums::auth::SentCodeType::App(tl::types::auth::SentCodeTypeApp { length }),
        phone_code_hash,
        next_type: None,
        timeout: None,
    })
}

/// `auth.loggedOut`.
pub(crate) fn logged_out() -> tl::enums::auth::LoggedOut {
    tl::enums::auth::LoggedOut::Out(tl::types::auth::LoggedOut {
        future_auth_token: None,
    })
}

/// `updates.state`.
pub(crate) fn updates_state(pts: i32, date: i32, seq: i32) -> tl::enums::updates::State {
    tl::enums::updates::State::State(tl::types::updates::State {
        pts,
        qts: 0,
        date,
        seq,
        unread_count: 0,
    })
}

/// Digits of a phone number, without `+`, spaces or dashes.
pub(crate) fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}
