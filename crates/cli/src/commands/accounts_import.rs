//! `tgfleet accounts import PATH [--replace]`

use crate::output::{print, print_line};
use crate::table::{Align, Table};
use crate::wiring::session_cipher;
use crate::{CliError, Context};
use std::collections::HashMap;
use std::path::Path;
use tgfleet_adapter_grammers::import::{ImportProblem, ParsedSession, SESSION_EXTENSIONS, scan};
use tgfleet_store::{ImportOutcome, SessionImport};

/// Imports the session file at `path`, or every session file of the folder, in one
/// transaction. Bad files are reported by name with the reason and write nothing;
/// the valid ones are imported. Exit code 1 when any file was not imported.
pub async fn run(context: &Context, path: &Path, replace: bool) -> Result<(), CliError> {
    let cipher = session_cipher(&context.settings)?;
    let found = scan(path).map_err(|problem| CliError::Failed(problem.to_string()))?;
    let (sessions, mut problems) = without_duplicate_labels(found.sessions);
    problems.extend(found.problems);
    problems.sort_by(|a, b| a.file.cmp(&b.file));
    if sessions.is_empty() && problems.is_empty() {
        return Err(CliError::Failed(format!(
            "{}: no session files (looked for .{})",
            path.display(),
            SESSION_EXTENSIONS.join(", .")
        )));
    }
    let store = context.store().await?;
    let imports: Vec<SessionImport> = sessions
        .iter()
        .map(|session| SessionImport {
            label: session.label.clone(),
            session: session.to_stored(),
            phone_masked: session.phone_masked.clone(),
            telegram_user_id: session.user_id,
        })
        .collect();
    let outcomes = store.import_sessions(&imports, &cipher, replace).await?;

    let mut table = Table::new(&[
        ("FILE", Align::Left),
        ("LABEL", Align::Left),
        ("FORMAT", Align::Left),
        ("DC", Align::Right),
        ("PHONE", Align::Left),
        ("RESULT", Align::Left),
    ]);
    let mut counts = Counts::default();
    for (session, outcome) in sessions.iter().zip(&outcomes) {
        table.row(vec![
            file_name(&session.file),
            session.label.clone(),
            session.format.to_string(),
            session.dc_id.to_string(),
            session.phone_masked.clone().unwrap_or_default(),
            counts.describe(outcome),
        ]);
    }
    if !table.is_empty() {
        print(&table.render());
    }
    for problem in &problems {
        eprintln!("not imported: {problem}");
    }
    for skipped in &found.skipped {
        print_line(&format!(
            "skipped: {} (not a session file)",
            file_name(skipped)
        ));
    }
    let not_imported = problems.len() + counts.refused;
    print_line(&format!(
        "Imported {} session(s): {} new, {} attached, {} unchanged, {} replaced; {} not imported; {} skipped.",
        counts.created + counts.attached + counts.unchanged + counts.replaced,
        counts.created,
        counts.attached,
        counts.unchanged,
        counts.replaced,
        not_imported,
        found.skipped.len()
    ));
    if not_imported > 0 {
        return Err(CliError::Reported);
    }
    Ok(())
}

#[derive(Default)]
struct Counts {
    created: usize,
    attached: usize,
    unchanged: usize,
    replaced: usize,
    refused: usize,
}

impl Counts {
    fn describe(&mut self, outcome: &ImportOutcome) -> String {
        match outcome {
            ImportOutcome::Created(_) => {
                self.created += 1;
                "imported (new account)".to_owned()
            }
            ImportOutcome::Attached(_) => {
                self.attached += 1;
                "imported (existing account)".to_owned()
            }
            ImportOutcome::Unchanged(_) => {
                self.unchanged += 1;
                "unchanged (already imported)".to_owned()
            }
            ImportOutcome::Replaced(_) => {
                self.replaced += 1;
                "replaced the stored session".to_owned()
            }
            ImportOutcome::Refused(reason) => {
                self.refused += 1;
                format!("not imported: {reason}")
            }
        }
    }
}

/// Two files naming the same account: the first (by file name) is imported, the
/// others are reported.
fn without_duplicate_labels(
    sessions: Vec<ParsedSession>,
) -> (Vec<ParsedSession>, Vec<ImportProblem>) {
    let mut first_file: HashMap<String, String> = HashMap::new();
    let mut kept = Vec::new();
    let mut problems = Vec::new();
    for session in sessions {
        match first_file.get(&session.label) {
            Some(first) => problems.push(ImportProblem {
                reason: format!(
                    "account {} is already imported from {first} in this run",
                    session.label
                ),
                file: session.file,
            }),
            None => {
                first_file.insert(session.label.clone(), file_name(&session.file));
                kept.push(session);
            }
        }
    }
    (kept, problems)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}
