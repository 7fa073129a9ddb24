//! Dependency rules, read from `cargo metadata`.
//!
//! * [`PURE_CRATES`] (`tgfleet-domain`, `tg-world`) depend on no crate of ours, of any
//!   kind: the domain is the vocabulary everything else shares, and the world speaks
//!   Telegram's vocabulary, not tgfleet's.
//! * Services ([`SERVICES`]) and the runtime never depend on an adapter, and services
//!   never on each other: they receive a `dyn Connector`, and the CLI (the one crate
//!   that knows everything) wires production together.
//! * Only the store links `sqlx` for queries ([`SQLX_CRATES`]).
//! * `tgfleet-testkit` is only ever a dev-dependency.
//!
//! **Dev-dependencies** are exempt from the service and runtime rules (not from the
//! pure-crate rule): tests are where the pieces meet (a service test runs over the
//! in-process adapter; the reviewer's joint test runs the real marketer beside it),
//! and nothing in a dev-dependency reaches a production binary. Build dependencies
//! count as normal ones.

use super::Violation;
use anyhow::Context as _;
use std::path::Path;

/// Rule: a pure crate depends on no crate of ours.
pub const PURE: &str = "pure-crate";
/// Rule: a service or the runtime does not depend on an adapter or on a service.
pub const SERVICE_EDGES: &str = "service-dependencies";
/// Rule: only the store (and the test kit) link `sqlx`.
pub const SQLX: &str = "sqlx-only-in-store";
/// Rule: the test kit is a dev-dependency only.
pub const TESTKIT: &str = "testkit-dev-only";

/// Crates that depend on no crate of ours.
pub const PURE_CRATES: [&str; 2] = ["tgfleet-domain", "tg-world"];
/// The services: long-running jobs that receive their connector.
pub const SERVICES: [&str; 4] = [
    "tgfleet-account-manager",
    "tgfleet-marketer",
    "tgfleet-activity",
    "tgfleet-group-reviewer",
];
/// The crates that may link `sqlx` as a normal dependency: the store, and the test
/// kit, which takes the `PgPool` that `#[sqlx::test]` hands a test.
pub const SQLX_CRATES: [&str; 2] = ["tgfleet-store", "tgfleet-testkit"];
const RUNTIME: &str = "tgfleet-runtime";
const TESTKIT_CRATE: &str = "tgfleet-testkit";
const ADAPTER_PREFIX: &str = "tgfleet-adapter-";

/// A dependency's kind, as Cargo.toml sections name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `[dependencies]`.
    Normal,
    /// `[dev-dependencies]`.
    Dev,
    /// `[build-dependencies]`.
    Build,
}

/// One dependency of a workspace crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// The package depended on.
    pub name: String,
    /// Its section.
    pub kind: Kind,
    /// Whether it is a crate of this repository (a path dependency).
    pub ours: bool,
}

/// A workspace crate and its dependencies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crate {
    /// The package name.
    pub name: String,
    /// Its manifest, relative to the repository root.
    pub manifest: String,
    /// What it depends on.
    pub dependencies: Vec<Dependency>,
}

/// The workspace's crates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workspace {
    /// Every member.
    pub crates: Vec<Crate>,
}

impl Workspace {
    /// Reads the output of `cargo metadata --format-version 1 --no-deps`.
    pub fn from_metadata(metadata: &serde_json::Value, root: &Path) -> anyhow::Result<Self> {
        let packages = metadata["packages"]
            .as_array()
            .context("cargo metadata: no packages")?;
        let mut crates = Vec::new();
        for package in packages {
            let name = package["name"].as_str().context("package without a name")?;
            let manifest = package["manifest_path"].as_str().unwrap_or_default();
            let manifest = Path::new(manifest)
                .strip_prefix(root)
                .map_or_else(|_| manifest.to_owned(), |p| p.display().to_string());
            let mut dependencies = Vec::new();
            for dependency in package["dependencies"].as_array().into_iter().flatten() {
                let kind = match dependency["kind"].as_str() {
                    Some("dev") => Kind::Dev,
                    Some("build") => Kind::Build,
                    _ => Kind::Normal,
                };
                dependencies.push(Dependency {
                    name: dependency["name"].as_str().unwrap_or_default().to_owned(),
                    kind,
                    ours: dependency["path"].is_string(),
                });
            }
            crates.push(Crate {
                name: name.to_owned(),
                manifest,
                dependencies,
            });
        }
        Ok(Self { crates })
    }
}

