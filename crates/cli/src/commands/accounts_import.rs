//! `tgfleet accounts import PATH [--replace] [--label PREFIX] [--passcode-file FILE]`
//! (PATH: a session file, a folder of them, a `tdata` folder or a zip archive of one)

use crate::output::{print, print_line};
use crate::table::{Align, Table};
use crate::wiring::session_cipher;
use crate::{CliError, Context};
use indicatif::{ProgressBar, ProgressStyle};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use tgfleet_adapter_grammers::import::tdata::{TdataError, is_tdata};
use tgfleet_adapter_grammers::import::tdata_zip;
use tgfleet_adapter_grammers::import::{
    ImportProblem, ParsedSession, SESSION_EXTENSIONS, Scan, scan_tdata, scan_with_progress,
};
use tgfleet_store::{ImportOutcome, SessionImport};

/// A folder import draws a progress bar when it holds more session files than this.
pub const PROGRESS_ABOVE: usize = 50;

/// How `accounts import` reads its path.
#[derive(Debug, Default)]
pub struct ImportOptions {
    /// Overwrite an account's different stored session.
    pub replace: bool,
    /// Label prefix of a tdata folder's accounts.
    pub label: Option<String>,
    /// A file whose first line is the tdata's local passcode.
    pub passcode_file: Option<PathBuf>,
}

/// Imports the session file at `path`, every session file of the folder, or every
/// account of a `tdata` folder (or of a zip archive holding one), in one transaction. Bad files are reported by name
/// with the reason and write nothing; the valid ones are imported. Exit code 1 when
/// any file was not imported.
pub async fn run(context: &Context, path: &Path, options: &ImportOptions) -> Result<(), CliError> {
    let replace = options.replace;
    let cipher = session_cipher(&context.settings)?;
    let found = if path.is_dir() && is_tdata(path) {
        read_tdata(path, path, options)?
    } else if path.is_file() && tdata_zip::is_zip(path) {
        let unpacked = tdata_zip::unpack(path)
            .map_err(|err| CliError::Failed(format!("{err}; nothing was imported")))?;
        read_tdata(&unpacked.tdata, path, options)?
    } else {
        scan_folder(path)?
    };
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
    let imports: Vec<SessionImport> = sessions.iter().map(ParsedSession::to_import).collect();
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
            "skipped: {} ({})",
            file_name(&skipped.file),
            skipped.reason
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

/// Reads a file or folder, with a progress bar above [`PROGRESS_ABOVE`] files.
fn scan_folder(path: &Path) -> Result<Scan, CliError> {
    let mut bar: Option<ProgressBar> = None;
    let found = scan_with_progress(path, |done, total| {
        if total <= PROGRESS_ABOVE {
            return;
        }
        let bar = bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} session files read ({eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        bar.set_position(done as u64);
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    found.map_err(|problem| CliError::Failed(problem.to_string()))
}

/// Reads a tdata folder: without a passcode first, then with the one of
/// `--passcode-file` or asked without echo on a terminal. `shown` is what the operator
/// named (the folder, or the zip archive it was unpacked from).
fn read_tdata(path: &Path, shown: &Path, options: &ImportOptions) -> Result<Scan, CliError> {
    let failed = |err: TdataError| {
        CliError::Failed(format!("{}: {err}; nothing was imported", shown.display()))
    };
    let passcode = match &options.passcode_file {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|err| CliError::Failed(format!("{}: {err}", file.display())))?;
            SecretString::from(text.lines().next().unwrap_or_default().to_owned())
        }
        None => SecretString::from(String::new()),
    };
    match scan_tdata(path, &passcode, options.label.as_deref()) {
        Err(TdataError::PasscodeRequired) if std::io::stdin().is_terminal() => {
            let asked =
                rpassword::prompt_password(format!("Local passcode of {}: ", shown.display()))
                    .map_err(|err| CliError::Failed(format!("reading the passcode: {err}")))?;
            let asked = SecretString::from(asked);
            if asked.expose_secret().is_empty() {
                return Err(failed(TdataError::PasscodeRequired));
            }
            scan_tdata(path, &asked, options.label.as_deref()).map_err(failed)
        }
        other => other.map_err(failed),
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
