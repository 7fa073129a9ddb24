//! The world-backed part of the wire benchmark: a generated world where every account is a
//! member of every group, and a mixed load of the calls the services make.

use std::sync::Arc;

use crate::requests::send_message;
use grammers_client::Client;
use grammers_mtsender::InvocationError;
use grammers_tl_types as tl;
use tg_sim::{ScaledClock, WorldBackend};
use tg_world::{GeneratorSpec, GroupMix, InputChannel, Limits, Profile, Scenario, World, generate};

/// Open groups in the benchmark world.
pub const GROUPS: u32 = 20;

/// `accounts` accounts, [`GROUPS`] open supergroups, everyone a member everywhere, and limits
/// no load reaches (so every call does its full work instead of answering FLOOD_WAIT).
pub fn scenario(accounts: u32) -> Scenario {
    let mut spec = GeneratorSpec::new(
        2026,
        accounts,
        GroupMix::default().with(Profile::Open, GROUPS),
    );
    spec.limits = Limits::unlimited();
    let mut scenario = generate(&spec)
        .expect("the benchmark world generates")
        .scenario;
    let labels: Vec<String> = scenario.accounts.iter().map(|a| a.label.clone()).collect();
    for group in &mut scenario.groups {
        group.members.clone_from(&labels);
    }
    scenario
}

/// The world of `scenario` served on real time, and each account's key and channels.
pub fn backend(scenario: &Scenario) -> (Arc<WorldBackend>, Vec<AccountLoad>) {
    let world = World::new(scenario).expect("the benchmark world builds");
    let groups: Vec<(String, i64)> = scenario
        .groups
        .iter()
        .enumerate()
        .map(|(index, group)| {
            (
                group.username.clone().expect("open groups are public"),
                scenario.channel_id(index),
            )
        })
        .collect();
    let loads = scenario
        .accounts
        .iter()
        .map(|account| {
            let user = world.user_id(&account.label).expect("an account");
            AccountLoad {
                key: *world
                    .preshared_auth_key(&account.label)
                    .expect("a key")
                    .expose_bytes(),
                groups: groups
                    .iter()
                    .map(|(username, channel_id)| {
                        (username.clone(), world.input_channel(user, *channel_id))
                    })
                    .collect(),
            }
        })
        .collect();
    (
        Arc::new(WorldBackend::new(world, ScaledClock::real_time())),
        loads,
    )
}

/// What one account's load needs: its key and, per group, the username and input channel.
pub struct AccountLoad {
    pub key: [u8; 256],
    pub groups: Vec<(String, InputChannel)>,
}

/// The five calls of the mixed load, in turn.
pub const MIX: [&str; 5] = [
    "contacts.resolveUsername",
    "channels.getParticipant",
    "channels.getFullChannel",
    "messages.sendMessage",
    "messages.getHistory(20)",
];

/// Makes `calls` calls of the mixed load, starting at position `start` of the mix.
pub async fn mixed_loop(
    client: &Client,
    load: &AccountLoad,
    calls: u32,
    start: u32,
) -> Result<(), InvocationError> {
    for i in start..start + calls {
        let (username, channel) = &load.groups[(i as usize / MIX.len()) % load.groups.len()];
        let input_channel = || {
            tl::enums::InputChannel::Channel(tl::types::InputChannel {
                channel_id: channel.channel_id,
                access_hash: channel.access_hash,
            })
        };
        let peer = tl::enums::InputPeer::Channel(tl::types::InputPeerChannel {
            channel_id: channel.channel_id,
            access_hash: channel.access_hash,
        });
        match i as usize % MIX.len() {
            0 => drop(
                client
                    .invoke(&tl::functions::contacts::ResolveUsername {
                        username: username.clone(),
                        referer: None,
                    })
                    .await?,
            ),
            1 => drop(
                client
                    .invoke(&tl::functions::channels::GetParticipant {
                        channel: input_channel(),
                        participant: tl::enums::InputPeer::PeerSelf,
                    })
                    .await?,
            ),
            2 => drop(
                client
                    .invoke(&tl::functions::channels::GetFullChannel {
                        channel: input_channel(),
                    })
                    .await?,
            ),
            3 => {
                let text = format!("benchmark post {i}");
                drop(
                    client
                        .invoke(&send_message(peer, &text, i64::from(i) + 1, None))
                        .await?,
                )
            }
            _ => drop(
                client
                    .invoke(&tl::functions::messages::GetHistory {
                        peer,
                        offset_id: 0,
                        offset_date: 0,
                        add_offset: 0,
                        limit: 20,
                        max_id: 0,
                        min_id: 0,
                        hash: 0,
                    })
                    .await?,
            ),
        }
    }
    Ok(())
}