/// Checks every dependency rule.
pub fn check(workspace: &Workspace) -> Vec<Violation> {
    let mut violations = Vec::new();
    for krate in &workspace.crates {
        let own = |dependency: &&Dependency| dependency.ours && dependency.name != krate.name;
        let mut broken = |rule, dependency: &Dependency, why: &str| {
            violations.push(Violation {
                rule,
                path: krate.manifest.clone(),
                line: None,
                message: format!("{} depends on {} ({why})", krate.name, dependency.name),
            });
        };
        for dependency in krate.dependencies.iter().filter(own) {
            let production = dependency.kind != Kind::Dev;
            if PURE_CRATES.contains(&krate.name.as_str()) {
                broken(PURE, dependency, "it depends on no crate of ours");
            }
            let service = SERVICES.contains(&krate.name.as_str());
            if production && (service || krate.name == RUNTIME) {
                if dependency.name.starts_with(ADAPTER_PREFIX) {
                    broken(
                        SERVICE_EDGES,
                        dependency,
                        "services and the runtime receive a dyn Connector; the CLI wires adapters",
                    );
                }
                if SERVICES.contains(&dependency.name.as_str()) {
                    broken(
                        SERVICE_EDGES,
                        dependency,
                        "services never depend on each other",
                    );
                }
            }
            if dependency.name == TESTKIT_CRATE && dependency.kind != Kind::Dev {
                broken(TESTKIT, dependency, "the test kit is a dev-dependency only");
            }
        }
        for dependency in &krate.dependencies {
            if dependency.name == "sqlx"
                && dependency.kind != Kind::Dev
                && !SQLX_CRATES.contains(&krate.name.as_str())
            {
                broken(SQLX, dependency, "only the store runs queries");
            }
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(name: &str, kind: Kind) -> Dependency {
        Dependency {
            name: name.to_owned(),
            kind,
            ours: name.starts_with("tg"),
        }
    }

    fn krate(name: &str, dependencies: Vec<Dependency>) -> Crate {
        Crate {
            name: name.to_owned(),
            manifest: format!("crates/{name}/Cargo.toml"),
            dependencies,
        }
    }

    /// A workspace that keeps every rule, with `extra` added to `name`'s dependencies.
    fn fixture(name: &str, extra: Dependency) -> Workspace {
        let mut workspace = Workspace {
            crates: vec![
                krate(
                    "tgfleet-domain",
                    vec![dep("chrono", Kind::Normal), dep("proptest", Kind::Dev)],
                ),
                krate("tg-world", vec![dep("rand", Kind::Normal)]),
                krate(
                    "tgfleet-store",
                    vec![
                        dep("tgfleet-domain", Kind::Normal),
                        dep("sqlx", Kind::Normal),
                        dep("tgfleet-store", Kind::Dev),
                    ],
                ),
                krate(
                    "tgfleet-runtime",
                    vec![
                        dep("tgfleet-store", Kind::Normal),
                        dep("tgfleet-adapter-sim", Kind::Dev),
                        dep("sqlx", Kind::Dev),
                    ],
                ),
                krate(
                    "tgfleet-marketer",
                    vec![
                        dep("tgfleet-runtime", Kind::Normal),
                        dep("tgfleet-testkit", Kind::Dev),
                        dep("tgfleet-adapter-sim", Kind::Dev),
                    ],
                ),
                krate(
                    "tgfleet-group-reviewer",
                    vec![
                        dep("tgfleet-runtime", Kind::Normal),
                        dep("tgfleet-marketer", Kind::Dev),
                    ],
                ),
                krate(
                    "tgfleet-cli",
                    vec![
                        dep("tgfleet-adapter-grammers", Kind::Normal),
                        dep("tgfleet-marketer", Kind::Normal),
                    ],
                ),
                krate("tgfleet-testkit", vec![dep("sqlx", Kind::Normal)]),
            ],
        };
        workspace
            .crates
            .iter_mut()
            .find(|krate| krate.name == name)
            .unwrap()
            .dependencies
            .push(extra);
        workspace
    }

    fn rules(workspace: &Workspace) -> Vec<&'static str> {
        check(workspace).into_iter().map(|v| v.rule).collect()
    }

    #[test]
    fn the_fixture_keeps_every_rule() {
        assert_eq!(
            rules(&fixture("tgfleet-cli", dep("anyhow", Kind::Normal))),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn the_domain_and_the_world_depend_on_nothing_of_ours() {
        assert_eq!(
            rules(&fixture(
                "tgfleet-domain",
                dep("tgfleet-telegram", Kind::Normal)
            )),
            [PURE]
        );
        assert_eq!(
            rules(&fixture(
                "tgfleet-domain",
                dep("tgfleet-testkit", Kind::Dev)
            )),
            [PURE]
        );
        assert_eq!(
            rules(&fixture("tg-world", dep("tgfleet-domain", Kind::Normal))),
            [PURE]
        );
    }

    #[test]
    fn services_and_the_runtime_never_name_an_adapter() {
        let broken = fixture(
            "tgfleet-runtime",
            dep("tgfleet-adapter-grammers", Kind::Normal),
        );
        let violations = check(&broken);
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].rule, SERVICE_EDGES);
        assert_eq!(violations[0].path, "crates/tgfleet-runtime/Cargo.toml");
        assert!(
            violations[0]
                .message
                .contains("tgfleet-runtime depends on tgfleet-adapter-grammers")
        );
        assert_eq!(
            rules(&fixture(
                "tgfleet-marketer",
                dep("tgfleet-adapter-sim", Kind::Build)
            )),
            [SERVICE_EDGES]
        );
    }

    #[test]
    fn services_never_depend_on_each_other_outside_tests() {
        assert_eq!(
            rules(&fixture(
                "tgfleet-group-reviewer",
                dep("tgfleet-marketer", Kind::Normal)
            )),
            [SERVICE_EDGES]
        );
    }

    #[test]
    fn only_the_store_links_sqlx() {
        assert_eq!(
            rules(&fixture("tgfleet-marketer", dep("sqlx", Kind::Normal))),
            [SQLX]
        );
        assert_eq!(
            rules(&fixture("tgfleet-marketer", dep("sqlx", Kind::Dev))),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn the_test_kit_is_a_dev_dependency_only() {
        assert_eq!(
            rules(&fixture(
                "tgfleet-cli",
                dep("tgfleet-testkit", Kind::Normal)
            )),
            [TESTKIT]
        );
    }

    #[test]
    fn metadata_is_read_with_kinds_and_path_dependencies() {
        let metadata = serde_json::json!({
            "packages": [{
                "name": "tgfleet-runtime",
                "manifest_path": "/repo/crates/runtime/Cargo.toml",
                "dependencies": [
                    {"name": "tgfleet-adapter-grammers", "kind": null, "path": "/repo/crates/adapter-grammers"},
                    {"name": "tokio", "kind": null},
                    {"name": "tgfleet-adapter-sim", "kind": "dev", "path": "/repo/crates/adapter-sim"}
                ]
            }]
        });
        let workspace = Workspace::from_metadata(&metadata, Path::new("/repo")).unwrap();
        assert_eq!(workspace.crates[0].manifest, "crates/runtime/Cargo.toml");
        assert_eq!(
            workspace.crates[0].dependencies[0],
            Dependency {
                name: "tgfleet-adapter-grammers".into(),
                kind: Kind::Normal,
                ours: true
            }
        );
        assert!(!workspace.crates[0].dependencies[1].ours);
        assert_eq!(workspace.crates[0].dependencies[2].kind, Kind::Dev);
        assert_eq!(rules(&workspace), [SERVICE_EDGES]);
    }
}
