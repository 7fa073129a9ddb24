//! Service plumbing shared by the tgfleet jobs: leases around account work, telemetry, shutdown.
