//! The `help.getConfig` answer: every datacenter is this server.
//!
//! grammers-mtsender overwrites its stored DC options with the options of this answer that are
//! `static` and neither `media_only` nor `tcpo_only` (`SenderPoolRunner::update_config`), so
//! each DC id is listed once, static, at the server's own loopback address.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::time::{SystemTime, UNIX_EPOCH};

use grammers_tl_types as tl;

/// Builds the `config` object for a server reachable at `address`.
pub fn config_for(
    address: SocketAddr,
    dc_ids: RangeInclusive<i32>,
    this_dc: i32,
) -> tl::enums::Config {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i32::try_from(d.as_secs()).unwrap_or(i32::MAX));
    let dc_options = dc_ids
        .map(|id| {
            tl::enums::DcOption::Option(tl::types::DcOption {
                ipv6: address.is_ipv6(),
                media_only: false,
                tcpo_only: false,
                cdn: false,
                r#static: true,
                this_port_only: true,
                id,
                ip_address: address.ip().to_string(),
                port: i32::from(address.port()),
                secret: None,
            })
        })
        .collect();
    tl::enums::Config::Config(tl::types::Config {
        default_p2p_contacts: false,
        preload_featured_stickers: false,
        revoke_pm_inbox: true,
        blocked_mode: false,
        force_try_ipv6: false,
        date: now,
        expires: now.saturating_add(3600),
        test_mode: false,
        this_dc,
        dc_options,
        dc_txt_domain_name: "tg-sim.invalid".to_owned(),
        chat_size_max: 200,
        megagroup_size_max: 200_000,
        forwarded_count_max: 100,
        online_update_period_ms: 210_000,
        offline_blur_timeout_ms: 5_000,
        offline_idle_timeout_ms: 30_000,
        online_cloud_timeout_ms: 300_000,
        notify_cloud_delay_ms: 30_000,
        notify_default_delay_ms: 1_500,
        push_chat_period_ms: 60_000,
        push_chat_limit: 2,
        edit_time_limit: 172_800,
        revoke_time_limit: i32::MAX,
        revoke_pm_time_limit: i32::MAX,
        rating_e_decay: 2_419_200,
        stickers_recent_limit: 200,
        channels_read_media_period: 604_800,
        tmp_sessions: None,
        call_receive_timeout_ms: 20_000,
        call_ring_timeout_ms: 90_000,
        call_connect_timeout_ms: 30_000,
        call_packet_timeout_ms: 10_000,
        me_url_prefix: "https://t.me/".to_owned(),
        autoupdate_url_prefix: None,
        gif_search_username: None,
        venue_search_username: None,
        img_search_username: None,
        static_maps_provider: None,
        caption_length_max: 1024,
        message_length_max: 4096,
        webfile_dc_id: this_dc,
        suggested_lang_code: None,
        lang_pack_version: None,
        base_lang_pack_version: None,
        reactions_default: None,
        autologin_token: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_dc_as_a_static_option_at_the_server_address() {
        let address: SocketAddr = "127.0.0.1:4567".parse().unwrap();
        let tl::enums::Config::Config(config) = config_for(address, 1..=5, 2);
        assert_eq!(config.this_dc, 2);
        let ids: Vec<i32> = config
            .dc_options
            .iter()
            .map(|tl::enums::DcOption::Option(option)| {
                assert!(option.r#static && !option.media_only && !option.tcpo_only);
                assert_eq!(
                    (option.ip_address.as_str(), option.port),
                    ("127.0.0.1", 4567)
                );
                option.id
            })
            .collect();
        assert_eq!(ids, [1, 2, 3, 4, 5]);
    }
}
