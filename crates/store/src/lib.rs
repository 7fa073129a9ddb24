//! The only crate with SQL: tgfleet's Postgres schema access, leases and views.
