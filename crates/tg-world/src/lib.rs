//! The simulated Telegram world: deterministic model of accounts, groups, rules and rate limits.
