//! Wire tests: the production adapter through the real grammers client against tg-sim
//! serving a simulated world, with sessions in a fresh Postgres database per test.

mod device;
mod groups;
mod port;
mod proxy;
mod relay;
mod resilience;
mod session;
mod support;
mod upload;
