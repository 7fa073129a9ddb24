//! The tgfleet command line: accounts, groups, campaigns, stats, migrations and run --all.
