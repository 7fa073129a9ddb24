//! Rules on what the repository's files contain.
//!
//! * [`MODULE_DOC`]: every `.rs` file opens with a `//!` doc saying what it is for.
//! * [`DEAD_CODE`]: an `allow(dead_code)` says why (`reason = "…"`, or a `//` comment
//!   on the line above).
//! * [`OUTSIDE`]: nothing points at files outside the repository (the design notes
//!   and requirements live in `docs/`). Migrations are exempt: an applied migration
//!   never changes (sqlx checks its checksum).
//! * [`SQL`]: only `crates/store` runs queries: no `sqlx::query*` elsewhere, and no
//!   SQL statement naming one of our tables (read from `migrations/`) outside the
//!   store, except where [`PSQL_FILES`] run the operator's psql.
//! * [`PURE_DOMAIN`]: `crates/domain` reads no clock and no global RNG (time and
//!   randomness are passed in); [`SystemClock`](SYSTEM_CLOCK) is the one exception.
//! * [`TEST_ONLY`]: a public item documented as being for tests sits behind the
//!   `testing` (or `fixtures`) feature, `cfg(test)` or `#[doc(hidden)]`, in its own
//!   attributes or in its module's declaration, so production code cannot call it.
//!
//! This directory is exempt from the content rules: it must spell out what it forbids.

use super::Violation;
use anyhow::Context as _;
use std::collections::BTreeSet;
use std::path::Path;

/// Rule: every `.rs` file starts with a `//!` doc.
pub const MODULE_DOC: &str = "module-doc";
/// Rule: `allow(dead_code)` carries a reason.
pub const DEAD_CODE: &str = "dead-code-reason";
/// Rule: no reference to files outside the repository.
pub const OUTSIDE: &str = "outside-reference";
/// Rule: SQL only in the store.
pub const SQL: &str = "sql-only-in-store";
/// Rule: no clock or global RNG reads in the domain.
pub const PURE_DOMAIN: &str = "pure-domain";
/// Rule: test-only public items are gated.
pub const TEST_ONLY: &str = "test-only-gated";

/// The store: the only crate with SQL.
const STORE_DIR: &str = "crates/store/";
/// The domain: no clock, no global RNG.
const DOMAIN_DIR: &str = "crates/domain/";
/// The domain's wall clock, the one place it may read the time.
pub const SYSTEM_CLOCK: &str = "crates/domain/src/clock.rs";
/// Files that query the database through `psql`, as an operator does, and why.
pub const PSQL_FILES: [(&str, &str); 5] = [
    (
        "xtask/src/demo/stats.rs",
        "the demo's checklist reads the database through psql, as the README tells operators to",
    ),
    (
        "tests/demo.rs",
        "the demo's system test checks the outcome through psql",
    ),
    (
        "crates/cli/tests/operators.rs",
        "checks the README's psql views as an operator runs them",
    ),
    (
        "xtask/src/bench/fleet.rs",
        "the fleet benchmark counts what the run stored through psql, from outside the fleet",
    ),
    (
        "xtask/src/chaos/audit.rs",
        "the chaos harness compares the world's ledger with the database through psql, from outside the fleet",
    ),
];
/// Tidy's own files (they name what they forbid).
const TIDY_DIR: &str = "xtask/src/tidy/";
/// The test kit is test-only as a whole (a dev-dependency only: see `deps`).
const TESTKIT_DIR: &str = "crates/testkit/";
/// Applied migrations never change.
const MIGRATIONS_DIR: &str = "migrations/";

/// Directories never read: build output, git, the session inbox.
const SKIPPED_DIRS: [&str; 4] = ["target", ".git", "sessions", "node_modules"];
/// File names read besides those with [`TEXT_EXTENSIONS`].
const TEXT_NAMES: [&str; 4] = ["Dockerfile", "run", ".env.example", ".dockerignore"];
const TEXT_EXTENSIONS: [&str; 8] = ["rs", "md", "toml", "yml", "yaml", "sh", "sql", "txt"];

/// A file of the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// Relative to the root, with `/` separators.
    pub path: String,
    /// Its text.
    pub text: String,
}

