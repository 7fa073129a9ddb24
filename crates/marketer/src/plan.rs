//! From store rows to the domain's eligibility rules: which (campaign, group) an
//! account may post next, and when to look again.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashSet};
use tgfleet_domain::campaign::RepeatSchedule;
use tgfleet_domain::posting::{
    AccountSnapshot, CampaignPlan, LastAttempt, PairSnapshot, PostPlan, PostingRules,
    RecentContent, VariantOption, Verdict, account_verdict, pair_verdict,
};
use tgfleet_domain::{CampaignId, VariantId};
use tgfleet_store::{
    Campaign, ClaimSnapshot, GroupContent, PostToClaim, PostingAccount, PostingTarget, Variant,
};

/// The campaigns of one pass, with the variants that can be sent (media verified).
#[derive(Debug, Default)]
pub(crate) struct Campaigns {
    by_id: BTreeMap<CampaignId, (Campaign, Vec<Variant>)>,
}

impl Campaigns {
    /// Keeps the variants in `usable`.
    pub(crate) fn new(
        campaigns: Vec<(Campaign, Vec<Variant>)>,
        usable: &HashSet<VariantId>,
    ) -> Self {
        let by_id = campaigns
            .into_iter()
            .map(|(campaign, variants)| {
                let variants = variants
                    .into_iter()
                    .filter(|variant| usable.contains(&variant.id))
                    .collect();
                (campaign.id, (campaign, variants))
            })
            .collect();
        Self { by_id }
    }

    pub(crate) fn get(&self, id: CampaignId) -> Option<&(Campaign, Vec<Variant>)> {
        self.by_id.get(&id)
    }

    /// The longest repeat interval: how far back repeated content matters.
    pub(crate) fn longest_interval(&self) -> TimeDelta {
        self.by_id
            .values()
            .map(|(campaign, _)| TimeDelta::seconds(campaign.repeat_interval_secs))
            .max()
            .unwrap_or(TimeDelta::zero())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// The account's own zone, else the schedule's (an unknown zone name falls back too).
pub(crate) fn zone_of(account: &PostingAccount, default: Tz) -> Tz {
    account
        .time_zone
        .as_deref()
        .and_then(|name| name.parse().ok())
        .unwrap_or(default)
}

/// The account-level verdict.
pub(crate) fn account_ready(
    account: &PostingAccount,
    zone: Tz,
    rules: &PostingRules,
    now: DateTime<Utc>,
) -> Verdict<()> {
    let snapshot = AccountSnapshot {
        status: account.status,
        rest_until: account.rest_until,
        post_flood_until: account.post_flood_until,
        post_cooldown_until: account.post_cooldown_until,
        zone,
        recent_posts: &account.recent_posts,
    };
    account_verdict(&snapshot, rules, now)
}

/// The campaign as the pair rules see it.
pub(crate) fn campaign_plan(campaign: &Campaign) -> CampaignPlan {
    CampaignPlan {
        status: campaign.status,
        starts_at: campaign.starts_at,
        ends_at: campaign.ends_at,
        schedule: RepeatSchedule {
            start: campaign.rounds_start(),
            interval: TimeDelta::seconds(campaign.repeat_interval_secs),
        },
    }
}

/// The pair verdict of one target, against the group's recent content.
pub(crate) fn pair_ready(
    target: &PostingTarget,
    campaign: &Campaign,
    variants: &[Variant],
    content: &[GroupContent],
    rules: &PostingRules,
    now: DateTime<Utc>,
) -> Verdict<PostPlan> {
    if campaign.relay.is_some() {
        return crate::relay::pair_ready(target, campaign, variants, content, rules, now);
    }
    // A group that refuses a content kind gets the campaign's other variants.
    let options: Vec<VariantOption<'_>> = variants
        .iter()
        .filter(|variant| variant.kind.allowed_with(&target.refused))
        .map(|variant| VariantOption {
            id: variant.id,
            content_hash: &variant.content_hash,
        })
        .collect();
    let recent = recent_in(target, content);
    let pair = PairSnapshot {
        campaign: campaign_plan(campaign),
        slow_mode_until: target.next_send_at,
        chat_last_post: target.chat_last_post,
        in_flight: target.in_flight,
        last_attempt: last_attempt_of(target),
        variants: &options,
        recent_content: &recent,
    };
    pair_verdict(&pair, rules, now)
}

/// The content that reached the target's group recently, as the pair rules see it.
pub(crate) fn recent_in<'a>(
    target: &PostingTarget,
    content: &'a [GroupContent],
) -> Vec<RecentContent<'a>> {
    content
        .iter()
        .filter(|item| item.group_id == target.group_id)
        .map(|item| RecentContent {
            content_hash: &item.content_hash,
            at: item.at,
        })
        .collect()
}

/// The campaign's latest post row in the target's group, as the pair rules see it.
pub(crate) fn last_attempt_of(target: &PostingTarget) -> Option<LastAttempt> {
    target.last_attempt.and_then(|last| {
        Some(LastAttempt {
            round: u64::try_from(last.round).ok()?,
            retry_at: last.retry_at,
            variant: last.variant,
        })
    })
}

/// A (campaign, group) ready for the account, with what to post.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    pub(crate) target: PostingTarget,
    pub(crate) plan: PostPlan,
}

/// The account's ready candidates, longest-due first, and the earliest time a
/// waiting one may become ready.
pub(crate) fn candidates(
    targets: Vec<PostingTarget>,
    content: &[GroupContent],
    campaigns: &Campaigns,
    rules: &PostingRules,
    now: DateTime<Utc>,
) -> (Vec<Candidate>, Option<DateTime<Utc>>) {
    let mut ready = Vec::new();
    let mut wake: Option<DateTime<Utc>> = None;
    for target in targets {
        let Some((campaign, variants)) = campaigns.get(target.campaign_id) else {
            continue;
        };
        match pair_ready(&target, campaign, variants, content, rules, now) {
            Verdict::Ready(plan) => ready.push(Candidate { target, plan }),
            Verdict::Wait { until, .. } => wake = Some(wake.map_or(until, |w| w.min(until))),
            Verdict::Blocked(_) => {}
        }
    }
    ready.sort_by_key(|candidate| {
        (
            candidate.plan.due_since,
            candidate.target.group_id,
            candidate.target.campaign_id,
        )
    });
    (ready, wake)
}

/// The claim's decision on fresh rows: the account and the pair must both be ready.
pub(crate) fn decide(
    snapshot: &ClaimSnapshot,
    zone_default: Tz,
    usable: &HashSet<VariantId>,
    rules: &PostingRules,
    now: DateTime<Utc>,
) -> Option<PostToClaim> {
    let account = snapshot.account.as_ref()?;
    let target = snapshot.target.as_ref()?;
    let (campaign, variants) = snapshot.campaign.as_ref()?;
    account_ready(account, zone_of(account, zone_default), rules, now).ready()?;
    let variants: Vec<Variant> = variants
        .iter()
        .filter(|variant| usable.contains(&variant.id))
        .cloned()
        .collect();
    let plan = pair_ready(
        target,
        campaign,
        &variants,
        &snapshot.recent_content,
        rules,
        now,
    )
    .ready()?;
    let variant = variants.iter().find(|variant| variant.id == plan.variant)?;
    Some(PostToClaim {
        round: plan.round,
        variant: plan.variant,
        content_hash: variant.content_hash.clone(),
    })
}
