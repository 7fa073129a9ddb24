//! The container set-up holds together: `docker-compose.yml`, `Dockerfile`, `.dockerignore`,
//! `.env.example` and `docker/`.
//!
//! * `compose_config_is_accepted_by_the_installed_compose`: `docker compose config` (else
//!   `docker-compose config`) on a copy of the files with `.env.example` as `.env`, when one
//!   of them is installed; it says which one ran, or that none was found.
//! * every other test parses the files itself and always runs: the services and their
//!   dependencies, healthchecks, volumes, profiles, ports, the variables `.env.example`
//!   documents, and the binaries the image builds.

use serde_norway::{Mapping, Value};
use std::collections::BTreeSet;
use std::io::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binaries of the workspace, each built by a crate under `crates/`.
const BINARIES: [&str; 6] = [
    "tgfleet",
    "account-manager",
    "marketer",
    "activity",
    "group-reviewer",
    "tg-sim",
];
/// The long-running services and the port of their `/health` inside the container
/// (`telemetry.health_base_port` 9180 + the service's offset).
const SERVICES: [(&str, u16); 4] = [
    ("account-manager", 9181),
    ("marketer", 9182),
    ("activity", 9183),
    ("group-reviewer", 9184),
];
const DEMO_SERVICES: [&str; 4] = ["demo-postgres", "tg-sim", "demo-setup", "demo-fleet"];
/// Where the Dockerfile installs the scripts of `docker/`.
const SCRIPT_DIR: &str = "/usr/local/lib/tgfleet/";
/// `.env.example` keys that hold secrets: documented, never filled in.
const SECRET_KEYS: [&str; 4] = [
    "POSTGRES_PASSWORD",
    "TGFLEET_SESSION_KEY",
    "TG_API_ID",
    "TG_API_HASH",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// `docker-compose.yml` with anchors resolved and `<<` merge keys applied, as compose does.
fn compose() -> Value {
    let mut value: Value =
        serde_norway::from_str(&read("docker-compose.yml")).expect("docker-compose.yml is YAML");
    value.apply_merge().expect("docker-compose.yml: merge keys");
    value
}

fn services(compose: &Value) -> &Mapping {
    compose["services"]
        .as_mapping()
        .expect("docker-compose.yml: `services` is a mapping")
}

fn service<'a>(compose: &'a Value, name: &str) -> &'a Value {
    services(compose)
        .get(name)
        .unwrap_or_else(|| panic!("docker-compose.yml: no service `{name}`"))
}

fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(text) => vec![text.as_str()],
        Value::Sequence(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn profiles(service: &Value) -> Vec<&str> {
    strings(&service["profiles"])
}

/// A service's `environment` (map form) as name -> text.
fn environment(service: &Value) -> Vec<(String, String)> {
    let Some(map) = service["environment"].as_mapping() else {
        return Vec::new();
    };
    map.iter()
        .map(|(key, value)| {
            let key = key
                .as_str()
                .expect("environment keys are strings")
                .to_owned();
            let value = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                Value::Bool(flag) => flag.to_string(),
                other => panic!("environment {key}: unexpected value {other:?}"),
            };
            (key, value)
        })
        .collect()
}

fn env_value(service: &Value, key: &str) -> Option<String> {
    environment(service)
        .into_iter()
        .find_map(|(name, value)| (name == key).then_some(value))
}

/// `KEY` of every `KEY=value` line of an env file, commented-out lines included.
fn env_file_keys(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.trim().trim_start_matches('#').trim_start())
        .filter_map(|line| line.split_once('='))
        .map(|(key, _)| key.trim())
        .filter(|key| {
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_owned)
        .collect()
}

/// `KEY=value` of the uncommented lines of an env file.
fn env_file_values(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

/// The variables substituted in a compose file: `${NAME}`, `${NAME:-default}`, ... (`$$` is
/// a literal dollar).
fn substituted_variables(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        let after = &rest[at + 1..];
        if let Some(escaped) = after.strip_prefix('$') {
            rest = escaped;
            continue;
        }
        let name: String = after
            .strip_prefix('{')
            .unwrap_or(after)
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.insert(name);
        }
        rest = after;
    }
    names
}

