//! One-off sends and connectivity checks through the API on a real Postgres: the
//! write scope, the required `Idempotency-Key` (a repeat answers the first request
//! and writes nothing; the same key with another request is refused naming it), bad
//! payloads that name the field and write nothing, the default account, and checks
//! refused with the reason when they cannot be done safely.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Utc;
use support::{Answer, TestApp};
use tgfleet_store::{Beat, TokenScope};

async fn fixtures(app: &TestApp) {
    tgfleet_store::fixtures::seed_post_history(&app.store)
        .await
        .unwrap();
}

/// `POST /api/v1/messages` with a bearer token, an optional key and a JSON body.
async fn send(app: &TestApp, token: &str, key: Option<&str>, json: &str) -> Answer {
    let mut builder = Request::post("/api/v1/messages")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        builder = builder.header("Idempotency-Key", key);
    }
    app.send(builder.body(Body::from(json.to_owned())).unwrap())
        .await
}

async fn nothing_written(app: &TestApp) {
    assert!(app.store.message_requests(10).await.unwrap().is_empty());
    assert!(app.store.recent_audit(10).await.unwrap().is_empty());
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_send_needs_the_write_scope_and_an_idempotency_key(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    fixtures(&app).await;
    let read = app.token(TokenScope::Read).await;
    let write = app.token(TokenScope::Write).await;
    let body = r#"{"chat": "@fixture_one", "text": "Hello"}"#;

    let refused = send(&app, &read, Some("k-1"), body).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let keyless = send(&app, &write, None, body).await;
    assert_eq!(keyless.status, StatusCode::BAD_REQUEST, "{}", keyless.body);
    assert_eq!(keyless.json()["field"], "Idempotency-Key");
    let spaced = send(&app, &write, Some("a key with spaces"), body).await;
    assert_eq!(spaced.status, StatusCode::BAD_REQUEST, "{}", spaced.body);
    assert_eq!(spaced.json()["field"], "Idempotency-Key");
    nothing_written(&app).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn bad_payloads_name_the_field_and_write_nothing(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    fixtures(&app).await;
    let write = app.token(TokenScope::Write).await;
    let cases = [
        (r#"{"text": "Hello"}"#, "chat"),
        (r#"{"chat": "@no_such_group", "text": "Hello"}"#, "chat"),
        (r#"{"chat": "not a handle!", "text": "Hello"}"#, "chat"),
        (r#"{"chat": 999999, "text": "Hello"}"#, "chat"),
        (r#"{"chat": ["@fixture_one"], "text": "Hello"}"#, "chat"),
        (r#"{"chat": "@fixture_one", "text": ""}"#, "text"),
        (r#"{"chat": "@fixture_one"}"#, "text"),
        (
            r#"{"chat": "@fixture_one", "kind": "forward", "text": ""}"#,
            "source",
        ),
        (
            r#"{"chat": "@fixture_one", "kind": "video", "text": "x"}"#,
            "kind",
        ),
        (
            r#"{"chat": "@fixture_one", "kind": "photo", "text": "x"}"#,
            "media_base64",
        ),
        (
            r#"{"chat": "@fixture_one", "kind": "photo", "media_base64": "%%%", "file_name": "a.jpg"}"#,
            "media_base64",
        ),
        (
            r#"{"chat": "@fixture_one", "text": "Hi", "format": "bbcode"}"#,
            "format",
        ),
        (
            r#"{"chat": "@fixture_one", "text": "Hi", "account": "nobody"}"#,
            "account",
        ),
        (
            r#"{"chat": "@fixture_one", "text": "Hi", "account": ""}"#,
            "account",
        ),
        (r#"{"chat": "@fixture_new", "text": "Hi"}"#, "account"),
        (
            r#"{"chat": "@fixture_one", "text": "Hi", "colour": "red"}"#,
            "colour",
        ),
    ];
    for (body, field) in cases {
        let answer = send(&app, &write, Some("bad-1"), body).await;
        assert!(answer.status.is_client_error(), "{body}: {}", answer.body);
        assert_eq!(answer.json()["field"], field, "{body}: {}", answer.body);
    }
    nothing_written(&app).await;
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_repeated_key_answers_the_first_send_and_another_request_is_refused(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    fixtures(&app).await;
    let write = app.token(TokenScope::Write).await;
    let read = app.token(TokenScope::Read).await;
    let body = r#"{"chat": "@fixture_one", "text": "Your order shipped"}"#;

    let first = send(&app, &write, Some("order-42"), body).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.body);
    let first = first.json();
    assert_eq!(first["state"], "pending");
    assert_eq!(first["account"], "alpha", "the group's responsible account");
    assert_eq!(first["chat"], "@fixture_one");
    assert_eq!(first["kind"], "text");
    let id = first["id"].as_i64().unwrap();

    let again = send(&app, &write, Some("order-42"), body).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.json()["id"], id);
    // The group by id names the same request.
    let by_id = send(
        &app,
        &write,
        Some("order-42"),
        &format!(
            r#"{{"chat": {}, "text": "Your order shipped"}}"#,
            first["group_id"]
        ),
    )
    .await;
    assert_eq!(by_id.status, StatusCode::OK, "{}", by_id.body);
    assert_eq!(by_id.json()["id"], id);

    let other = send(
        &app,
        &write,
        Some("order-42"),
        r#"{"chat": "@fixture_one", "text": "Another text"}"#,
    )
    .await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.body);
    assert_eq!(other.json()["field"], "Idempotency-Key");
    let as_beta = send(
        &app,
        &write,
        Some("order-42"),
        r#"{"chat": "@fixture_one", "text": "Your order shipped", "account": "beta"}"#,
    )
    .await;
    assert_eq!(as_beta.status, StatusCode::CONFLICT, "{}", as_beta.body);

    assert_eq!(app.store.message_requests(10).await.unwrap().len(), 1);
    let audit = app.store.recent_audit(10).await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].action, "message.send");

    let shown = app
        .api(Method::GET, &format!("/api/v1/messages/{id}"), &read, None)
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert_eq!(shown.json()["idempotency_key"], "order-42");
    assert_eq!(shown.json()["state"], "pending");
    let listed = app.api(Method::GET, "/api/v1/messages", &read, None).await;
    assert_eq!(listed.json().as_array().unwrap().len(), 1);
    let missing = app
        .api(Method::GET, "/api/v1/messages/9999", &read, None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let bad = app
        .api(Method::GET, "/api/v1/messages/abc", &read, None)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "id");

    // Another key is another send, here as a named account with a photo.
    let photo = send(
        &app,
        &write,
        Some("order-43"),
        r#"{"chat": "@fixture_two", "account": "beta", "kind": "photo", "text": "The receipt", "media_base64": "/9j/4AAQ", "file_name": "receipt.jpg"}"#,
    )
    .await;
    assert_eq!(photo.status, StatusCode::ACCEPTED, "{}", photo.body);
    assert_eq!(photo.json()["account"], "beta");
    assert_ne!(photo.json()["id"], id);
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_check_is_asked_of_a_running_marketer_or_refused_with_the_reason(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    fixtures(&app).await;
    let write = app.token(TokenScope::Write).await;
    let read = app.token(TokenScope::Read).await;
    let check = |token: &str, label: &str| {
        let token = token.to_owned();
        let path = format!("/api/v1/accounts/{label}/check");
        let app = &app;
        async move { app.api(Method::POST, &path, &token, None).await }
    };

    assert_eq!(check(&read, "alpha").await.status, StatusCode::FORBIDDEN);
    assert_eq!(check(&write, "nobody").await.status, StatusCode::NOT_FOUND);
    let suspended = check(&write, "gamma").await;
    assert_eq!(suspended.status, StatusCode::CONFLICT, "{}", suspended.body);
    assert!(
        suspended.json()["error"]
            .as_str()
            .unwrap()
            .contains("suspended")
    );
    let unattended = check(&write, "alpha").await;
    assert_eq!(
        unattended.status,
        StatusCode::CONFLICT,
        "{}",
        unattended.body
    );
    assert!(
        unattended.json()["error"]
            .as_str()
            .unwrap()
            .contains("no marketer is running")
    );
    assert!(app.store.account_checks(None, 10).await.unwrap().is_empty());

    let now = Utc::now();
    app.store
        .record_beat(
            &Beat {
                service: "marketer",
                holder: "marketer@test:1",
                version: "test",
                host: "test",
                started_at: now,
            },
            now,
        )
        .await
        .unwrap();
    let asked = check(&write, "alpha").await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
    assert_eq!(asked.json()["state"], "waiting");
    let listed = app
        .api(Method::GET, "/api/v1/accounts/alpha/checks", &read, None)
        .await
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["account"], "alpha");
    let audit = app.store.recent_audit(10).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "account.check");

    // The diagnostics page shows it and asks for another through its form.
    app.operator().await;
    let session = app.login().await;
    let page = app
        .browse(Method::GET, "/diagnostics", &session, None)
        .await;
    assert!(page.body.contains("id=\"checks\""), "{}", page.body);
    assert!(page.body.contains("waiting"));
    let form = app
        .send(
            Request::post("/diagnostics/check")
                .header(header::COOKIE, &session.cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("csrf={}&label=beta", session.csrf)))
                .unwrap(),
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.body);
    assert_eq!(app.store.account_checks(None, 10).await.unwrap().len(), 2);
}
