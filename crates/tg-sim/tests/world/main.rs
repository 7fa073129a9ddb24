//! World-backed wire tests: the real grammers 0.11 client against tg-sim serving a
//! `tg_world::World` on 127.0.0.1.

mod support;

mod binary;
mod concurrency;
mod errors;
mod faults;
mod ledger;
mod login;
mod round_trips;
