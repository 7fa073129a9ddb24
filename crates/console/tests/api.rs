//! The HTTP API on a real Postgres (a fresh database per test): authentication, scopes,
//! CSRF, every endpoint, bad payloads that name the field and write nothing, the
//! audit trail, and secrets that never appear in an answer.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use chrono::Utc;
use support::{API_HASH, DB_PASSWORD, PASSWORD, TestApp};
use tgfleet_console::api::ROUTES;
use tgfleet_store::{NewAccount, NewEvent, TokenScope};

/// A concrete path for a route template.
fn concrete(path: &str) -> String {
    path.replace("{label}", "alpha").replace("{id}", "1")
}

async fn fixtures(app: &TestApp) {
    tgfleet_store::fixtures::seed_post_history(&app.store)
        .await
        .unwrap();
}

#[sqlx::test(migrations = "../../migrations")]
async fn only_health_answers_without_credentials(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    fixtures(&app).await;
    let health = app
        .send(Request::get("/health").body(Body::empty()).unwrap())
        .await;
    assert_eq!(health.status, StatusCode::OK);
    for (method, path, _) in ROUTES {
        let method: Method = method.to_uppercase().parse().unwrap();
        let answer = app
            .send(
                Request::builder()
                    .method(method.clone())
                    .uri(concrete(path))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            answer.body
        );
        let bad = app
            .api(method.clone(), &concrete(path), "tgf_not-a-token", None)
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a bad token"
        );
    }
    for page in [
        "/",
        "/accounts",
        "/accounts/alpha",
        "/groups",
        "/groups/1",
        "/campaigns",
        "/campaigns/1",
        "/events",
        "/reviews",
        "/diagnostics",
    ] {
        let answer = app
            .send(Request::get(page).body(Body::empty()).unwrap())
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(answer.headers[header::LOCATION], "/login", "{page}");
    }
    assert!(app.store.recent_audit(10).await.unwrap().is_empty());
}

#[sqlx::test(migrations = "../../migrations")]
async fn a_read_token_reads_everything_and_writes_nothing(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    fixtures(&app).await;
    tgfleet_store::fixtures::seed_message_request(&app.store)
        .await
        .unwrap();
    let read = app.token(TokenScope::Read).await;
    for (method, path, _) in ROUTES {
        if path.ends_with("/stream") {
            continue;
        }
        let answer = app
            .api(
                method.to_uppercase().parse().unwrap(),
                &concrete(path),
                &read,
                Some("{}"),
            )
            .await;
        if *method == "get" {
            assert_eq!(answer.status, StatusCode::OK, "GET {path}: {}", answer.body);
        } else {
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "POST {path}: {}",
                answer.body
            );
            assert!(
                answer.json()["error"]
                    .as_str()
                    .unwrap()
                    .contains("read scope")
            );
        }
    }
    assert!(
        app.store.recent_audit(10).await.unwrap().is_empty(),
        "a refused write left an audit row"
    );
    assert_eq!(
        app.store
            .account_by_label("alpha")
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "active"
    );
    assert!(app.store.review_requests(10).await.unwrap().is_empty());
}

