//! What every handler shares: the store, the console settings, the login limiter,
//! the live-event signal and the templates.

use crate::live::LiveEvents;
use crate::pages::Templates;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use tgfleet_config::{ConsoleSettings, Settings};
use tgfleet_store::Store;

/// Cheap to clone: everything is behind `Arc`s.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The validated settings (rendered on the diagnostics page without secrets).
    pub settings: Arc<Settings>,
    /// Login attempts per client address.
    pub logins: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// New events, from LISTEN/NOTIFY.
    pub live: LiveEvents,
    /// The page templates.
    pub templates: Templates,
}

impl AppState {
    /// State for `settings` over `store`; `live` is fed by [`crate::live::LiveEvents::spawn`].
    pub fn new(store: Store, settings: Arc<Settings>, live: LiveEvents) -> Self {
        let per_minute =
            NonZeroU32::new(settings.console.login_attempts_per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            store,
            logins: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            settings,
            live,
            templates: Templates::new(),
        }
    }

    /// `[console]`.
    pub fn console(&self) -> &ConsoleSettings {
        &self.settings.console
    }
}