/// The files the rules read, and our table names (from `migrations/`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Files {
    /// Every text file, sorted by path.
    pub files: Vec<File>,
    /// Tables and views created by the migrations.
    pub tables: BTreeSet<String>,
}

impl Files {
    /// Reads the text files under `root` (skipping [`SKIPPED_DIRS`]).
    pub fn read(root: &Path) -> anyhow::Result<Self> {
        let mut files = Vec::new();
        walk(root, root, &mut files)?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Self::new(files))
    }

    /// Wraps `files`, reading the table names from the `.sql` files among them.
    pub fn new(files: Vec<File>) -> Self {
        let tables = files
            .iter()
            .filter(|file| file.path.starts_with(MIGRATIONS_DIR) && file.path.ends_with(".sql"))
            .flat_map(|file| created_tables(&file.text))
            .collect();
        Self { files, tables }
    }
}

fn walk(root: &Path, dir: &Path, files: &mut Vec<File>) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            let hidden = name.starts_with('.') && name != ".ci" && name != ".cargo";
            if !hidden && !SKIPPED_DIRS.contains(&name) {
                walk(root, &path, files)?;
            }
            continue;
        }
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if !TEXT_EXTENSIONS.contains(&extension) && !TEXT_NAMES.contains(&name) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let relative = path.strip_prefix(root).unwrap_or(&path);
        let relative = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        files.push(File {
            path: relative,
            text,
        });
    }
    Ok(())
}

/// `CREATE TABLE name` / `CREATE VIEW name` / `CREATE OR REPLACE VIEW name`.
fn created_tables(sql: &str) -> Vec<String> {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let mut tables = Vec::new();
    for (index, word) in words.iter().enumerate() {
        if word.eq_ignore_ascii_case("TABLE") || word.eq_ignore_ascii_case("VIEW") {
            let creates = index.checked_sub(1).map(|i| words[i]).is_some_and(|w| {
                w.eq_ignore_ascii_case("CREATE") || w.eq_ignore_ascii_case("REPLACE")
            });
            let mut next = index + 1;
            if words
                .get(next)
                .is_some_and(|w| w.eq_ignore_ascii_case("IF"))
            {
                next += 3;
            }
            if creates && let Some(name) = words.get(next) {
                tables.push(identifier(name).to_owned());
            }
        }
    }
    tables
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// Checks every content rule on every file.
pub fn check(files: &Files) -> Vec<Violation> {
    let mut violations = Vec::new();
    for file in &files.files {
        let mut report = |rule, line: Option<usize>, message: String| {
            violations.push(Violation {
                rule,
                path: file.path.clone(),
                line,
                message,
            });
        };
        let rust = file.path.ends_with(".rs");
        if rust {
            module_doc(file, &mut report);
            dead_code(file, &mut report);
        }
        if file.path.starts_with(TIDY_DIR) {
            continue;
        }
        if !file.path.starts_with(MIGRATIONS_DIR) {
            outside_references(file, &mut report);
        }
        if rust && !file.path.starts_with(STORE_DIR) {
            sql_outside_store(file, &files.tables, &mut report);
        }
        if rust && file.path.starts_with(DOMAIN_DIR) && file.path != SYSTEM_CLOCK {
            pure_domain(file, &mut report);
        }
        if rust
            && file.path.starts_with("crates/")
            && file.path.contains("/src/")
            && !file.path.starts_with(TESTKIT_DIR)
        {
            test_only_gated(file, files, &mut report);
        }
    }
    violations
}

type Report<'a> = dyn FnMut(&'static str, Option<usize>, String) + 'a;

fn module_doc(file: &File, report: &mut Report<'_>) {
    let first = file.text.lines().find(|line| !line.trim().is_empty());
    if !first.is_some_and(|line| line.starts_with("//!")) {
        report(
            MODULE_DOC,
            Some(1),
            "start the file with a `//!` doc saying what it is for".into(),
        );
    }
}

