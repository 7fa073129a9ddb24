//! `tgfleet migrate`

use crate::output::print_line;
use crate::{CliError, Context};

/// Applies pending migrations and says which; says so when there was nothing to do.
pub async fn run(context: &Context) -> Result<(), CliError> {
    let store = context.connect().await?;
    let applied = store.migrate().await?;
    if applied.is_empty() {
        let status = store.migration_status().await?;
        print_line(&format!(
            "Schema up to date: {} migration(s) applied, nothing to do.",
            status.applied.len()
        ));
    } else {
        print_line(&format!("Applied {} migration(s):", applied.len()));
        for name in applied {
            print_line(&format!("  {name}"));
        }
    }
    Ok(())
}
