//! The end of the demo: the README's psql statistics, run as an operator would, and a
//! checklist of what the run showed.

use super::Database;
use super::fleet::FleetOutcome;
use anyhow::{Context as _, bail};
use std::path::Path;

/// The README section whose `sql` block the demo runs.
const STATS_SECTION: &str = "## Statistics in psql";

/// How the run ended.
#[derive(Debug)]
pub struct Report {
    /// Every README query ran and the checklist is complete.
    pub complete: bool,
}

/// The statements of the README's statistics block, one per line (trailing `--`
/// comments kept: psql accepts them).
pub fn readme_queries(readme: &str) -> anyhow::Result<Vec<String>> {
    let section = readme
        .split_once(STATS_SECTION)
        .map(|(_, rest)| rest)
        .with_context(|| format!("README.md has no `{STATS_SECTION}` section"))?;
    let block = section
        .split_once("```sql\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block)
        .with_context(|| format!("README.md's `{STATS_SECTION}` has no ```sql block"))?;
    let queries: Vec<String> = block
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("--"))
        .map(str::to_owned)
        .collect();
    if queries.is_empty() {
        bail!("README.md's statistics block is empty");
    }
    Ok(queries)
}

/// Runs the README's queries and prints the checklist.
pub fn report(root: &Path, database: &Database, outcome: &FleetOutcome) -> anyhow::Result<Report> {
    let readme =
        std::fs::read_to_string(root.join("README.md")).context("cannot read README.md")?;
    let mut queries_ok = true;
    println!("\ndemo: the README's psql statistics on the demo database");
    for query in readme_queries(&readme)? {
        println!("\n=> {query}");
        let output =
            crate::process::output(database.psql().args(["-P", "pager=off", "-c", &query]))?;
        print!("{}", String::from_utf8_lossy(&output.stdout));
        if !output.status.success() {
            queries_ok = false;
            println!(
                "demo: this README query FAILED: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
    }

    let stored = stored_counts(database)?;
    let counts = &outcome.counts;
    let health_ok = outcome
        .probes
        .iter()
        .any(|probe| probe.health.body.contains("\"status\"") && probe.metrics.is_ok());
    let checks = [
        ("groups joined", stored.joined, counts.joined),
        ("posts sent", stored.sent, counts.sent),
        ("FloodWaits handled", stored.flood_waits, counts.flood_waits),
        ("pre-check failures", stored.skipped, counts.precheck_failed),
        (
            "content-kind skips (a group refusing the photo took a text)",
            stored.content_skips,
            counts.content_skips,
        ),
        (
            "reviewer summaries",
            stored.reviews,
            counts.review_summaries,
        ),
        ("relayed posts", stored.relayed, counts.relayed),
    ];
    println!("\ndemo: checklist (database / log lines)");
    let mut complete = queries_ok && outcome.stopped_cleanly && health_ok;
    for (what, in_database, in_log) in checks {
        let seen = in_database > 0 && in_log > 0;
        complete &= seen;
        println!(
            "  [{}] {what}: {in_database} / {in_log}",
            if seen { "x" } else { " " }
        );
    }
    println!(
        "  [{}] /health and /metrics answered while the fleet ran ({} probes)",
        mark(health_ok),
        outcome.probes.len()
    );
    println!("  [{}] every README query ran", mark(queries_ok));
    println!(
        "  [{}] the fleet stopped cleanly",
        mark(outcome.stopped_cleanly)
    );
    if complete {
        println!("demo: done. `cargo xtask demo --resume` goes on from here.");
        if let Some(url) = database.private_url() {
            println!("demo: `psql {url}` opens the demo database.");
        }
    } else {
        println!("demo: INCOMPLETE: see the unchecked lines above.");
    }
    Ok(Report { complete })
}

fn mark(done: bool) -> &'static str {
    if done { "x" } else { " " }
}

/// What the database holds after the run.
#[derive(Debug)]
struct StoredCounts {
    joined: u64,
    sent: u64,
    flood_waits: u64,
    skipped: u64,
    content_skips: u64,
    reviews: u64,
    relayed: u64,
}

/// Pre-check failures come from the event log: a post skipped for a refused content
/// kind is retried in its round with another variant, so its row may end `sent`.
fn stored_counts(database: &Database) -> anyhow::Result<StoredCounts> {
    let text = crate::process::capture(database.psql().args([
        "-tA",
        "-F",
        " ",
        "-c",
        "SELECT (SELECT count(*) FROM memberships WHERE state = 'joined'),
                (SELECT count(*) FROM posts WHERE state = 'sent'),
                (SELECT count(*) FROM events WHERE flood_wait_secs IS NOT NULL),
                (SELECT count(*) FROM events WHERE action = 'post' AND outcome = 'precheck_failed'),
                (SELECT count(*) FROM group_refused_content),
                (SELECT count(*) FROM review_runs WHERE finished_at IS NOT NULL),
                (SELECT count(*) FROM posts p JOIN relay_items r ON r.variant_id = p.variant_id
                  WHERE p.state = 'sent')",
    ]))?;
    let numbers: Vec<u64> = text
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("unexpected psql output {text:?}"))?;
    let [
        joined,
        sent,
        flood_waits,
        skipped,
        content_skips,
        reviews,
        relayed,
    ] = numbers[..]
    else {
        bail!("unexpected psql output {text:?}");
    };
    Ok(StoredCounts {
        joined,
        sent,
        flood_waits,
        skipped,
        content_skips,
        reviews,
        relayed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_queries_are_found() {
        let readme =
            std::fs::read_to_string(crate::pg::repository_root().join("README.md")).unwrap();
        let queries = readme_queries(&readme).unwrap();
        assert!(queries.len() >= 4, "{queries:?}");
        for view in [
            "posts_per_day",
            "overview",
            "account_health",
            "flood_waits_today",
        ] {
            assert!(
                queries.iter().any(|query| query.contains(view)),
                "{view} is not queried: {queries:?}"
            );
        }
    }

    #[test]
    fn a_readme_without_the_block_is_an_error() {
        let error = readme_queries("# tgfleet\n\n## Statistics in psql\n\nnothing\n").unwrap_err();
        assert!(error.to_string().contains("```sql"), "{error}");
    }
}