fn dead_code(file: &File, report: &mut Report<'_>) {
    let lines: Vec<&str> = file.text.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if !(trimmed.starts_with("#[allow(") || trimmed.starts_with("#![allow(")) {
            continue;
        }
        // The whole attribute, which rustfmt may spread over several lines.
        let attribute: String = lines[index..]
            .iter()
            .scan(false, |closed, line| {
                (!*closed).then(|| {
                    *closed = line.trim_end().ends_with(")]");
                    line.trim()
                })
            })
            .collect::<Vec<_>>()
            .join(" ");
        if !attribute.contains("dead_code") {
            continue;
        }
        let commented = index
            .checked_sub(1)
            .map(|i| lines[i].trim_start())
            .is_some_and(|above| {
                above.starts_with("//") && !above.starts_with("///") && !above.starts_with("//!")
            });
        if !attribute.contains("reason =") && !commented {
            report(
                DEAD_CODE,
                Some(index + 1),
                "say why dead code is allowed: `allow(dead_code, reason = \"…\")`".into(),
            );
        }
    }
}

/// Paths and names of documents that are not in the repository (matched exactly).
const OUTSIDE_MARKERS: [&str; 3] = ["../shared", "DESIGN.md", "/work/"];
/// The requirement documents' numbers (matched in any case: "Seed 000's query").
const OUTSIDE_MARKERS_ANY_CASE: [&str; 2] = ["seed 00", "seeds 00"];

fn outside_references(file: &File, report: &mut Report<'_>) {
    for (index, line) in file.text.lines().enumerate() {
        let lower = line.to_lowercase();
        let found = OUTSIDE_MARKERS
            .iter()
            .filter(|marker| line.contains(*marker))
            .chain(
                OUTSIDE_MARKERS_ANY_CASE
                    .iter()
                    .filter(|marker| lower.contains(*marker)),
            );
        for marker in found {
            report(
                OUTSIDE,
                Some(index + 1),
                format!(
                    "`{marker}` refers to something outside the repository; \
                     say it here or in docs/"
                ),
            );
        }
    }
}

/// The query API of sqlx: only the store calls it.
const QUERY_CALLS: [&str; 6] = [
    "sqlx::query",
    "sqlx::raw_sql",
    "sqlx::Executor",
    "query!(",
    "query_as!(",
    "query_scalar!(",
];
/// Keywords after which a table name makes a line SQL.
const SQL_KEYWORDS: [&str; 5] = ["FROM ", "INTO ", "UPDATE ", "JOIN ", "TABLE "];

fn sql_outside_store(file: &File, tables: &BTreeSet<String>, report: &mut Report<'_>) {
    if PSQL_FILES.iter().any(|(path, _)| *path == file.path) {
        return;
    }
    for (index, line) in file.text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        let imports_query = trimmed.starts_with("use sqlx::")
            && ["query", "raw_sql", "Executor"]
                .iter()
                .any(|name| trimmed.contains(name));
        if imports_query || QUERY_CALLS.iter().any(|call| line.contains(call)) {
            report(
                SQL,
                Some(index + 1),
                "only crates/store runs queries; add a Store method (tests: feature `testing`)"
                    .into(),
            );
            continue;
        }
        if let Some(table) = named_table(line, tables) {
            report(
                SQL,
                Some(index + 1),
                format!("SQL on `{table}` outside crates/store; add a Store method"),
            );
        }
    }
}

/// The first of our tables that follows an SQL keyword on `line`.
fn named_table<'t>(line: &str, tables: &'t BTreeSet<String>) -> Option<&'t str> {
    for keyword in SQL_KEYWORDS {
        let mut rest = line;
        while let Some(at) = rest.find(keyword) {
            let before = rest[..at].chars().next_back();
            let after = &rest[at + keyword.len()..];
            let word = identifier(after);
            if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && let Some(table) = tables.get(word)
            {
                return Some(table);
            }
            rest = after;
        }
    }
    None
}

/// Reads of the clock and of the global RNG.
const IMPURE_CALLS: [&str; 8] = [
    "Utc::now",
    "Local::now",
    "SystemTime::now",
    "Instant::now",
    "rand::rng()",
    "thread_rng",
    "rand::random",
    "OsRng",
];

