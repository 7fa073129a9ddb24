//! `tg-sim generate`: worlds from tg-world's generator without writing code.
//!
//! Groups follow [`GroupMix::typical`] unless a mix file gives exact counts per profile:
//!
//! ```toml
//! # mix.toml: profile = count (profiles left out count 0)
//! open = 30
//! broadcast = 2
//! slow_mode = 3
//! ban_first_post = 1
//! ```

use chrono::{DateTime, Utc};
use tg_world::{AccountMix, Generated, GeneratorSpec, GroupMix, Profile, ScenarioError, generate};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// The scenario seed.
    pub seed: u64,
    /// Accounts in all, and how many have 2FA, start signed out, are deactivated or revoked.
    pub accounts: AccountMix,
    /// Groups in all (the typical mix), unless `mix` is given.
    pub groups: Option<u32>,
    /// Exact counts per profile.
    pub mix: Option<GroupMix>,
    /// How many accessible groups show stories.
    pub with_stories: u32,
    /// The scenario's reference time (default: tg-world's default epoch).
    pub epoch: Option<DateTime<Utc>>,
    /// When vanishing groups vanish and invites expire (default: the epoch).
    pub vanish_at: Option<DateTime<Utc>>,
}

/// Why options could not become a scenario. Each names the flag or mix-file key.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A flag has a value the generator cannot use.
    #[error("{flag}: {problem}")]
    Flag {
        /// The flag (`--two-factor`).
        flag: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The mix file is malformed.
    #[error("mix file: {0}")]
    Mix(String),
    /// The generated scenario did not validate.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
}

/// Parses a mix file: a TOML table of profile name to count.
pub fn parse_mix(text: &str) -> Result<GroupMix, GenerateError> {
    let table: toml::Table = text
        .parse()
        .map_err(|error: toml::de::Error| GenerateError::Mix(error.message().trim().to_owned()))?;
    let mut mix = GroupMix::default();
    for (key, value) in &table {
        let profile = Profile::ALL
            .iter()
            .copied()
            .find(|profile| profile.as_str() == key)
            .ok_or_else(|| {
                let known: Vec<&str> = Profile::ALL.iter().map(|p| p.as_str()).collect();
                GenerateError::Mix(format!(
                    "`{key}` is not a profile; profiles are {}",
                    known.join(", ")
                ))
            })?;
        let count = value
            .as_integer()
            .and_then(|count| u32::try_from(count).ok())
            .ok_or_else(|| {
                GenerateError::Mix(format!("`{key}` must be a count (0 or more), got {value}"))
            })?;
        mix = mix.with(profile, count);
    }
    Ok(mix)
}

/// Generates the scenario and import list the options describe.
pub fn generate_scenario(options: &GenerateOptions) -> Result<Generated, GenerateError> {
    let accounts = options.accounts;
    for (flag, count) in [
        ("--two-factor", accounts.two_factor),
        ("--signed-out", accounts.signed_out),
        ("--deactivated", accounts.deactivated),
        ("--revoked", accounts.revoked),
    ] {
        if count > accounts.total {
            return Err(GenerateError::Flag {
                flag,
                problem: format!("{count} is more than --accounts {}", accounts.total),
            });
        }
    }
    if accounts.deactivated + accounts.revoked > accounts.total {
        return Err(GenerateError::Flag {
            flag: "--revoked",
            problem: format!(
                "--deactivated {} plus --revoked {} is more than --accounts {}",
                accounts.deactivated, accounts.revoked, accounts.total
            ),
        });
    }
    let groups = match (options.mix, options.groups) {
        (Some(mix), Some(groups)) if mix.total() != groups => {
            return Err(GenerateError::Flag {
                flag: "--groups",
                problem: format!(
                    "{groups} disagrees with the mix file's {} groups",
                    mix.total()
                ),
            });
        }
        (Some(mix), _) => mix,
        (None, Some(groups)) => GroupMix::typical(groups),
        (None, None) => {
            return Err(GenerateError::Flag {
                flag: "--groups",
                problem: "is required unless --mix is given".to_owned(),
            });
        }
    };
    let mut spec = GeneratorSpec::new(options.seed, accounts.total, groups);
    spec.accounts = accounts;
    spec.with_stories = options.with_stories;
    if let Some(epoch) = options.epoch {
        spec.epoch = epoch;
    }
    spec.vanish_at = options.vanish_at;
    Ok(generate(&spec)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(accounts: u32, groups: u32) -> GenerateOptions {
        GenerateOptions {
            seed: 7,
            accounts: AccountMix {
                total: accounts,
                ..AccountMix::default()
            },
            groups: Some(groups),
            mix: None,
            with_stories: 0,
            epoch: None,
            vanish_at: None,
        }
    }

    #[test]
    fn mix_files_give_exact_counts_and_name_bad_keys() {
        let mix = parse_mix("open = 3\nslow_mode = 2\n").unwrap();
        assert_eq!(
            mix,
            GroupMix::default()
                .with(Profile::Open, 3)
                .with(Profile::SlowMode, 2)
        );
        let error = parse_mix("open = 3\nopn = 1\n").unwrap_err().to_string();
        assert!(
            error.contains("`opn` is not a profile") && error.contains("slow_mode"),
            "{error}"
        );
        let error = parse_mix("open = -1\n").unwrap_err().to_string();
        assert!(error.contains("`open` must be a count"), "{error}");
        assert!(parse_mix("open = [").is_err());
    }

    #[test]
    fn the_typical_mix_or_the_mix_file_decides_the_groups() {
        let generated = generate_scenario(&options(3, 50)).unwrap();
        assert_eq!(generated.handles.len(), 50);
        assert_eq!(generated.scenario.accounts.len(), 3);

        let mut exact = options(1, 4);
        exact.mix = Some(GroupMix::default().with(Profile::Broadcast, 4));
        let generated = generate_scenario(&exact).unwrap();
        assert_eq!(generated.handles_of(Profile::Broadcast).len(), 4);

        exact.groups = Some(5);
        let error = generate_scenario(&exact).unwrap_err().to_string();
        assert!(error.starts_with("--groups: 5 disagrees"), "{error}");
    }

    #[test]
    fn account_counts_are_checked_against_the_total() {
        let mut too_many = options(2, 1);
        too_many.accounts.signed_out = 3;
        let error = generate_scenario(&too_many).unwrap_err().to_string();
        assert!(
            error.starts_with("--signed-out: 3 is more than --accounts 2"),
            "{error}"
        );

        let mut signed_out = options(4, 1);
        signed_out.accounts.two_factor = 1;
        signed_out.accounts.signed_out = 2;
        let accounts = generate_scenario(&signed_out).unwrap().scenario.accounts;
        let flags: Vec<(bool, bool)> = accounts
            .iter()
            .map(|a| (a.signed_out, a.password.is_some()))
            .collect();
        assert_eq!(
            flags,
            [(true, true), (true, false), (false, false), (false, false)]
        );
    }
}
