//! Service plumbing shared by the tgfleet jobs: clocks (real, virtual, scaled),
//! lease-guarded account work, logging, `/health` and `/metrics`, and shutdown.

pub mod clock;
pub mod connector;
pub mod shutdown;
pub mod telemetry;

pub use clock::ServiceClock;
pub use connector::{production_connector, session_cipher};
pub use shutdown::{Shutdown, shutdown_on_signals};
