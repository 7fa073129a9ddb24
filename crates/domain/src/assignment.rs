//! Which account becomes responsible for which new group: balanced over the
//! accounts that may join, never above the per-account membership cap (Telegram
//! refuses joins beyond 500 channels with CHANNELS_TOO_MUCH).

use crate::{AccountId, GroupId};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// An account that may take groups, with its live memberships
/// (pending, joined and join-requested).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountLoad {
    /// The account.
    pub account: AccountId,
    /// Its live memberships now.
    pub live: u32,
}

/// Gives each group, in order, to the account with the fewest live memberships
/// (ties: the lowest id), skipping accounts at `cap`. Groups left when every
/// account is full stay unassigned (they are not in the result).
pub fn assign_balanced(
    loads: &[AccountLoad],
    groups: &[GroupId],
    cap: u32,
) -> Vec<(GroupId, AccountId)> {
    let mut heap: BinaryHeap<Reverse<(u32, AccountId)>> = loads
        .iter()
        .filter(|load| load.live < cap)
        .map(|load| Reverse((load.live, load.account)))
        .collect();
    let mut assigned = Vec::with_capacity(groups.len().min(heap.len() * cap as usize));
    for &group in groups {
        let Some(Reverse((live, account))) = heap.pop() else {
            break;
        };
        assigned.push((group, account));
        if live + 1 < cap {
            heap.push(Reverse((live + 1, account)));
        }
    }
    assigned
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn load(id: i64, live: u32) -> AccountLoad {
        AccountLoad {
            account: AccountId(id),
            live,
        }
    }

    fn groups(n: i64) -> Vec<GroupId> {
        (1..=n).map(GroupId).collect()
    }

    fn counts(assigned: &[(GroupId, AccountId)]) -> BTreeMap<AccountId, u32> {
        let mut counts = BTreeMap::new();
        for (_, account) in assigned {
            *counts.entry(*account).or_default() += 1;
        }
        counts
    }

    #[test]
    fn fills_the_emptiest_accounts_first() {
        let assigned = assign_balanced(&[load(1, 10), load(2, 0), load(3, 4)], &groups(12), 500);
        let counts = counts(&assigned);
        // 0 and 4 rise to 8 and 8; the account at 10 gets nothing.
        assert_eq!(counts.get(&AccountId(1)), None);
        assert_eq!(counts.get(&AccountId(2)), Some(&8));
        assert_eq!(counts.get(&AccountId(3)), Some(&4));
    }

    #[test]
    fn never_goes_above_the_cap() {
        let assigned = assign_balanced(&[load(1, 498), load(2, 500)], &groups(5), 500);
        assert_eq!(
            assigned,
            vec![(GroupId(1), AccountId(1)), (GroupId(2), AccountId(1))]
        );
        assert!(assign_balanced(&[], &groups(3), 500).is_empty());
    }

    proptest! {
        #[test]
        fn balanced_and_capped(
            lives in prop::collection::vec(0u32..40, 1..8),
            group_count in 0i64..300,
            cap in 1u32..50,
        ) {
            let loads: Vec<AccountLoad> = lives.iter().enumerate().map(|(i, live)| load(i as i64 + 1, *live)).collect();
            let assigned = assign_balanced(&loads, &groups(group_count), cap);
            let distinct: BTreeSet<GroupId> = assigned.iter().map(|(group, _)| *group).collect();
            prop_assert_eq!(distinct.len(), assigned.len());
            let free: u64 = loads.iter().map(|l| u64::from(cap.saturating_sub(l.live))).sum();
            prop_assert_eq!(assigned.len() as u64, free.min(group_count as u64));
            let got = counts(&assigned);
            let finals: Vec<(u32, u32)> = loads.iter().map(|l| {
                let added = got.get(&l.account).copied().unwrap_or(0);
                (l.live, l.live + added)
            }).collect();
            for &(before, after) in &finals {
                prop_assert!(after <= cap.max(before));
            }
            // An account that received a group ends at most one above any other
            // account that could still take one.
            for &(before, after) in &finals {
                if after > before {
                    for &(_, other) in &finals {
                        if other < cap {
                            prop_assert!(after <= other + 1, "{finals:?}");
                        }
                    }
                }
            }
        }
    }
}
