//! The reviewer's greppable log lines (docs/design.md: `Checked groups: N`, …).
//! A binary of its own: log capture is per thread, but tracing's call-site
//! cache is per process.

mod common;

use common::{joined_fleet, mix_144};
use sqlx::PgPool;
use tg_world::GeneratorSpec;
use tgfleet_config::Service;
use tgfleet_group_reviewer::review_once;
use tgfleet_testkit::CapturedLog;

#[sqlx::test(migrations = "../../migrations")]
async fn logs_the_summary_and_what_it_marked(pool: PgPool) {
    let (fleet, _) = joined_fleet(pool, GeneratorSpec::new(41, 3, mix_144()), "").await;
    let captured = CapturedLog::default();
    let guard = captured.install();

    review_once(&fleet.context(Service::GroupReviewer), None)
        .await
        .unwrap();
    drop(guard);

    let text = captured.text();
    for line in [
        "Review started: 144 groups to check",
        "Checked groups: 144",
        "members: 110",
        "can post: 104",
        "marked banned: 5",
        "marked inaccessible: 25",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    assert_eq!(text.matches("Marked banned: @").count(), 5, "{text}");
    assert_eq!(text.matches("Marked inaccessible: ").count(), 25, "{text}");
    assert!(!text.contains("+62"), "no phone number in the logs");
}
