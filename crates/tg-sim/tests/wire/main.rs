//! Wire tests: the real grammers 0.11 client (and a hand-driven MTProto client) against tg-sim
//! on 127.0.0.1.

mod support;

mod binary;
mod concurrency;
mod errors;
mod faults;
mod login;
mod protocol;
mod round_trips;