#[sqlx::test(migrations = "../../migrations")]
async fn accounts_list_detail_suspend_and_resume_are_audited(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    fixtures(&app).await;
    let now = Utc::now();
    app.store
        .record_event(&NewEvent {
            at: now,
            service: "marketer".into(),
            account_id: Some(
                app.store
                    .account_by_label("alpha")
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
            ),
            group_id: None,
            action: "post".into(),
            outcome: "flood_wait".into(),
            flood_wait_secs: Some(42),
            detail: Some("FLOOD_WAIT_42".into()),
        })
        .await
        .unwrap();
    let write = app.token(TokenScope::Write).await;
    let list = app
        .api(Method::GET, "/api/v1/accounts", &write, None)
        .await
        .json();
    let labels: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["alpha", "beta", "gamma"]);
    let beta = &list[1];
    assert_eq!(beta["status"], "active");
    assert_eq!(beta["posts_today"], 1, "{beta}");
    assert_eq!(list[0]["flood_waits_today"], 1);
    assert_eq!(list[2]["status"], "suspended");

    let detail = app
        .api(Method::GET, "/api/v1/accounts/alpha", &write, None)
        .await
        .json();
    assert_eq!(detail["events"][0]["detail"], "FLOOD_WAIT_42");
    let missing = app
        .api(Method::GET, "/api/v1/accounts/nobody", &write, None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let long = format!(r#"{{"reason": "{}"}}"#, "x".repeat(201));
    let refused = app
        .api(
            Method::POST,
            "/api/v1/accounts/alpha/suspend",
            &write,
            Some(&long),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.json()["field"], "reason");
    let unknown = app
        .api(
            Method::POST,
            "/api/v1/accounts/alpha/suspend",
            &write,
            Some(r#"{"why": 1}"#),
        )
        .await;
    assert_eq!(unknown.json()["field"], "why");
    assert_eq!(
        app.store
            .account_by_label("alpha")
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "active"
    );

    let done = app
        .api(
            Method::POST,
            "/api/v1/accounts/alpha/suspend",
            &write,
            Some(r#"{"reason": "maintenance"}"#),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.json()["to"], "suspended");
    let account = app.store.account_by_label("alpha").await.unwrap().unwrap();
    assert_eq!(account.status.as_str(), "suspended");
    assert_eq!(account.status_reason.as_deref(), Some("maintenance"));
    let resumed = app
        .api(Method::POST, "/api/v1/accounts/alpha/resume", &write, None)
        .await;
    assert_eq!(resumed.json()["to"], "active");
    let again = app
        .api(Method::POST, "/api/v1/accounts/alpha/resume", &write, None)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    let audit = app.store.recent_audit(10).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(actions, ["account.resume", "account.suspend"]);
    assert_eq!(audit[1].actor, "token:test-write");
    assert_eq!(audit[1].target.as_deref(), Some("alpha"));
    assert_eq!(audit[1].source_addr, "127.0.0.1:40000");
}

#[sqlx::test(migrations = "../../migrations")]
async fn session_writes_need_the_csrf_token(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    fixtures(&app).await;
    app.operator().await;
    let session = app.login().await;
    let none = app
        .browse(
            Method::POST,
            "/api/v1/accounts/alpha/suspend",
            &session,
            None,
        )
        .await;
    assert_eq!(none.status, StatusCode::FORBIDDEN, "{}", none.body);
    let wrong = app
        .browse(
            Method::POST,
            "/api/v1/accounts/alpha/suspend",
            &session,
            Some("forged"),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let form_without = app
        .send(
            Request::post("/accounts/alpha/suspend")
                .header(header::COOKIE, &session.cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("reason=x"))
                .unwrap(),
        )
        .await;
    assert_eq!(form_without.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.store
            .account_by_label("alpha")
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "active"
    );
    let form = app
        .send(
            Request::post("/accounts/alpha/suspend")
                .header(header::COOKIE, &session.cookie)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("reason=by+form&csrf={}", session.csrf)))
                .unwrap(),
        )
        .await;
    assert_eq!(form.status, StatusCode::SEE_OTHER, "{}", form.body);
    assert_eq!(
        app.store
            .account_by_label("alpha")
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "suspended"
    );
    let api = app
        .browse(
            Method::POST,
            "/api/v1/accounts/alpha/resume",
            &session,
            Some(&session.csrf),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let audit = app.store.recent_audit(10).await.unwrap();
    assert_eq!(audit[0].actor, "operator:ops");
}

#[sqlx::test(migrations = "../../migrations")]
async fn logins_refuse_wrong_passwords_and_forged_forms_and_are_rate_limited(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    app.operator().await;
    let form = app
        .send(Request::get("/login").body(Body::empty()).unwrap())
        .await;
    let cookie = form.cookie("tgfleet_login").unwrap();
    let csrf = support::hidden_csrf(&form.body).unwrap();
    let post = |body: String, cookie: Option<String>| {
        let mut builder = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            builder = builder.header(header::COOKIE, format!("tgfleet_login={cookie}"));
        }
        builder.body(Body::from(body)).unwrap()
    };
    let forged = app
        .send(post(
            format!("name=ops&password={PASSWORD}"),
            Some(cookie.clone()),
        ))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.cookie("tgfleet_session").is_none());
    let no_cookie = app
        .send(post(format!("csrf={csrf}&name=ops&password=x"), None))
        .await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    for attempt in 0..5 {
        let wrong = app
            .send(post(
                format!("csrf={csrf}&name=ops&password=wrong-{attempt}"),
                Some(cookie.clone()),
            ))
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert!(wrong.body.contains("Wrong name or password"));
        assert!(wrong.cookie("tgfleet_session").is_none());
    }
    let limited = app
        .send(post(
            format!(
                "csrf={csrf}&name=ops&password={}",
                PASSWORD.replace(' ', "+")
            ),
            Some(cookie),
        ))
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.cookie("tgfleet_session").is_none());
}

#[sqlx::test(migrations = "../../migrations")]
async fn session_cookies_are_http_only_and_strict(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    app.operator().await;
    let form = app
        .send(Request::get("/login").body(Body::empty()).unwrap())
        .await;
    let cookie = form.cookie("tgfleet_login").unwrap();
    let csrf = support::hidden_csrf(&form.body).unwrap();
    let answer = app
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("tgfleet_login={cookie}"))
                .body(Body::from(format!(
                    "csrf={csrf}&name=ops&password={}",
                    PASSWORD.replace(' ', "+")
                )))
                .unwrap(),
        )
        .await;
    let set: Vec<&str> = answer
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let session = set
        .iter()
        .find(|value| value.starts_with("tgfleet_session="))
        .unwrap();
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    assert!(
        answer
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .is_some()
    );
    assert_eq!(answer.headers[header::X_FRAME_OPTIONS], "DENY");
}