fn pure_domain(file: &File, report: &mut Report<'_>) {
    for (index, line) in file.text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        for call in IMPURE_CALLS {
            if code.contains(call) {
                report(
                    PURE_DOMAIN,
                    Some(index + 1),
                    format!("`{call}` in the domain: take `now` or an RNG as a parameter"),
                );
            }
        }
    }
}

/// Doc openings that mark a public item as being for tests.
const TEST_OPENINGS: [&str; 3] = ["for tests", "test-only", "tests only"];
/// Doc phrases that do so anywhere.
const TEST_PHRASES: [&str; 3] = ["for tests only", "only for tests", "only in tests"];

fn test_only_gated(file: &File, files: &Files, report: &mut Report<'_>) {
    if file_is_gated(file, files) {
        return;
    }
    let lines: Vec<&str> = file.text.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            // The tests module comes last: the rest of the file is test code.
            return;
        }
        if !trimmed.starts_with("pub ") {
            continue;
        }
        let header: Vec<&str> = lines[..index]
            .iter()
            .rev()
            .map(|line| line.trim_start())
            .take_while(|line| line.starts_with("///") || line.starts_with("#["))
            .collect();
        let for_tests = header.iter().any(|line| {
            let Some(doc) = line.strip_prefix("///") else {
                return false;
            };
            let lower = doc.trim_start().to_lowercase();
            TEST_OPENINGS.iter().any(|p| lower.starts_with(p))
                || TEST_PHRASES.iter().any(|p| lower.contains(p))
        });
        if for_tests && !header.iter().any(|line| is_gate(line)) {
            report(
                TEST_ONLY,
                Some(index + 1),
                "a test-only public item: put it behind `#[cfg(feature = \"testing\")]` \
                 (or `#[doc(hidden)]`)"
                    .into(),
            );
        }
    }
}

fn is_gate(attribute: &str) -> bool {
    attribute.starts_with("#[")
        && (attribute.contains("doc(hidden)")
            || (attribute.contains("cfg(")
                && (attribute.contains("feature = \"testing\"")
                    || attribute.contains("feature = \"fixtures\"")
                    || attribute.contains("test"))))
}

