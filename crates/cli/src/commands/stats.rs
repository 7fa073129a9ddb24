//! `tgfleet stats`: the numbers of the `overview`, `posts_per_day` and
//! `post_skip_reasons` views.

use crate::output::print;
use crate::table::{Align, Table};
use crate::{CliError, Context};
use clap::Args;

/// `tgfleet stats [--days N]`
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// How many days of posts to show.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub days: u32,
}

/// Prints the overview and the posts per day, newest first.
pub async fn run(context: &Context, args: StatsArgs) -> Result<(), CliError> {
    let store = context.store().await?;
    let overview = store.overview().await?;
    let days = store.posts_per_day(args.days).await?;

    let mut summary = Table::new(&[("TODAY", Align::Left), ("", Align::Right)]);
    for (name, value) in [
        ("active groups (can post)", overview.active_groups),
        ("active accounts", overview.active_accounts),
        ("posts sent", overview.posts_today_success),
        ("posts failed", overview.posts_today_failed),
    ] {
        summary.row(vec![name.to_owned(), value.to_string()]);
    }

    let mut per_day = Table::new(&[
        ("DATE", Align::Left),
        ("TOTAL", Align::Right),
        ("SUCCESSFUL", Align::Right),
        ("FAILED", Align::Right),
        ("SKIPPED", Align::Right),
        ("UNRESOLVED", Align::Right),
    ]);
    for day in &days {
        per_day.row(vec![
            day.date.to_string(),
            day.total.to_string(),
            day.successful.to_string(),
            day.failed.to_string(),
            day.skipped.to_string(),
            day.unresolved.to_string(),
        ]);
    }
    let posts = if per_day.is_empty() {
        "No posts yet.\n".to_owned()
    } else {
        per_day.render()
    };
    // Why posts were not sent (the etiquette's `RECENT_MESSAGE_OURS` among them).
    let mut reasons = Table::new(&[
        ("NOT SENT", Align::Left),
        ("REASON", Align::Left),
        ("POSTS", Align::Right),
    ]);
    for (state, reason, count) in store.skip_reasons().await? {
        reasons.row(vec![state, reason, count.to_string()]);
    }
    let reasons = if reasons.is_empty() {
        String::new()
    } else {
        format!("\n{}", reasons.render())
    };
    print(&format!("{}\n{posts}{reasons}", summary.render()));
    Ok(())
}