#[sqlx::test(migrations = "../../migrations")]
async fn groups_import_with_the_cli_rules_and_search(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    let write = app.token(TokenScope::Write).await;
    let bad = app
        .api(
            Method::POST,
            "/api/v1/groups/import",
            &write,
            Some(r#"{"text": "@good_group\nab\nhttps://example.com/x\n"}"#),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = bad.json();
    assert_eq!(error["field"], "text");
    let message = error["error"].as_str().unwrap();
    assert!(
        message.contains("line 2") && message.contains("line 3") && !message.contains("line 1:"),
        "{message}"
    );
    let bad_tag = app
        .api(
            Method::POST,
            "/api/v1/groups/import",
            &write,
            Some(r#"{"text": "@good_group", "tags": ["ok", "no spaces!"]}"#),
        )
        .await;
    assert_eq!(bad_tag.json()["field"], "tags[1]");
    let not_text = app
        .api(
            Method::POST,
            "/api/v1/groups/import",
            &write,
            Some(r#"{"text": 5}"#),
        )
        .await;
    assert_eq!(not_text.json()["field"], "text");
    let missing = app
        .api(Method::POST, "/api/v1/groups/import", &write, Some("{}"))
        .await;
    assert_eq!(missing.json()["field"], "text");
    let empty = app
        .api(
            Method::POST,
            "/api/v1/groups/import",
            &write,
            Some(r##"{"text": "# nothing\n"}"##),
        )
        .await;
    assert_eq!(empty.json()["field"], "text");
    assert_eq!(
        app.store.count_groups(&Default::default()).await.unwrap(),
        0
    );

    let done = app
        .api(
            Method::POST,
            "/api/v1/groups/import",
            &write,
            Some(r##"{"text": "@Bali_Chat\nt.me/canggu_news # big\nhttps://t.me/+AbC-d_12\n@bali_chat\n", "tags": ["Bali"]}"##),
        )
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
    let report = done.json();
    assert_eq!(
        (report["read"].as_u64(), report["inserted"].as_u64()),
        (Some(4), Some(3))
    );

    let all = app
        .api(Method::GET, "/api/v1/groups", &write, None)
        .await
        .json();
    assert_eq!(all["total"], 3);
    let found = app
        .api(
            Method::GET,
            "/api/v1/groups?q=CANGGU&status=new&tag=bali",
            &write,
            None,
        )
        .await
        .json();
    assert_eq!(found["total"], 1);
    assert_eq!(found["groups"][0]["handle"], "canggu_news");
    let paged = app
        .api(Method::GET, "/api/v1/groups?limit=1&offset=1", &write, None)
        .await
        .json();
    assert_eq!(paged["groups"].as_array().unwrap().len(), 1);
    for (query, field) in [
        ("status=open", "status"),
        ("limit=0", "limit"),
        ("limit=9999", "limit"),
        ("can_post=maybe", "can_post"),
        ("offset=-1", "offset"),
    ] {
        let answer = app
            .api(
                Method::GET,
                &format!("/api/v1/groups?{query}"),
                &write,
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(answer.json()["field"], field, "{query}");
    }
    let id = found["groups"][0]["id"].as_i64().unwrap();
    let detail = app
        .api(Method::GET, &format!("/api/v1/groups/{id}"), &write, None)
        .await
        .json();
    assert_eq!(detail["group"]["tags"][0], "bali");
    assert_eq!(
        app.api(Method::GET, "/api/v1/groups/999999", &write, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(Method::GET, "/api/v1/groups/x", &write, None)
            .await
            .json()["field"],
        "id"
    );
    assert_eq!(app.store.recent_audit(10).await.unwrap().len(), 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn campaigns_create_variants_pause_resume_and_progress(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    fixtures(&app).await;
    let write = app.token(TokenScope::Write).await;
    let post = |path: &'static str, body: &'static str| {
        let app = &app;
        let write = write.clone();
        async move { app.api(Method::POST, path, &write, Some(body)).await }
    };
    for (body, field) in [
        (r#"{"all": true}"#, "name"),
        (r#"{"name": "", "all": true}"#, "name"),
        (r#"{"name": "x"}"#, "tags"),
        (r#"{"name": "x", "all": true, "tags": ["a"]}"#, "tags"),
        (r#"{"name": "x", "tags": ["bad tag!"]}"#, "tags[0]"),
        (
            r#"{"name": "x", "all": true, "interval": "soon"}"#,
            "interval",
        ),
        (
            r#"{"name": "x", "all": true, "starts_at": "tomorrow"}"#,
            "starts_at",
        ),
        (
            r#"{"name": "x", "all": true, "starts_at": "2026-01-02T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z"}"#,
            "ends_at",
        ),
        (r#"{"name": "x", "all": "yes"}"#, "all"),
        (r#"{"name": "x", "all": true, "colour": "red"}"#, "colour"),
    ] {
        let answer = post("/api/v1/campaigns", body).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            answer.body
        );
        assert_eq!(answer.json()["field"], field, "{body}");
    }
    let not_json = app
        .send(
            Request::post("/api/v1/campaigns")
                .header(header::AUTHORIZATION, format!("Bearer {write}"))
                .body(Body::from("name=x"))
                .unwrap(),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        app.store.list_campaigns().await.unwrap().len(),
        1,
        "a refused payload created a campaign"
    );

    let created = post(
        "/api/v1/campaigns",
        r#"{"name": "Spring sale", "tags": ["bali"], "interval": "12h"}"#,
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let campaign = created.json();
    assert_eq!(campaign["interval"], "12h");
    let id = campaign["id"].as_i64().unwrap();
    let taken = post(
        "/api/v1/campaigns",
        r#"{"name": "Spring sale", "all": true}"#,
    )
    .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);

    let variants = format!("/api/v1/campaigns/{id}/variants");
    for (body, field) in [
        (r#"{"kind": "video", "text": "x"}"#, "kind"),
        (r#"{"kind": "text", "text": "  "}"#, "text"),
        (
            r#"{"kind": "text", "text": "x", "format": "rtf"}"#,
            "format",
        ),
        (r#"{"kind": "photo", "file_name": "a.jpg"}"#, "media_base64"),
        (
            r#"{"kind": "photo", "media_base64": "***", "file_name": "a.jpg"}"#,
            "media_base64",
        ),
        (r#"{"kind": "photo", "media_base64": "aGk="}"#, "file_name"),
        (r#"{"kind": "forward", "source": "not a post"}"#, "source"),
        (r#"{"kind": "copy"}"#, "source"),
        (
            r#"{"kind": "forward", "source": "@chan/5", "text": "x"}"#,
            "text",
        ),
    ] {
        let answer = app.api(Method::POST, &variants, &write, Some(body)).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            answer.body
        );
        assert_eq!(answer.json()["field"], field, "{body}");
    }
    let long = format!(r#"{{"kind": "text", "text": "{}"}}"#, "a".repeat(4097));
    assert_eq!(
        app.api(Method::POST, &variants, &write, Some(&long))
            .await
            .json()["field"],
        "text"
    );
    let text = app
        .api(
            Method::POST,
            &variants,
            &write,
            Some(r#"{"kind": "text", "text": "See https://example.com", "format": "plain"}"#),
        )
        .await;
    assert_eq!(text.status, StatusCode::CREATED, "{}", text.body);
    assert_eq!(text.json()["has_link"], true);
    let photo = app
        .api(Method::POST, &variants, &write, Some(r#"{"kind": "photo", "media_base64": "aGVsbG8gcGhvdG8=", "file_name": "../../etc/passwd", "text": "caption"}"#))
        .await;
    assert_eq!(photo.status, StatusCode::CREATED, "{}", photo.body);
    let media = photo.json()["media"].as_str().unwrap().to_owned();
    assert!(
        !media.contains('/') && media.ends_with("etc_passwd"),
        "{media}"
    );
    let stored = app
        .store
        .variants_of(tgfleet_domain::CampaignId(id))
        .await
        .unwrap();
    let path = stored[1].media_path.as_deref().unwrap();
    assert!(
        path.starts_with(
            &app.state
                .settings
                .console
                .media_dir
                .canonicalize()
                .unwrap()
                .display()
                .to_string()
        ),
        "{path}"
    );
    assert_eq!(std::fs::read(path).unwrap(), b"hello photo");
    let forward = app
        .api(
            Method::POST,
            &variants,
            &write,
            Some(r#"{"kind": "forward", "source": "t.me/newsroom/42"}"#),
        )
        .await;
    assert_eq!(forward.json()["source"], "newsroom/42", "{}", forward.body);
    assert_eq!(
        app.api(
            Method::POST,
            "/api/v1/campaigns/999/variants",
            &write,
            Some(r#"{"kind": "text", "text": "x"}"#)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    let paused = app
        .api(
            Method::POST,
            &format!("/api/v1/campaigns/{id}/pause"),
            &write,
            None,
        )
        .await;
    assert_eq!(paused.json()["status"], "paused");
    let resumed = app
        .api(
            Method::POST,
            &format!("/api/v1/campaigns/{id}/resume"),
            &write,
            None,
        )
        .await;
    assert_eq!(resumed.json()["status"], "active");
    assert_eq!(
        app.api(Method::POST, "/api/v1/campaigns/abc/pause", &write, None)
            .await
            .json()["field"],
        "id"
    );

    let fixture = app
        .store
        .campaign_by_name("fixture campaign")
        .await
        .unwrap()
        .unwrap()
        .id
        .0;
    let detail = app
        .api(
            Method::GET,
            &format!("/api/v1/campaigns/{fixture}"),
            &write,
            None,
        )
        .await
        .json();
    let progress = &detail["progress"];
    // latest round per group: fixture_one ends with round 11 (unknown), fixture_two with 10 (pending)
    assert_eq!(progress["pending"], 2, "{detail}");
    assert_eq!(detail["targets"].as_array().unwrap().len(), 2);
    assert_eq!(detail["variants"][0]["body"], "Hello from the fixture");
    let list = app
        .api(Method::GET, "/api/v1/campaigns", &write, None)
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let actions: Vec<String> = app
        .store
        .recent_audit(20)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "campaign.resume",
            "campaign.pause",
            "campaign.add_variant",
            "campaign.add_variant",
            "campaign.add_variant",
            "campaign.create"
        ]
    );
}

#[sqlx::test(migrations = "../../migrations")]
async fn stats_are_the_views_numbers(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    fixtures(&app).await;
    let read = app.token(TokenScope::Read).await;
    let stats = app
        .api(Method::GET, "/api/v1/stats?days=3", &read, None)
        .await
        .json();
    let overview = app.store.overview().await.unwrap();
    assert_eq!(
        stats["overview"]["active_accounts"],
        overview.active_accounts
    );
    assert_eq!(stats["overview"]["active_groups"], overview.active_groups);
    assert_eq!(
        stats["overview"]["posts_today_success"],
        overview.posts_today_success
    );
    assert_eq!(
        stats["overview"]["posts_today_failed"],
        overview.posts_today_failed
    );
    let days = stats["days"].as_array().unwrap();
    assert_eq!(days.len(), 3);
    for row in app.store.posts_per_day(2).await.unwrap() {
        let day = days
            .iter()
            .find(|d| d["date"] == row.date.to_string())
            .expect("day shown");
        assert_eq!(day["posts_sent"], row.successful);
        assert_eq!(day["posts_failed"], row.failed);
        assert_eq!(day["posts_skipped"], row.skipped);
        assert_eq!(day["posts_unresolved"], row.unresolved);
    }
    assert_eq!(days[2]["posts_sent"], 2);
    assert_eq!(days[1]["posts_sent"], 3);
    for (query, field) in [("days=0", "days"), ("days=400", "days"), ("days=x", "days")] {
        assert_eq!(
            app.api(Method::GET, &format!("/api/v1/stats?{query}"), &read, None)
                .await
                .json()["field"],
            field
        );
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn events_filter_and_name_bad_parameters(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    fixtures(&app).await;
    let alpha = app
        .store
        .account_by_label("alpha")
        .await
        .unwrap()
        .unwrap()
        .id;
    for (service, outcome) in [
        ("marketer", "ok"),
        ("account-manager", "flood_wait"),
        ("marketer", "flood_wait"),
    ] {
        app.store
            .record_event(&NewEvent {
                at: Utc::now(),
                service: service.into(),
                account_id: Some(alpha),
                group_id: None,
                action: "post".into(),
                outcome: outcome.into(),
                flood_wait_secs: None,
                detail: None,
            })
            .await
            .unwrap();
    }
    let read = app.token(TokenScope::Read).await;
    let all = app
        .api(Method::GET, "/api/v1/events", &read, None)
        .await
        .json();
    assert_eq!(all.as_array().unwrap().len(), 3);
    let filtered = app
        .api(
            Method::GET,
            "/api/v1/events?service=marketer&outcome=flood_wait&account=alpha&kind=post",
            &read,
            None,
        )
        .await
        .json();
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    let future = app
        .api(
            Method::GET,
            "/api/v1/events?since=2999-01-01T00:00:00Z",
            &read,
            None,
        )
        .await
        .json();
    assert!(future.as_array().unwrap().is_empty());
    for (query, field) in [
        ("since=yesterday", "since"),
        ("limit=5000", "limit"),
        ("after=x", "after"),
    ] {
        let answer = app
            .api(Method::GET, &format!("/api/v1/events?{query}"), &read, None)
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer.json()["field"], field);
    }
    let stream = app
        .api(Method::GET, "/api/v1/events/stream?since=x", &read, None)
        .await;
    assert_eq!(stream.json()["field"], "since");
}

#[sqlx::test(migrations = "../../migrations")]
async fn review_now_is_a_request_the_reviewer_takes(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    let write = app.token(TokenScope::Write).await;
    let mut listener = app.store.listen_changes().await.unwrap();
    let asked = app.api(Method::POST, "/api/v1/reviews", &write, None).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
    let change = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(change, "review_requests");
    let taken = app
        .store
        .take_review_requests("group-reviewer@test", Utc::now())
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert!(
        app.store
            .take_review_requests("group-reviewer@other", Utc::now())
            .await
            .unwrap()
            .is_empty()
    );
    let listed = app
        .api(Method::GET, "/api/v1/reviews", &write, None)
        .await
        .json();
    assert_eq!(listed["requests"][0]["picked_by"], "group-reviewer@test");
    assert_eq!(listed["requests"][0]["requested_by"], "token:test-write");
}

#[sqlx::test(migrations = "../../migrations")]
async fn heartbeats_show_replicas_and_their_hours(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    let now = Utc::now();
    let beat = tgfleet_store::Beat {
        service: "marketer",
        holder: "marketer@box:1#1",
        version: "0.1.0",
        host: "box",
        started_at: now,
    };
    app.store.record_beat(&beat, now).await.unwrap();
    app.store
        .record_beat(
            &tgfleet_store::Beat {
                holder: "activity@box:1#2",
                service: "activity",
                ..beat.clone()
            },
            now - chrono::TimeDelta::minutes(5),
        )
        .await
        .unwrap();
    app.store
        .record_stop("activity@box:1#2", now - chrono::TimeDelta::minutes(4))
        .await
        .unwrap();
    let read = app.token(TokenScope::Read).await;
    let replicas = app
        .api(Method::GET, "/api/v1/heartbeats", &read, None)
        .await
        .json();
    let replicas = replicas.as_array().unwrap();
    assert_eq!(replicas.len(), 2);
    assert_eq!(replicas[0]["service"], "activity");
    assert_eq!(replicas[0]["state"], "stopped");
    assert_eq!(replicas[1]["state"], "up");
    assert_eq!(replicas[1]["hours"].as_array().unwrap().len(), 24);
    assert_eq!(replicas[1]["hours"][23], 1);
}

#[sqlx::test(migrations = "../../migrations")]
async fn the_openapi_file_lists_exactly_the_routes(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    let read = app.token(TokenScope::Read).await;
    let spec = app
        .api(Method::GET, "/api/v1/openapi.json", &read, None)
        .await
        .json();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    let mut routed: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    documented.sort();
    routed.sort();
    assert_eq!(documented, routed);
    for (method, path) in &routed {
        let scope = spec["paths"][path][method]["x-scope"].as_str().unwrap();
        assert_eq!(scope == "write", method == "post", "{method} {path}");
    }
}

#[sqlx::test(migrations = "../../migrations")]
async fn secrets_never_reach_an_answer(pool: sqlx::PgPool) {
    let app = TestApp::new(pool);
    fixtures(&app).await;
    app.store
        .create_account(&NewAccount {
            label: "proxied".into(),
            phone_masked: Some("+62*********99".into()),
            proxy: Some("socks5://bob:proxy-pass-77@10.0.0.1:1080".to_owned().into()),
            time_zone: None,
        })
        .await
        .unwrap();
    app.operator().await;
    let session = app.login().await;
    let write = app.token(TokenScope::Write).await;
    app.api(Method::POST, "/api/v1/reviews", &write, None).await;
    let secrets = [
        API_HASH,
        DB_PASSWORD,
        PASSWORD,
        "proxy-pass-77",
        support::SESSION_KEY,
        write.as_str(),
        session.value.as_str(),
        &session.csrf[..],
    ];
    let mut answers = Vec::new();
    for (method, path, _) in ROUTES {
        if *method == "get" && !path.ends_with("/stream") {
            answers.push((
                path.to_string(),
                app.api(Method::GET, &concrete(path), &write, None)
                    .await
                    .body,
            ));
        }
    }
    answers.push((
        "proxied".into(),
        app.api(Method::GET, "/api/v1/accounts/proxied", &write, None)
            .await
            .body,
    ));
    for page in [
        "/",
        "/accounts",
        "/accounts/proxied",
        "/groups",
        "/groups/1",
        "/campaigns",
        "/campaigns/1",
        "/events",
        "/reviews",
        "/diagnostics",
    ] {
        let answer = app.browse(Method::GET, page, &session, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{page}: {}", answer.body);
        // the page's own CSRF token is meant to be in its forms; nothing else is
        answers.push((page.to_owned(), answer.body.replace(&session.csrf, "")));
    }
    for (path, body) in &answers {
        for secret in &secrets {
            assert!(!body.contains(secret), "{path} shows a secret");
        }
    }
    let accounts = app
        .api(Method::GET, "/api/v1/accounts/proxied", &write, None)
        .await
        .json();
    assert_eq!(accounts["account"]["proxy"], "socks5://10.0.0.1:1080");
    let diagnostics = app
        .browse(Method::GET, "/diagnostics", &session, None)
        .await
        .body;
    assert!(
        diagnostics.contains("tgfleet@127.0.0.1:5432"),
        "the database URL without its password"
    );
    assert!(diagnostics.contains("(set, hidden)"));
}

#[sqlx::test(migrations = "../../migrations")]
async fn login_logs_name_and_address_never_the_password(pool: sqlx::PgPool) {
    let log = tgfleet_testkit::CapturedLog::default();
    let _guard = log.install();
    let app = TestApp::new(pool);
    app.operator().await;
    let form = app
        .send(Request::get("/login").body(Body::empty()).unwrap())
        .await;
    let cookie = form.cookie("tgfleet_login").unwrap();
    let csrf = support::hidden_csrf(&form.body).unwrap();
    let wrong = app
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("tgfleet_login={cookie}"))
                .body(Body::from(format!(
                    "csrf={csrf}&name=ops&password=hunter2-wrong-pw"
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let session = app.login().await;
    let text = log.text();
    assert!(
        text.contains("login refused") && text.contains("ops") && text.contains("127.0.0.1:40000"),
        "{text}"
    );
    assert!(text.contains("logged in"), "{text}");
    for secret in [
        "hunter2-wrong-pw",
        PASSWORD,
        session.value.as_str(),
        session.csrf.as_str(),
        csrf.as_str(),
    ] {
        assert!(!text.contains(secret), "a secret reached the log: {text}");
    }
}