/// Whether `file`'s module is declared behind a gate (`#[cfg(feature = "testing")]
/// pub mod name;` in a file of the same crate) or gates itself (`#![cfg(…)]`).
fn file_is_gated(file: &File, files: &Files) -> bool {
    if file
        .text
        .lines()
        .any(|line| line.starts_with("#![cfg(") && is_gate(&line.replacen("#!", "#", 1)))
    {
        return true;
    }
    let Some((krate, _)) = file.path.split_once("/src/") else {
        return false;
    };
    let stem = Path::new(&file.path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let stem = if stem == "mod" {
        Path::new(&file.path)
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|s| s.to_str())
            .unwrap_or_default()
    } else {
        stem
    };
    let declarations = [format!("mod {stem};"), format!("mod {stem} {{")];
    files
        .files
        .iter()
        .filter(|other| other.path.starts_with(&format!("{krate}/src/")))
        .any(|other| {
            let lines: Vec<&str> = other.text.lines().map(str::trim_start).collect();
            lines.iter().enumerate().any(|(index, line)| {
                declarations.iter().any(|d| line.ends_with(d.as_str()))
                    && lines[..index]
                        .iter()
                        .rev()
                        .take_while(|l| l.starts_with("#[") || l.starts_with("///"))
                        .any(|l| is_gate(l))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIGRATION: &str = "CREATE TABLE accounts (id bigint);\n\
         CREATE TABLE IF NOT EXISTS memberships (id bigint);\n\
         CREATE OR REPLACE VIEW overview AS SELECT 1;\n";

    fn file(path: &str, text: &str) -> File {
        File {
            path: path.into(),
            text: text.into(),
        }
    }

    /// The violations of a repository holding a migration and `extra`.
    fn check_with(extra: File) -> Vec<(&'static str, String, Option<usize>)> {
        let files = Files::new(vec![file("migrations/1_initial.sql", MIGRATION), extra]);
        check(&files)
            .into_iter()
            .map(|v| (v.rule, v.path, v.line))
            .collect()
    }

    fn rules(path: &str, text: &str) -> Vec<&'static str> {
        check_with(file(path, text))
            .into_iter()
            .map(|(rule, _, _)| rule)
            .collect()
    }

    const CLEAN: &str = "//! A module.\n\npub fn f() {}\n";

    #[test]
    fn table_names_come_from_the_migrations() {
        let files = Files::new(vec![file("migrations/1_initial.sql", MIGRATION)]);
        assert_eq!(
            files.tables.into_iter().collect::<Vec<_>>(),
            ["accounts", "memberships", "overview"]
        );
    }

    #[test]
    fn a_clean_file_passes_every_rule() {
        assert_eq!(
            rules("crates/marketer/src/lib.rs", CLEAN),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn every_rust_file_opens_with_a_module_doc() {
        assert_eq!(
            check_with(file(
                "crates/x/src/lib.rs",
                "// A comment.\npub fn f() {}\n"
            )),
            [(MODULE_DOC, "crates/x/src/lib.rs".to_owned(), Some(1))]
        );
        assert_eq!(
            rules(
                "crates/x/tests/a.rs",
                "/// An item doc.\n#[test]\nfn t() {}\n"
            ),
            [MODULE_DOC]
        );
    }

    #[test]
    fn dead_code_allowances_give_a_reason() {
        assert_eq!(
            check_with(file(
                "crates/x/tests/common/mod.rs",
                "//! Helpers.\n\n#![allow(dead_code)]\n"
            )),
            [(
                DEAD_CODE,
                "crates/x/tests/common/mod.rs".to_owned(),
                Some(3)
            )]
        );
        assert_eq!(
            rules(
                "crates/x/tests/common/mod.rs",
                "//! Helpers.\n#![allow(dead_code, reason = \"each test binary uses a part\")]\n"
            ),
            Vec::<&str>::new()
        );
        assert_eq!(
            rules(
                "crates/x/src/a.rs",
                "//! A.\n// Read by the bench only.\n#[allow(dead_code)]\nfn f() {}\n"
            ),
            Vec::<&str>::new()
        );
        let spread = "//! A.\n#[allow(\n    unreachable_code,\n    dead_code,\n)]\nfn f() {}\n";
        assert_eq!(rules("crates/x/src/a.rs", spread), [DEAD_CODE]);
        let spread = spread.replace("dead_code,", "dead_code,\n    reason = \"a proof\",");
        assert_eq!(rules("crates/x/src/a.rs", &spread), Vec::<&str>::new());
    }

    #[test]
    fn nothing_points_outside_the_repository() {
        for text in [
            "//! See ../shared/notes for more.\n",
            "//! The slots (seed 000, section 5).\n",
            "//! As DESIGN.md says.\n",
        ] {
            assert_eq!(rules("crates/x/src/lib.rs", text), [OUTSIDE], "{text}");
        }
        assert_eq!(rules("README.md", "Read the Seeds 002 notes.\n"), [OUTSIDE]);
        assert_eq!(
            rules("migrations/2_more.sql", "-- seed 000's query\nSELECT 1;\n"),
            Vec::<&str>::new(),
            "applied migrations never change"
        );
        assert_eq!(
            rules("crates/x/src/lib.rs", "//! A world built from seed 7.\n"),
            Vec::<&str>::new()
        );
        assert_eq!(
            rules("crates/x/src/lib.rs", "//! The rules (docs/design.md).\n"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn a_new_sqlx_query_outside_the_store_fails() {
        let query = "//! Marketing.\n\nasync fn f(pool: &PgPool) {\n    \
            sqlx::query(\"SELECT 1\").execute(pool).await.unwrap();\n}\n";
        assert_eq!(
            check_with(file("crates/marketer/src/lib.rs", query)),
            [(SQL, "crates/marketer/src/lib.rs".to_owned(), Some(4))]
        );
        assert_eq!(rules("crates/marketer/tests/day.rs", query), [SQL]);
        assert_eq!(
            rules("crates/store/src/posts.rs", query),
            Vec::<&str>::new()
        );
        assert_eq!(
            rules("crates/cli/src/a.rs", "//! A.\nuse sqlx::query_scalar;\n"),
            [SQL]
        );
    }

    #[test]
    fn sql_text_on_our_tables_stays_in_the_store() {
        let text = "//! A.\nconst Q: &str = \"SELECT count(*) FROM memberships WHERE state = 'joined'\";\n";
        assert_eq!(rules("crates/activity/src/lib.rs", text), [SQL]);
        assert_eq!(
            rules("crates/store/src/memberships.rs", text),
            Vec::<&str>::new()
        );
        assert_eq!(
            rules(
                "crates/activity/src/lib.rs",
                "//! A.\n// Read FROM memberships.\n"
            ),
            Vec::<&str>::new(),
            "comments are prose"
        );
        assert_eq!(
            rules(
                "crates/activity/src/lib.rs",
                "//! A.\nconst Q: &str = \"SELECT * FROM sqlite_master; FROM membershipsx\";\n"
            ),
            Vec::<&str>::new(),
            "other databases' tables and longer names are not ours"
        );
        assert_eq!(
            rules("tests/demo.rs", text),
            Vec::<&str>::new(),
            "psql, as the operator"
        );
    }

    #[test]
    fn the_domain_reads_no_clock_and_no_global_rng() {
        for call in [
            "let now = chrono::Utc::now();",
            "let t = std::time::Instant::now();",
            "let mut rng = rand::rng();",
            "let mut rng = thread_rng();",
        ] {
            let text = format!("//! Policy.\nfn f() {{\n    {call}\n}}\n");
            assert_eq!(
                check_with(file("crates/domain/src/posting.rs", &text)),
                [(
                    PURE_DOMAIN,
                    "crates/domain/src/posting.rs".to_owned(),
                    Some(3)
                )],
                "{call}"
            );
            assert_eq!(
                rules("crates/runtime/src/clock.rs", &text),
                Vec::<&str>::new()
            );
        }
        assert_eq!(
            rules(SYSTEM_CLOCK, "//! The clock.\nfn now() { Utc::now() }\n"),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn test_only_public_items_are_gated() {
        let open = "//! Store.\nimpl Store {\n    /// For tests: the pool.\n    pub fn pool(&self) {}\n}\n";
        assert_eq!(
            check_with(file("crates/store/src/lib.rs", open)),
            [(TEST_ONLY, "crates/store/src/lib.rs".to_owned(), Some(4))]
        );
        let gated = "//! Store.\nimpl Store {\n    /// For tests: the pool.\n    #[cfg(feature = \"testing\")]\n    pub fn pool(&self) {}\n}\n";
        assert_eq!(rules("crates/store/src/lib.rs", gated), Vec::<&str>::new());
        let hidden = open.replace("    pub fn", "    #[doc(hidden)]\n    pub fn");
        assert_eq!(
            rules("crates/store/src/lib.rs", &hidden),
            Vec::<&str>::new()
        );
        let chosen = open.replace("For tests: the pool.", "Default 30 s (chosen for tests).");
        assert_eq!(
            rules("crates/store/src/lib.rs", &chosen),
            Vec::<&str>::new()
        );
        assert_eq!(
            rules("crates/testkit/src/lib.rs", open),
            Vec::<&str>::new(),
            "the test kit is test-only as a whole"
        );
    }

    #[test]
    fn a_gated_module_gates_its_items() {
        let item = "//! Testing.\n/// For tests only.\npub fn helper() {}\n";
        let gated_parent = "//! Lib.\n#[cfg(feature = \"testing\")]\npub mod testing;\n";
        let open_parent = "//! Lib.\npub mod testing;\n";
        let with_parent = |parent: &str| {
            check(&Files::new(vec![
                file("crates/store/src/lib.rs", parent),
                file("crates/store/src/testing.rs", item),
            ]))
            .into_iter()
            .map(|v| v.rule)
            .collect::<Vec<_>>()
        };
        assert_eq!(with_parent(gated_parent), Vec::<&str>::new());
        assert_eq!(with_parent(open_parent), [TEST_ONLY]);
    }
}
