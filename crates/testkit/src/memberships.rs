//! Setup for tests that need groups already joined: every imported group is
//! assigned to an account (round robin), the account joins it through the port
//! (as account-manager would), and the outcome is stored as the membership row.
//! Setup only: it connects without leases and waits out FloodWaits in place.

use crate::{TestFleet, TestFleetBuilder};
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::Duration;
use tgfleet_domain::{GroupHandle, GroupId, MembershipState};
use tgfleet_store::fixtures::{MembershipSeed, seed_membership};
use tgfleet_store::{Account, GroupFilter, StoredPeer};
use tgfleet_telegram::{
    About, Connector, JoinNote, JoinTarget, PeerRef, Resolved, TelegramAccount, TgResult,
};

/// The membership a group got in setup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededMembership {
    /// The group.
    pub group_id: GroupId,
    /// Its handle.
    pub handle: GroupHandle,
    /// The responsible account's label.
    pub account: String,
    /// Joined, join requested or failed.
    pub state: MembershipState,
}

impl TestFleetBuilder {
    /// Starts the fleet, imports the generated groups, and has every account join
    /// its share of them ([`TestFleet::join_and_seed_memberships`], round robin).
    /// The world's join budget is widened first so that the setup joins meet no
    /// FloodWait (and take no virtual time).
    pub async fn start_joined(mut self, pool: PgPool) -> (TestFleet, Vec<SeededMembership>) {
        self.spec.limits.join = tg_world::Budget::new(1_000_000, 1);
        let fleet = self.start(pool).await;
        fleet.import_groups().await;
        let accounts: Vec<&Account> = fleet.accounts.iter().collect();
        let seeded = fleet.join_and_seed_memberships(&accounts).await;
        (fleet, seeded)
    }
}

impl TestFleet {
    /// The account labelled `label` as the store has it now.
    pub async fn stored_account(&self, label: &str) -> Account {
        self.store
            .account_by_label(label)
            .await
            .expect("reading an account")
            .unwrap_or_else(|| panic!("no account labelled {label}"))
    }

    /// Imports nothing; assigns every group in the store to one of `accounts`
    /// (round robin, in handle order), joins it through the port and seeds the
    /// membership (state, resolved peer) with that account as responsible.
    pub async fn join_and_seed_memberships(&self, accounts: &[&Account]) -> Vec<SeededMembership> {
        assert!(!accounts.is_empty(), "at least one account joins");
        let groups = self
            .store
            .list_groups(&GroupFilter::default())
            .await
            .expect("listing groups");
        let mut connections: HashMap<String, Box<dyn TelegramAccount>> = HashMap::new();
        let mut seeded = Vec::with_capacity(groups.len());
        for (index, group) in groups.iter().enumerate() {
            let account = accounts[index % accounts.len()];
            if !connections.contains_key(&account.label) {
                let connected =
                    Connector::connect(self.connector.as_ref(), &self.account_ref(account))
                        .await
                        .unwrap_or_else(|error| {
                            panic!("{} cannot connect: {error}", account.label)
                        });
                connections.insert(account.label.clone(), connected);
            }
            let telegram = connections[&account.label].as_ref();
            let (state, peer) = self.join(telegram, &group.handle).await;
            seed_membership(
                &self.store,
                &MembershipSeed {
                    account: account.id,
                    group: group.id,
                    state,
                    peer: peer.map(|peer| StoredPeer {
                        id: peer.id,
                        access_hash: peer.access_hash,
                        kind: peer.kind.as_str().to_owned(),
                    }),
                    responsible: true,
                },
            )
            .await
            .expect("seeding a membership");
            seeded.push(SeededMembership {
                group_id: group.id,
                handle: group.handle.clone(),
                account: account.label.clone(),
                state,
            });
        }
        for connection in connections.values() {
            connection.close().await;
        }
        seeded
    }

    async fn join(
        &self,
        telegram: &dyn TelegramAccount,
        handle: &GroupHandle,
    ) -> (MembershipState, Option<PeerRef>) {
        let target = match handle {
            GroupHandle::Invite(hash) => JoinTarget::Invite(hash.clone()),
            GroupHandle::Username(_) => match self.patiently(|| telegram.resolve(handle)).await {
                Ok(Resolved::Chat(chat)) => JoinTarget::Public(chat.peer),
                Ok(Resolved::Invite(_)) | Err(_) => return (MembershipState::Failed, None),
            },
        };
        let public_peer = match &target {
            JoinTarget::Public(peer) => Some(*peer),
            JoinTarget::Invite(_) => None,
        };
        match self.patiently(|| telegram.join(&target)).await {
            Ok(chat) => (MembershipState::Joined, Some(chat.peer)),
            Err(error) if error.about == About::Join(JoinNote::RequestSent) => {
                (MembershipState::JoinRequested, public_peer)
            }
            Err(_) => (MembershipState::Failed, public_peer),
        }
    }

    /// Runs a call, waiting out FloodWaits on the virtual clock.
    async fn patiently<T, F>(&self, call: impl Fn() -> F) -> TgResult<T>
    where
        F: Future<Output = TgResult<T>>,
    {
        loop {
            match call().await {
                Err(error) if error.flood_wait_secs().is_some() => {
                    let secs = error.flood_wait_secs().unwrap_or_default();
                    self.clock
                        .sleep(Duration::from_secs(u64::from(secs) + 1))
                        .await;
                }
                other => return other,
            }
        }
    }
}
