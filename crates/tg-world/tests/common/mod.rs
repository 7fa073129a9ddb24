//! Helpers shared by the world's integration tests.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of these helpers"
)]

use chrono::{DateTime, TimeDelta, Utc};
use tg_world::{
    AccountSpec, ChannelFull, ChannelInfo, ChannelParticipant, GroupSpec, InputChannel, Limits,
    MediaKind, Message, RpcError, Scenario, TextBody, UploadedMedia, UserId, World, default_epoch,
};

/// The epoch plus `secs` seconds.
pub fn at(secs: i64) -> DateTime<Utc> {
    default_epoch() + TimeDelta::seconds(secs)
}

/// A scenario with `accounts` plain accounts (`acc1`, `acc2`, …) and the given groups.
pub fn scenario(accounts: usize, groups: Vec<GroupSpec>, limits: Limits) -> Scenario {
    let mut scenario = Scenario::new(7);
    scenario.limits = limits;
    scenario.accounts = (1..=accounts)
        .map(|i| AccountSpec::new(format!("acc{i}"), format!("+62812000000{i:02}")))
        .collect();
    scenario.groups = groups;
    scenario
}

/// A world and helpers to act as its accounts.
pub struct Fixture {
    pub world: World,
}

impl Fixture {
    pub fn new(accounts: usize, groups: Vec<GroupSpec>, limits: Limits) -> Self {
        Self::from_scenario(&scenario(accounts, groups, limits))
    }

    pub fn from_scenario(scenario: &Scenario) -> Self {
        Self {
            world: World::new(scenario).expect("a valid scenario"),
        }
    }

    pub fn user(&self, label: &str) -> UserId {
        self.world.user_id(label).expect("a known label")
    }

    /// The input channel `label` would hold for a group named by username or invite.
    pub fn peer(&self, label: &str, handle: &str) -> InputChannel {
        let channel = self
            .world
            .channel_by_username(handle)
            .or_else(|| self.world.channel_by_invite(handle))
            .expect("a known handle");
        self.world.input_channel(self.user(label), channel)
    }

    /// Runs one world method as `label` on a group named by username or invite.
    pub fn on<T>(
        &mut self,
        label: &str,
        handle: &str,
        method: impl FnOnce(&mut World, UserId, InputChannel) -> T,
    ) -> T {
        let user = self.user(label);
        let peer = self.peer(label, handle);
        method(&mut self.world, user, peer)
    }

    pub fn resolve(
        &mut self,
        now: DateTime<Utc>,
        label: &str,
        username: &str,
    ) -> Result<ChannelInfo, RpcError> {
        let user = self.user(label);
        self.world.contacts_resolve_username(now, user, username)
    }

    pub fn import(
        &mut self,
        now: DateTime<Utc>,
        label: &str,
        hash: &str,
    ) -> Result<ChannelInfo, RpcError> {
        let user = self.user(label);
        self.world.messages_import_chat_invite(now, user, hash)
    }

    pub fn join(
        &mut self,
        now: DateTime<Utc>,
        label: &str,
        handle: &str,
    ) -> Result<ChannelInfo, RpcError> {
        self.on(label, handle, |w, user, peer| {
            w.channels_join_channel(now, user, peer)
        })
    }

    pub fn send(
        &mut self,
        now: DateTime<Utc>,
        label: &str,
        handle: &str,
        text: &str,
    ) -> Result<Message, RpcError> {
        let body = TextBody::plain(text);
        self.on(label, handle, |w, user, peer| {
            w.messages_send_message(now, user, peer, body)
        })
    }

    pub fn send_photo(
        &mut self,
        now: DateTime<Utc>,
        label: &str,
        handle: &str,
        caption: &str,
    ) -> Result<Message, RpcError> {
        let media = UploadedMedia {
            kind: MediaKind::Photo,
            file_name: "promo.jpg".into(),
            size: 48_213,
        };
        let caption = TextBody::plain(caption);
        self.on(label, handle, |w, user, peer| {
            w.messages_send_media(now, user, peer, media, caption)
        })
    }

    /// `channels.getParticipant(self)`.
    pub fn participant(
        &mut self,
        now: DateTime<Utc>,
        label: &str,
        handle: &str,
    ) -> Result<ChannelParticipant, RpcError> {
        self.on(label, handle, |w, user, peer| {
            w.channels_get_participant_self(now, user, peer)
        })
    }

    /// `channels.getFullChannel`.
    pub fn full(
        &mut self,
        now: DateTime<Utc>,
        label: &str,
        handle: &str,
    ) -> Result<ChannelFull, RpcError> {
        self.on(label, handle, |w, user, peer| {
            w.channels_get_full_channel(now, user, peer)
        })
    }
}

/// The error's name, for compact assertions.
pub fn err_name<T: std::fmt::Debug>(result: Result<T, RpcError>) -> String {
    result.expect_err("an error").name
}

/// `count` public supergroups named `group_00001`, `group_00002`, …
pub fn open_groups(count: usize) -> Vec<GroupSpec> {
    (1..=count)
        .map(|i| GroupSpec::public(format!("group_{i:05}")))
        .collect()
}
