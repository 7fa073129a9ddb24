//! `tgfleet run --all | run SERVICE...`: the services in one process, sharing one
//! store, one Telegram connector and one clock; each keeps its own identity (lease
//! holder names, metrics labels). `/health` and `/metrics` are served once, on the
//! `tgfleet` port. Ctrl-C or SIGTERM stops them all; a service that fails stops the
//! others and the command exits 1.

use crate::CliError;
use crate::wiring::service_context;
use clap::ValueEnum;
use std::path::Path;
use tgfleet_config::Service;
use tgfleet_runtime::{ServiceContext, Telemetry, UnitBudget};
use tokio::task::JoinSet;
use tracing::Instrument as _;

/// Which services to run.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Run every service: account-manager, marketer, activity, the group-reviewer (its
    /// built-in schedule when `reviewer.enabled_schedule` is set, and the console's
    /// "review now" requests), and the console when `console.enabled` is set.
    #[arg(long, conflicts_with = "services")]
    pub all: bool,
    /// The services to run.
    #[arg(value_enum)]
    pub services: Vec<ServiceName>,
}

/// A service `tgfleet run` can start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ServiceName {
    /// Join slots.
    AccountManager,
    /// Posting.
    Marketer,
    /// Keep-alive cycles.
    Activity,
    /// The reviewer: its built-in schedule and the console's "review now" requests.
    GroupReviewer,
}

impl ServiceName {
    const ALL: [Self; 4] = [
        Self::AccountManager,
        Self::Marketer,
        Self::Activity,
        Self::GroupReviewer,
    ];

    fn service(self) -> Service {
        match self {
            Self::AccountManager => Service::AccountManager,
            Self::Marketer => Service::Marketer,
            Self::Activity => Service::Activity,
            Self::GroupReviewer => Service::GroupReviewer,
        }
    }
}

/// Runs the chosen services until shutdown.
pub async fn run(config: Option<&Path>, args: RunArgs) -> Result<(), CliError> {
    let chosen: Vec<ServiceName> = if args.all {
        ServiceName::ALL.to_vec()
    } else if args.services.is_empty() {
        return Err(CliError::Failed(
            "name the services to run (account-manager, marketer, activity, group-reviewer) or use --all".to_owned(),
        ));
    } else {
        args.services
    };
    let base = service_context(Service::All, config, Telemetry::Serve)
        .await
        .map_err(|error| CliError::Environment(format!("{error:#}")))?;
    // The reviewer runs even with its schedule off: it answers "review now" requests.
    let services: Vec<Service> = chosen.into_iter().map(ServiceName::service).collect();
    let max_connections = base.settings.database.max_connections;
    let share = u32::try_from(services.len()).unwrap_or(u32::MAX);
    let mut running = JoinSet::new();
    for service in services {
        let units = UnitBudget::sized_to_pool(max_connections, share);
        tracing::info!(
            service = service.name(),
            "{} works at most {} accounts at once (database.max_connections {max_connections} shared by {share} services)",
            service.name(),
            units.limit()
        );
        let ctx = ServiceContext::new(
            service,
            base.store.clone(),
            base.connector.clone(),
            base.clock.clone(),
            base.settings.clone(),
            base.shutdown.clone(),
        )
        .with_units(units);
        tracing::info!(service = service.name(), "Starting {}", service.name());
        tgfleet_runtime::spawn_heartbeat(
            ctx.store.clone(),
            service.name(),
            &ctx.holder,
            ctx.shutdown.clone(),
        );
        running.spawn(async move { (service.name(), run_service(ctx).await) });
    }
    if args.all && base.settings.console.enabled {
        let (store, settings, shutdown) = (
            base.store.clone(),
            base.settings.clone(),
            base.shutdown.clone(),
        );
        running.spawn(async move {
            let result = super::console::serve(store, settings, shutdown).await;
            ("console", result)
        });
    }
    let mut failed = false;
    while let Some(finished) = running.join_next().await {
        match finished {
            Ok((service, Ok(()))) => tracing::info!("{service} stopped"),
            Ok((service, Err(error))) => {
                tracing::error!("{service} failed: {error:#}; stopping the others");
                failed = true;
                base.shutdown.cancel();
            }
            Err(error) => {
                tracing::error!("a service task ended abnormally: {error}; stopping the others");
                failed = true;
                base.shutdown.cancel();
            }
        }
    }
    if failed {
        Err(CliError::Reported)
    } else {
        Ok(())
    }
}

/// Runs `ctx.service` until shutdown, in a `service` span (docs/LOGGING.md): what
/// `tgfleet run` does for each service, and what each service binary does.
pub async fn run_service(ctx: ServiceContext) -> anyhow::Result<()> {
    let span = tracing::info_span!("service", service = ctx.service.name());
    async move {
        match ctx.service {
            Service::AccountManager => tgfleet_account_manager::run(ctx).await,
            Service::Marketer => tgfleet_marketer::run(ctx).await,
            Service::Activity => tgfleet_activity::run(ctx).await,
            Service::GroupReviewer => tgfleet_group_reviewer::run(ctx).await,
            Service::All => Ok(()),
        }
    }
    .instrument(span)
    .await
}