/// `text` with `${NAME:-default}` / `${NAME-default}` / `${NAME}` replaced by the value in
/// `values`, else the default (what compose does with `.env.example` as `.env`).
fn interpolate(text: &str, values: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find('}').expect("closed ${...}") + at;
        let inner = &rest[at + 2..end];
        let (name, default) = match inner.split_once(":-").or_else(|| inner.split_once('-')) {
            Some((name, default)) => (name, default),
            None => (inner.split_once(":?").map_or(inner, |(name, _)| name), ""),
        };
        let value = values
            .iter()
            .find_map(|(key, value)| (key == name && !value.is_empty()).then_some(value.as_str()))
            .unwrap_or(default);
        out.push_str(value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn dependency_condition<'a>(service: &'a Value, on: &str) -> Option<&'a str> {
    service["depends_on"][on]["condition"].as_str()
}

/// The scripts of `docker/` by file name, with their text.
fn docker_scripts() -> Vec<(String, String)> {
    let mut scripts: Vec<(String, String)> = std::fs::read_dir(root().join("docker"))
        .expect("docker/ exists")
        .map(|entry| entry.expect("docker/ entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            (name, text)
        })
        .collect();
    scripts.sort();
    scripts
}

fn mentions_variable(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

#[test]
fn compose_config_is_accepted_by_the_installed_compose() {
    let Some(tool) = installed_compose() else {
        say(
            "compose: neither `docker compose` nor `docker-compose` is installed; only the structural checks ran",
        );
        return;
    };
    say(&format!("compose: validating with `{}`", tool.join(" ")));

    // A copy, so that the check uses .env.example as .env and never an operator's .env.
    let dir = tempfile::tempdir().unwrap();
    for file in ["docker-compose.yml", "Dockerfile", ".dockerignore"] {
        std::fs::copy(root().join(file), dir.path().join(file)).unwrap();
    }
    std::fs::copy(root().join(".env.example"), dir.path().join(".env")).unwrap();
    std::fs::create_dir(dir.path().join("docker")).unwrap();
    std::fs::create_dir(dir.path().join("sessions")).unwrap();
    for (name, text) in docker_scripts() {
        std::fs::write(dir.path().join("docker").join(name), text).unwrap();
    }

    let all_profiles = [
        "--profile",
        "tools",
        "--profile",
        "scheduled-review",
        "--profile",
        "demo",
    ];
    for profiles in [&[][..], &all_profiles[..]] {
        let output = run_compose(&tool, dir.path(), profiles, &["config", "-q"]);
        assert!(
            output.status.success(),
            "`{} {} config -q` failed:\n{}",
            tool.join(" "),
            profiles.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    // Compose sees the services this test checks, with every profile enabled.
    let output = run_compose(&tool, dir.path(), &all_profiles, &["config", "--services"]);
    assert!(output.status.success(), "config --services failed");
    let listed: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let parsed: BTreeSet<String> = services(&compose())
        .keys()
        .map(|key| key.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, parsed, "compose and the YAML parse disagree");
}

/// One line on stderr, past the test harness' capture (CI logs show which compose ran).
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// `docker compose` (v2) when its plugin answers, else `docker-compose` (v1).
fn installed_compose() -> Option<Vec<&'static str>> {
    [vec!["docker", "compose"], vec!["docker-compose"]]
        .into_iter()
        .find(|tool| {
            Command::new(tool[0])
                .args(&tool[1..])
                .arg("version")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        })
}

fn run_compose(tool: &[&str], dir: &Path, profiles: &[&str], args: &[&str]) -> Output {
    Command::new(tool[0])
        .args(&tool[1..])
        .args(["--project-directory", ".", "-f", "docker-compose.yml"])
        .args(profiles)
        .args(args)
        .current_dir(dir)
        // The project's own variables come from the copied .env only.
        .env_remove("COMPOSE_PROFILES")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .stdin(Stdio::null())
        .output()
        .expect("compose runs")
}

#[test]
fn the_database_comes_first_then_migrations_then_the_services() {
    let compose = compose();

    let postgres = service(&compose, "postgres");
    assert!(
        !strings(&postgres["healthcheck"]["test"]).is_empty(),
        "postgres needs a healthcheck: the others wait for service_healthy"
    );
    let volumes = strings(&postgres["volumes"]);
    let data = volumes
        .iter()
        .find(|volume| volume.ends_with(":/var/lib/postgresql/data"))
        .expect("postgres keeps its data in a volume");
    let volume_name = data.split(':').next().unwrap();
    assert!(
        compose["volumes"]
            .as_mapping()
            .is_some_and(|volumes| volumes.contains_key(volume_name)),
        "postgres' data volume `{volume_name}` is a named volume"
    );

    let migrate = service(&compose, "migrate");
    assert_eq!(strings(&migrate["command"]), ["tgfleet", "migrate"]);
    assert_eq!(
        dependency_condition(migrate, "postgres"),
        Some("service_healthy")
    );
    assert!(profiles(migrate).is_empty(), "migrate runs on every `up`");

    for (name, _) in SERVICES {
        let service = service(&compose, name);
        assert_eq!(
            dependency_condition(service, "migrate"),
            Some("service_completed_successfully"),
            "{name} waits for the migrations"
        );
        assert_eq!(
            dependency_condition(service, "postgres"),
            Some("service_healthy"),
            "{name} waits for a healthy database"
        );
        assert!(
            strings(&service["command"]).first() == Some(&name),
            "{name} runs its own binary"
        );
    }
    for name in ["account-manager", "marketer", "activity"] {
        assert!(
            profiles(service(&compose, name)).is_empty(),
            "{name} starts with a plain `docker compose up`"
        );
    }
}

#[test]
fn services_serve_health_on_fixed_ports_published_on_loopback_only() {
    let compose = compose();
    let mut problems = Vec::new();
    for (name, service) in services(&compose) {
        let name = name.as_str().unwrap();
        for port in strings(&service["ports"]) {
            if !port.starts_with("127.0.0.1:") {
                problems.push(format!("{name}: port {port:?} is not bound to 127.0.0.1"));
            }
        }
    }
    for (name, port) in SERVICES {
        let service = service(&compose, name);
        if env_value(service, "TGFLEET__TELEMETRY__HEALTH_ADDRESS").as_deref() != Some("0.0.0.0") {
            problems.push(format!(
                "{name}: TGFLEET__TELEMETRY__HEALTH_ADDRESS must be 0.0.0.0 inside the container"
            ));
        }
        if env_value(service, "TGFLEET__TELEMETRY__HEALTH_BASE_PORT").as_deref() != Some("9180") {
            problems.push(format!(
                "{name}: TGFLEET__TELEMETRY__HEALTH_BASE_PORT must be 9180"
            ));
        }
        let published = strings(&service["ports"]);
        if !published
            .iter()
            .any(|spec| spec.rsplit(':').next() == Some(port.to_string().as_str()))
        {
            problems.push(format!("{name}: container port {port} is not published"));
        }
        let check = strings(&service["healthcheck"]["test"]).join(" ");
        if !check.contains(&format!("http://127.0.0.1:{port}/health")) {
            problems.push(format!(
                "{name}: the healthcheck must GET /health on {port}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn sessions_are_mounted_read_only_for_the_cli() {
    let compose = compose();
    let tools = service(&compose, "tgfleet");
    assert!(
        strings(&tools["volumes"]).contains(&"./sessions:/sessions:ro"),
        "`docker compose run --rm tgfleet accounts import /sessions` needs ./sessions at /sessions, read-only"
    );
    assert_eq!(
        strings(&tools["entrypoint"]).last(),
        Some(&"tgfleet"),
        "the tools service runs the tgfleet CLI"
    );
    assert_eq!(profiles(tools), ["tools"], "`up` never starts the CLI");
    for (name, service) in services(&compose) {
        for volume in strings(&service["volumes"]) {
            if volume.starts_with("./sessions") {
                assert!(
                    volume.ends_with(":ro"),
                    "{}: {volume} must be read-only",
                    name.as_str().unwrap()
                );
            }
        }
    }
}

#[test]
fn the_reviewer_runs_on_its_schedule_or_from_cron() {
    let compose = compose();
    let reviewer = service(&compose, "group-reviewer");
    assert_eq!(
        profiles(reviewer),
        ["scheduled-review"],
        "the long-running reviewer is opt-in; cron runs `group-reviewer --once` otherwise"
    );
    assert_eq!(
        env_value(reviewer, "TGFLEET__REVIEWER__ENABLED_SCHEDULE").as_deref(),
        Some("true"),
        "without its schedule the binary reviews once and exits (a restart loop)"
    );
    assert_eq!(
        strings(&reviewer["command"]),
        ["group-reviewer"],
        "`docker compose run --rm -T group-reviewer group-reviewer --once` replaces the command"
    );
    // The reviewer's merged environment still carries everything the others get.
    for key in [
        "DATABASE_URL",
        "TGFLEET_SESSION_KEY",
        "TG_API_ID",
        "TG_API_HASH",
    ] {
        assert!(
            env_value(reviewer, key).is_some(),
            "group-reviewer lost {key} when extending the environment"
        );
    }
}

#[test]
fn the_demo_profile_runs_tg_sim_and_the_fleet_on_one_clock() {
    let compose = compose();
    let example = env_file_values(&read(".env.example"));
    let demo_env = read("docker/demo.env");
    let demo_values = env_file_values(&demo_env);

    for name in DEMO_SERVICES {
        assert_eq!(profiles(service(&compose, name)), ["demo"], "{name}");
    }
    for (name, service) in services(&compose) {
        let name = name.as_str().unwrap();
        if !DEMO_SERVICES.contains(&name) {
            assert!(
                !profiles(service).contains(&"demo"),
                "{name} is not part of the demo"
            );
        }
    }

    // Sessions store tg-sim's IP: a static address inside the demo subnet, advertised as such.
    let tg_sim = service(&compose, "tg-sim");
    let ip = tg_sim["networks"]["demo"]["ipv4_address"]
        .as_str()
        .expect("tg-sim has a static ipv4_address on the demo network");
    let ip: Ipv4Addr = interpolate(ip, &example).parse().expect("an IPv4 address");
    let advertised = interpolate(
        &env_value(tg_sim, "TG_SIM_ADVERTISE").expect("tg-sim gets TG_SIM_ADVERTISE"),
        &example,
    );
    assert_eq!(advertised, format!("{ip}:4430"));
    let subnet = compose["networks"]["demo"]["ipam"]["config"][0]["subnet"]
        .as_str()
        .expect("the demo network has a fixed subnet");
    let subnet = interpolate(subnet, &example);
    let (network, bits) = subnet.split_once('/').expect("CIDR");
    let network: Ipv4Addr = network.parse().unwrap();
    let mask = u32::MAX << (32 - bits.parse::<u32>().unwrap());
    assert_eq!(
        u32::from(ip) & mask,
        u32::from(network),
        "{ip} lies in {subnet}"
    );

    let script = read("docker/demo-tg-sim.sh");
    for flag in [
        "--advertise \"$TG_SIM_ADVERTISE\"",
        "--listen 0.0.0.0:4430",
        "--time-scale \"$scale\"",
        "--epoch \"$epoch\"",
        "--provision-dir",
    ] {
        assert!(script.contains(flag), "demo-tg-sim.sh passes {flag}");
    }
    assert!(script.contains("scale=${TGFLEET__CLOCK__SCALE"));
    for file in ["docker/demo-setup.sh", "docker/demo-fleet.sh"] {
        assert!(
            read(file).contains("TGFLEET__CLOCK__ORIGIN=$(cat \"$dir/epoch\")"),
            "{file} takes the clock origin from tg-sim's epoch"
        );
    }
    assert!(read("docker/demo-fleet.sh").contains("exec tgfleet run --all"));

    // One settings file for tg-sim and the fleet: the same time scale.
    for name in ["tg-sim", "demo-setup", "demo-fleet"] {
        assert_eq!(
            strings(&service(&compose, name)["env_file"]),
            ["docker/demo.env"],
            "{name} reads the demo-only settings"
        );
    }
    let scale = demo_values
        .iter()
        .find_map(|(key, value)| (key == "TGFLEET__CLOCK__SCALE").then_some(value))
        .expect("docker/demo.env sets TGFLEET__CLOCK__SCALE");
    assert!(scale.parse::<f64>().is_ok_and(|scale| scale > 0.0));
    for (key, expected) in [
        ("TGFLEET__REVIEWER__ENABLED_SCHEDULE", "true"),
        ("TGFLEET__POSTING__WINDOWS", "0-24"),
        ("TGFLEET__ACTIVITY__WINDOWS", "0-24"),
        ("TGFLEET__TELEMETRY__HEALTH_ADDRESS", "0.0.0.0"),
    ] {
        assert!(
            demo_values.contains(&(key.to_owned(), expected.to_owned())),
            "docker/demo.env: {key}={expected}"
        );
    }
    assert!(
        demo_env.contains("DEMO-ONLY") || demo_env.contains("demo-only"),
        "docker/demo.env labels its secrets demo-only"
    );

    let fleet = service(&compose, "demo-fleet");
    assert_eq!(
        dependency_condition(fleet, "demo-setup"),
        Some("service_completed_successfully")
    );
    assert_eq!(
        dependency_condition(fleet, "tg-sim"),
        Some("service_healthy")
    );
    let setup = service(&compose, "demo-setup");
    assert_eq!(
        dependency_condition(setup, "tg-sim"),
        Some("service_healthy")
    );
    assert_eq!(
        dependency_condition(setup, "demo-postgres"),
        Some("service_healthy")
    );
    let setup_script = read("docker/demo-setup.sh");
    for step in [
        "tgfleet migrate",
        "tgfleet accounts import \"$dir/sessions\"",
        "tgfleet groups import \"$dir/groups.txt\"",
        "tgfleet campaigns create demo --all",
        "tgfleet campaigns add-variant demo --text",
    ] {
        let flat = setup_script.replace("\\\n", " ");
        let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(step), "demo-setup.sh runs `{step}`");
    }
}

#[test]
fn env_example_documents_every_variable_and_only_used_ones() {
    let text = read("docker-compose.yml");
    let example_text = read(".env.example");
    let documented: BTreeSet<String> = env_file_keys(&example_text).into_iter().collect();
    let used = substituted_variables(&text);
    let undocumented: Vec<&String> = used.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "docker-compose.yml substitutes variables .env.example does not document: {undocumented:?}"
    );

    let scripts = docker_scripts();
    let unused: Vec<&String> = documented
        .iter()
        .filter(|key| {
            !used.contains(*key)
                && !scripts
                    .iter()
                    .any(|(_, script)| mentions_variable(script, key))
        })
        .collect();
    assert!(
        unused.is_empty(),
        ".env.example documents keys neither docker-compose.yml nor docker/ uses: {unused:?}"
    );

    for (key, value) in env_file_values(&example_text) {
        if SECRET_KEYS.contains(&key.as_str()) {
            assert!(
                value.is_empty(),
                ".env.example must not ship a value for {key}"
            );
        }
    }
    for key in SECRET_KEYS {
        assert!(documented.contains(key), ".env.example documents {key}");
    }
    for key in [
        "TGFLEET__TELEMETRY__LOG_FORMAT",
        "TGFLEET__SCHEDULE__TIME_ZONE",
        "RUST_LOG",
    ] {
        assert!(documented.contains(key), ".env.example documents {key}");
    }
}

#[test]
fn secrets_come_from_env_except_labelled_demo_only_values() {
    let compose = compose();
    let text = read("docker-compose.yml");
    for (name, service) in services(&compose) {
        let name = name.as_str().unwrap();
        let demo = profiles(service).contains(&"demo");
        for (key, value) in environment(service) {
            let secret = key.contains("PASSWORD")
                || key.contains("SESSION_KEY")
                || key.contains("API_HASH")
                || key == "DATABASE_URL";
            if !secret || value.contains("${") {
                continue;
            }
            assert!(demo, "{name}: {key} is hard-coded; secrets come from .env");
            let line = text
                .lines()
                .find(|line| {
                    line.trim_start().starts_with(&format!("{key}:")) && line.contains(&value)
                })
                .unwrap();
            assert!(line.contains("demo-only"), "{name}: label {key} demo-only");
        }
    }
    let gitignore = read(".gitignore");
    assert!(
        gitignore
            .lines()
            .any(|line| line == "/.env" || line == ".env"),
        ".env is git-ignored"
    );
}

#[test]
fn the_image_builds_every_binary_compose_runs() {
    let compose = compose();
    let dockerfile = read("Dockerfile");

    // The workspace's binaries really are called that.
    for binary in BINARIES {
        let declared = std::fs::read_dir(root().join("crates"))
            .unwrap()
            .map(|entry| entry.unwrap().path().join("Cargo.toml"))
            .filter_map(|manifest| std::fs::read_to_string(manifest).ok())
            .any(|manifest| manifest.contains(&format!("name = \"{binary}\"")));
        assert!(declared, "no crate builds a binary `{binary}`");
    }

    // What compose runs: binaries directly, or scripts of docker/ that run binaries.
    let mut referenced = BTreeSet::new();
    let scripts = docker_scripts();
    for (name, service) in services(&compose) {
        let name = name.as_str().unwrap();
        let image = service["image"].as_str().unwrap_or_default();
        if image.starts_with("postgres:") {
            continue;
        }
        assert_eq!(image, "tgfleet:local", "{name} runs the tgfleet image");
        assert!(service["build"].as_str() == Some("."), "{name} builds it");
        let words = [
            strings(&service["entrypoint"]),
            strings(&service["command"]),
        ]
        .concat();
        for word in words {
            if let Some(script) = word.strip_prefix(SCRIPT_DIR) {
                let text = &scripts
                    .iter()
                    .find(|(file, _)| file == script)
                    .unwrap_or_else(|| panic!("{name}: docker/{script} does not exist"))
                    .1;
                assert!(
                    dockerfile.contains(&format!("docker/{script}")),
                    "the Dockerfile installs docker/{script}"
                );
                for binary in BINARIES {
                    if text.lines().any(|line| {
                        let line = line.trim_start();
                        line.starts_with(&format!("{binary} "))
                            || line.starts_with(&format!("exec {binary} "))
                            || line.contains(&format!("|| {binary} "))
                    }) {
                        referenced.insert(binary);
                    }
                }
            } else if let Some(binary) = BINARIES.iter().find(|binary| **binary == word) {
                referenced.insert(*binary);
            }
        }
    }
    assert_eq!(
        referenced,
        BINARIES.into_iter().collect(),
        "compose should run every binary (directly or through docker/)"
    );

    let build_line = dockerfile
        .lines()
        .find(|line| line.contains("cargo build"))
        .expect("the Dockerfile runs cargo build");
    for flag in ["--release", "--locked", "--bins"] {
        assert!(build_line.contains(flag), "cargo build {flag}");
    }
    for binary in &referenced {
        assert!(
            dockerfile
                .lines()
                .any(|line| line.contains(" cp ") && line.split_whitespace().any(|w| w == *binary)),
            "the builder stage copies {binary} out"
        );
        assert!(
            dockerfile.contains(&format!("/out/{binary} ")),
            "the runtime stage installs {binary}"
        );
    }
    assert!(
        dockerfile.contains("/usr/local/bin/"),
        "binaries go to /usr/local/bin"
    );

    // The builder's Rust is the workspace's rust-version.
    let manifest = read("Cargo.toml");
    let rust_version = manifest
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("workspace rust-version");
    assert!(
        dockerfile.contains(&format!("FROM rust:{rust_version}-bookworm AS builder")),
        "the builder uses rust:{rust_version}"
    );
    assert!(dockerfile.contains("FROM debian:bookworm-slim"));
    let user = dockerfile
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("USER "))
        .expect("the image runs as a named user");
    assert!(!user.starts_with("root") && !user.starts_with('0'));

    // Compile-time inputs: sqlx::migrate! embeds migrations/, include_str! the defaults.
    for input in ["migrations", "tgfleet.example.toml", "crates", "Cargo.lock"] {
        assert!(
            dockerfile.contains(&format!("COPY {input}"))
                || dockerfile.contains(&format!(" {input} ")),
            "the builder copies {input}"
        );
    }
    let ignored: Vec<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.trim_end_matches('/').to_owned())
        .collect();
    for excluded in ["target", ".git", ".env", "sessions/*"] {
        assert!(
            ignored.iter().any(|line| line == excluded),
            ".dockerignore excludes {excluded}"
        );
    }
    for needed in [
        "migrations",
        "tgfleet.example.toml",
        "crates",
        "tests",
        "xtask",
    ] {
        assert!(
            !ignored.iter().any(|line| line == needed),
            ".dockerignore must keep {needed}"
        );
    }
}

#[test]
fn the_helpers_read_what_compose_writes() {
    let vars = substituted_variables("a: ${A:-x} b: $B c: $${NOT} d: ${D:?need} e: ${E}");
    assert_eq!(
        vars,
        ["A", "B", "D", "E"]
            .map(str::to_owned)
            .into_iter()
            .collect()
    );
    let values = vec![
        ("A".to_owned(), "1".to_owned()),
        ("B".to_owned(), String::new()),
    ];
    assert_eq!(interpolate("${A:-9}/${B:-2}/${C}", &values), "1/2/");
    assert_eq!(
        env_file_keys("# comment\nA=1\n# B=2\nlower=3\nC_D=\n"),
        ["A", "B", "C_D"]
    );
    assert!(mentions_variable("x ${RUST_LOG:-} y", "RUST_LOG"));
    assert!(!mentions_variable("RUST_LOGS", "RUST_LOG"));
}

#[test]
fn the_console_serves_on_loopback_and_shares_uploads_with_the_marketer() {
    let compose = compose();
    let console = service(&compose, "console");
    assert_eq!(strings(&console["command"]), ["tgfleet", "console"]);
    assert!(profiles(console).is_empty(), "`up` starts the console");
    assert_eq!(
        env_value(console, "TGFLEET__CONSOLE__LISTEN").as_deref(),
        Some("0.0.0.0:9170")
    );
    let published = strings(&console["ports"]);
    assert!(
        published
            .iter()
            .any(|spec| spec.starts_with("127.0.0.1:") && spec.ends_with(":9170")),
        "{published:?}"
    );
    let check = strings(&console["healthcheck"]["test"]).join(" ");
    assert!(check.contains("http://127.0.0.1:9170/health"), "{check}");
    assert_eq!(
        dependency_condition(console, "migrate"),
        Some("service_completed_successfully")
    );
    let media = env_value(console, "TGFLEET__CONSOLE__MEDIA_DIR").unwrap();
    assert!(strings(&console["volumes"]).contains(&format!("media:{media}").as_str()));
    assert!(
        strings(&service(&compose, "marketer")["volumes"])
            .contains(&format!("media:{media}:ro").as_str()),
        "the marketer reads the console's uploads at the same path"
    );
}
