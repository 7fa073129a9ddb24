//! The TOML scenario format: the example loads, scenarios round-trip, and bad
//! scenarios fail with errors naming the field.

mod common;

use tg_world::{
    ChannelKind, GeneratorSpec, GroupMix, Right, Scenario, ScenarioError, VanishKind, World,
    generate,
};

fn example_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/small.toml")
}

#[test]
fn the_example_scenario_loads() {
    let scenario = Scenario::load(example_path()).unwrap();
    assert_eq!(scenario.seed, 42);
    assert_eq!(scenario.accounts.len(), 5);
    assert_eq!(scenario.groups.len(), 11);
    assert!(scenario.accounts[1].password.is_some());
    assert!(scenario.accounts[2].revoked);
    assert!(scenario.accounts[3].signed_out && scenario.accounts[3].password.is_some());
    assert!(scenario.accounts[4].signed_out && !scenario.accounts[0].signed_out);
    assert_eq!(scenario.groups[1].kind, ChannelKind::Broadcast);
    assert_eq!(
        scenario.groups[5].default_banned,
        vec![Right::SendPlain, Right::EmbedLinks]
    );
    assert_eq!(
        scenario.groups[10].vanish.map(|v| v.how),
        Some(VanishKind::BecamePrivate)
    );
    assert_eq!(scenario.limits.join.calls, 20);
    assert_eq!(
        scenario.limits.send.calls, 20,
        "omitted limits keep defaults"
    );
    let world = World::new(&scenario).unwrap();
    assert_eq!(world.size(), (5, 11));
}

#[test]
fn scenarios_round_trip_through_toml() {
    let example = Scenario::load(example_path()).unwrap();
    let text = example.to_toml_string().unwrap();
    assert_eq!(Scenario::from_toml_str(&text).unwrap(), example);

    let mut spec = GeneratorSpec::new(9, 4, GroupMix::typical(150));
    spec.with_stories = 20;
    spec.accounts.two_factor = 1;
    spec.accounts.revoked = 1;
    spec.approve_after_secs = Some(600);
    let generated = generate(&spec).unwrap().scenario;
    let text = generated.to_toml_string().unwrap();
    assert_eq!(Scenario::from_toml_str(&text).unwrap(), generated);
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let example = Scenario::load(example_path()).unwrap();
    let debug = format!("{example:?}");
    assert!(!debug.contains("correct horse"));
    assert!(!debug.contains("24680"));
    assert!(!debug.contains("6281200000001"));
    assert!(debug.contains("+62*********01"));
}

fn error_of(text: &str) -> String {
    match Scenario::from_toml_str(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(error) => error.to_string(),
    }
}

const ONE_ACCOUNT: &str = "[[accounts]]\nlabel = \"a\"\nphone = \"+6281200000001\"\n";

#[test]
fn type_errors_name_the_field_and_line() {
    let error = error_of(&format!(
        "{ONE_ACCOUNT}\n[[groups]]\nusername = \"good_name\"\n\n[[groups]]\nusername = \"other_name\"\nslow_mode_secs = \"soon\"\n"
    ));
    assert!(error.contains("groups[1].slow_mode_secs"), "{error}");
    assert!(error.contains("line 10"), "{error}");

    let error = error_of(&format!(
        "{ONE_ACCOUNT}\n[[groups]]\nusername = \"good_name\"\nkind = \"forum\"\n"
    ));
    assert!(error.contains("groups[0].kind"), "{error}");
    assert!(error.contains("forum"), "{error}");

    let error = error_of(&format!(
        "{ONE_ACCOUNT}\n[[groups]]\nusername = \"good_name\"\nslowmode = 60\n"
    ));
    assert!(error.contains("slowmode"), "{error}");
    assert!(error.contains("groups[0]"), "{error}");

    let error = error_of("[[accounts]]\nphone = \"+6281200000001\"\n");
    assert!(
        error.contains("accounts[0]") && error.contains("label"),
        "{error}"
    );

    let error = error_of("[limits.join]\ncalls = 5\n");
    assert!(
        error.contains("limits.join") && error.contains("per_secs"),
        "{error}"
    );

    let error = error_of("seed = 1\n[[accounts]\n");
    assert!(error.contains("line 2"), "{error}");
}

#[test]
fn invalid_values_name_the_field() {
    let cases = [
        (
            "\n[[groups]]\nusername = \"good_name\"\nslow_mode_secs = 45\n",
            "groups[0].slow_mode_secs",
        ),
        (
            "\n[[groups]]\nusername = \"good_name\"\nban_probability = 1.5\n",
            "groups[0].ban_probability",
        ),
        ("\n[[groups]]\nusername = \"bad\"\n", "groups[0].username"),
        ("\n[[groups]]\ntitle = \"No handle\"\n", "groups[0]"),
        (
            "\n[[groups]]\nusername = \"good_name\"\nbanned = [\"nobody\"]\n",
            "groups[0].banned[0]",
        ),
        (
            "\n[[groups]]\nusername = \"good_name\"\n[[groups]]\nusername = \"Good_Name\"\n",
            "groups[1].username",
        ),
        ("\n[[groups]]\ninvite = \"has space\"\n", "groups[0].invite"),
        (
            "\n[[groups]]\nusername = \"good_name\"\ninvite_expires_at = \"2026-01-01T00:00:00Z\"\n",
            "groups[0].invite_expires_at",
        ),
        (
            "\n[[accounts]]\nlabel = \"a\"\nphone = \"+6281200000009\"\n",
            "accounts[1].label",
        ),
        (
            "\n[[accounts]]\nlabel = \"b\"\nphone = \"+62 812 0000 0001\"\n",
            "accounts[1].phone",
        ),
        (
            "\n[[accounts]]\nlabel = \"b\"\nphone = \"+6281200000002\"\ncode = \"abc\"\n",
            "accounts[1].code",
        ),
        (
            "\n[limits.send]\ncalls = 0\nper_secs = 60\n",
            "limits.send.calls",
        ),
        (
            "\n[limits.flood]\ngrowth_factor = 0.5\n",
            "limits.flood.growth_factor",
        ),
    ];
    for (tail, field) in cases {
        let text = format!("{ONE_ACCOUNT}{tail}");
        let error = Scenario::from_toml_str(&text).unwrap_err();
        assert!(
            matches!(&error, ScenarioError::Invalid { field: f, .. } if f == field),
            "expected {field}, got {error} for:\n{text}"
        );
        assert!(error.to_string().contains(field));
    }
}

#[test]
fn a_missing_file_names_the_path() {
    let error = Scenario::load("/nonexistent/world.toml").unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/world.toml"),
        "{error}"
    );
}
