//! Service plumbing shared by the tgfleet jobs: clocks (real, virtual, scaled),
//! lease-guarded account work, fleet-wide cron ticks, logging, `/health` and
//! `/metrics`, start-up and shutdown.

pub mod boot;
pub mod clock;
pub mod context;
pub mod cron;
pub mod health;
pub mod heartbeat;
pub mod peers;
pub mod shutdown;
pub mod telemetry;
pub mod units;
pub mod work;

pub use boot::{Boot, Telemetry, boot, boot_as, boot_settings, exit_code};
pub use clock::ServiceClock;
pub use context::{ServiceContext, holder_name};
pub use cron::CronTicker;
pub use health::FleetHealth;
pub use heartbeat::spawn_heartbeat;
pub use shutdown::{Shutdown, shutdown_on_signals};
pub use units::UnitBudget;
pub use work::{AccountRunner, AccountSession, Leased, WorkError};
