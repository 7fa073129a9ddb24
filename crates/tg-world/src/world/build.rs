//! Building a world from a scenario.

use super::{Account, Counters, Group, KeyState, Relation, SpamState, Standing, World};
use crate::derive::{self, Tag};
use crate::scenario::{GroupSpec, Scenario, ScenarioError};
use crate::secret::AuthKey;
use crate::types::BannedRights;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;

impl World {
    /// Builds the world a scenario describes (validating it first).
    pub fn new(scenario: &Scenario) -> Result<Self, ScenarioError> {
        scenario.validate()?;
        let mut world = Self {
            seed: scenario.seed,
            epoch: scenario.epoch,
            limits: scenario.limits,
            accounts: Vec::with_capacity(scenario.accounts.len()),
            groups: Vec::with_capacity(scenario.groups.len()),
            by_user: HashMap::with_capacity(scenario.accounts.len()),
            by_label: HashMap::with_capacity(scenario.accounts.len()),
            by_phone: HashMap::with_capacity(scenario.accounts.len()),
            by_channel: HashMap::with_capacity(scenario.groups.len()),
            by_username: HashMap::new(),
            by_invite: HashMap::new(),
            keys: HashMap::with_capacity(scenario.accounts.len()),
            preshared_by_id: HashMap::with_capacity(scenario.accounts.len()),
            sent: Vec::new(),
            ledger: Default::default(),
            random_ids: HashMap::new(),
        };
        for (index, spec) in scenario.accounts.iter().enumerate() {
            let user_id = scenario.user_id(index);
            let preshared_key = AuthKey::from_bytes(derive::auth_key_bytes(scenario.seed, user_id));
            let revoked_at = if spec.revoked {
                Some(DateTime::<Utc>::MIN_UTC)
            } else {
                spec.revoked_at
            };
            let key_state = if spec.signed_out {
                KeyState::Unbound
            } else {
                KeyState::Bound {
                    account: index,
                    revoked_at,
                }
            };
            world.keys.insert(preshared_key.id(), key_state);
            world.preshared_by_id.insert(preshared_key.id(), index);
            world.by_user.insert(user_id, index);
            world.by_label.insert(spec.label.clone(), index);
            world.by_phone.insert(spec.phone.digits(), index);
            world.accounts.push(Account {
                user_id,
                label: spec.label.clone(),
                phone: spec.phone.clone(),
                code: spec.code.clone(),
                password: spec.password.clone(),
                first_name: spec
                    .first_name
                    .clone()
                    .unwrap_or_else(|| spec.label.clone()),
                last_name: spec.last_name.clone(),
                username: spec.username.clone(),
                deactivated_at: if spec.deactivated {
                    Some(DateTime::<Utc>::MIN_UTC)
                } else {
                    spec.deactivated_at
                },
                spam_limited_from: spec.spam_limited_from,
                frozen_from: spec.frozen_from,
                preshared_key,
                buckets: Default::default(),
                spam: SpamState::default(),
                relations: HashMap::new(),
                counters: Counters::default(),
                pts: 0,
                codes_sent: 0,
            });
        }
        for (index, spec) in scenario.groups.iter().enumerate() {
            world.add_group(scenario, index, spec);
        }
        Ok(world)
    }

    fn add_group(&mut self, scenario: &Scenario, index: usize, spec: &GroupSpec) {
        let id = scenario.channel_id(index);
        let group_index = self.groups.len();
        let age_days = derive::mix(self.seed, Tag::History, &[id.cast_unsigned(), 1]) % 2000;
        let title = spec.title.clone().unwrap_or_else(|| match &spec.username {
            Some(name) => name.clone(),
            None => format!("Group {}", index + 1),
        });
        self.by_channel.insert(id, group_index);
        if let Some(name) = &spec.username {
            self.by_username
                .insert(name.to_ascii_lowercase(), group_index);
        }
        if let Some(hash) = &spec.invite {
            self.by_invite.insert(hash.clone(), group_index);
        }
        self.groups.push(Group {
            id,
            title,
            username: spec.username.clone(),
            invite_expires_at: spec.invite_expires_at,
            kind: spec.kind,
            created: self.epoch - TimeDelta::days(age_days as i64 + 1),
            approval_required: spec.approval_required,
            approve_after_secs: spec.approve_after_secs,
            default_banned: BannedRights::from_rights(&spec.default_banned),
            join_to_send: spec.join_to_send,
            paid_stars: spec.paid_stars,
            slow_mode_secs: spec.slow_mode_secs,
            ban_after_posts: spec.ban_after_posts,
            ban_probability: spec.ban_probability,
            ban_delay_secs: spec.ban_delay_secs,
            kick_after_join_secs: spec.kick_after_join_secs,
            vanish: spec.vanish,
            stories: spec.stories,
            history: spec.history,
            participants: spec.participants,
            reactions_disabled: spec.reactions_disabled,
            noforwards: spec.noforwards,
            basic: spec.basic,
            forum: spec.forum,
            general_closed: spec.general_closed,
            joined_delta: 0,
            posts: Vec::new(),
            publish: spec.publish.clone(),
            published: 0,
            chatter_every_secs: spec.chatter_every_secs,
            chattered: 0,
        });
        let key = group_index as u32;
        let epoch = self.epoch;
        let kick = spec.kick_after_join_secs;
        let mut relate = |label: &String, apply: &dyn Fn(&mut Relation)| {
            let account = self.by_label[label];
            let relation = self.accounts[account]
                .relations
                .entry(key)
                .or_insert_with(|| Relation::stranger(epoch));
            apply(relation);
        };
        for label in &spec.members {
            relate(label, &|r| r.become_member(epoch, kick));
        }
        for label in &spec.admins {
            relate(label, &|r| {
                r.standing = Standing::Admin;
                r.since = epoch;
            });
        }
        for label in &spec.banned {
            relate(label, &|r| {
                r.standing = Standing::Banned;
                r.since = epoch;
            });
        }
        for label in &spec.restricted {
            relate(label, &|r| r.restricted = true);
        }
    }
}
