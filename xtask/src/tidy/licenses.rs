//! Every dependency's licence is one we may ship: its SPDX expression is satisfied by
//! the licences on [`ALLOWED`] (`A OR B` needs one of them, `A AND B` both; read from
//! `cargo metadata`, which includes the dependencies). Like rust-analyzer's tidy, and the licence half of `cargo deny`
//! (which CI cannot run: see the README).

use super::Violation;

/// Rule: dependencies' licences are allowed.
pub const LICENSES: &str = "dependency-licenses";

/// Permissive licences (and the LLVM exception) compatible with MIT OR Apache-2.0.
pub const ALLOWED: [&str; 14] = [
    "MIT",
    "Apache-2.0",
    "LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "CC0-1.0",
    "Unlicense",
    "BSL-1.0",
    "0BSD",
    "MPL-2.0",
];

/// Checks the `license` of every package in `metadata` (the output of `cargo metadata`
/// with dependencies). A package without one fails too.
pub fn check(metadata: &serde_json::Value) -> Vec<Violation> {
    let mut violations = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or_default();
        let version = package["version"].as_str().unwrap_or_default();
        let license = package["license"].as_str().unwrap_or_default();
        if !allowed(license) {
            violations.push(Violation {
                rule: LICENSES,
                path: "Cargo.lock".to_owned(),
                line: None,
                message: format!(
                    "{name} {version} is licensed {license:?}: not on the allowed list in \
                     xtask/src/tidy/licenses.rs"
                ),
            });
        }
    }
    violations
}

/// Whether the SPDX expression `license` (`MIT OR Apache-2.0`, `(A OR B) AND C`,
/// `A WITH exception`, the old `MIT/Apache-2.0`) is satisfied by [`ALLOWED`].
fn allowed(license: &str) -> bool {
    let spaced = license
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace('/', " OR ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut at = 0;
    !tokens.is_empty() && any_of(&tokens, &mut at) && at == tokens.len()
}

/// `all_of (OR all_of)*`.
fn any_of(tokens: &[&str], at: &mut usize) -> bool {
    let mut satisfied = all_of(tokens, at);
    while tokens.get(*at) == Some(&"OR") {
        *at += 1;
        satisfied |= all_of(tokens, at);
    }
    satisfied
}

/// `term (AND term)*`.
fn all_of(tokens: &[&str], at: &mut usize) -> bool {
    let mut satisfied = term(tokens, at);
    while tokens.get(*at) == Some(&"AND") {
        *at += 1;
        satisfied &= term(tokens, at);
    }
    satisfied
}

/// `( any_of )`, or a licence with an optional `WITH exception`.
fn term(tokens: &[&str], at: &mut usize) -> bool {
    let Some(token) = tokens.get(*at) else {
        return false;
    };
    *at += 1;
    if *token == "(" {
        let satisfied = any_of(tokens, at);
        if tokens.get(*at) == Some(&")") {
            *at += 1;
            return satisfied;
        }
        return false;
    }
    let mut satisfied = ALLOWED.contains(token);
    if tokens.get(*at) == Some(&"WITH") {
        satisfied &= tokens.get(*at + 1).is_some_and(|e| ALLOWED.contains(e));
        *at += 2;
    }
    satisfied
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(license: serde_json::Value) -> serde_json::Value {
        serde_json::json!({"packages": [
            {"name": "tokio", "version": "1.0.0", "license": "MIT"},
            {"name": "dep", "version": "0.1.0", "license": license},
        ]})
    }

    #[test]
    fn permissive_expressions_pass() {
        for license in [
            "MIT OR Apache-2.0",
            "(MIT OR Apache-2.0) AND Unicode-3.0",
            "Apache-2.0 WITH LLVM-exception OR MIT",
            "MIT/Apache-2.0",
            "MIT OR Apache-2.0 OR LGPL-2.1-or-later",
        ] {
            assert_eq!(check(&metadata(license.into())), [], "{license}");
        }
    }

    #[test]
    fn other_or_missing_licences_fail() {
        for license in [
            serde_json::json!("GPL-3.0-only"),
            serde_json::json!("MIT AND AGPL-3.0"),
            serde_json::json!("(MIT OR Apache-2.0) AND GPL-2.0-only"),
            serde_json::Value::Null,
        ] {
            let violations = check(&metadata(license.clone()));
            assert_eq!(violations.len(), 1, "{license}");
            assert_eq!(violations[0].rule, LICENSES);
            assert!(violations[0].message.starts_with("dep 0.1.0"));
        }
    }
}
