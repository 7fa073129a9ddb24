//! Shared setup of the console's tests: settings with known secrets, the app over a
//! fresh database, operators, tokens and requests.

#![allow(dead_code, reason = "each test binary uses a part of the shared setup")]

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use std::net::SocketAddr;
use std::sync::Arc;
use tgfleet_config::{EnvMap, Settings};
use tgfleet_console::live::LiveEvents;
use tgfleet_console::secrets::{digest, hash_password, new_api_token};
use tgfleet_console::state::AppState;
use tgfleet_store::{Store, TokenScope};
use tower::ServiceExt as _;

/// Secrets planted in the settings; no answer may contain them.
pub const API_HASH: &str = "0123456789abcdef0123456789abcdef";
pub const DB_PASSWORD: &str = "db-pass-Zq81";
pub const SESSION_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
pub const PASSWORD: &str = "correct horse battery staple";
pub const OPERATOR: &str = "ops";

/// Settings as an operator would have them, with every secret set.
pub fn settings(extra: &[(&str, &str)]) -> Arc<Settings> {
    let mut env = EnvMap::new();
    env.insert(
        "DATABASE_URL".into(),
        format!("postgres://tgfleet:{DB_PASSWORD}@127.0.0.1:5432/tgfleet"),
    );
    env.insert("TG_API_ID".into(), "12345".into());
    env.insert("TG_API_HASH".into(), API_HASH.into());
    env.insert("TGFLEET_SESSION_KEY".into(), SESSION_KEY.into());
    let media = std::env::temp_dir().join(format!("tgfleet-console-media-{}", std::process::id()));
    env.insert(
        "TGFLEET__CONSOLE__MEDIA_DIR".into(),
        media.display().to_string(),
    );
    for (key, value) in extra {
        env.insert((*key).to_owned(), (*value).to_owned());
    }
    Arc::new(Settings::load_with_env(None, &env).expect("test settings"))
}

/// The app over `pool`.
pub struct TestApp {
    pub store: Store,
    pub state: AppState,
    pub router: Router,
}

impl TestApp {
    pub fn new(pool: sqlx::PgPool) -> Self {
        Self::with_settings(pool, settings(&[]))
    }

    pub fn with_settings(pool: sqlx::PgPool, settings: Arc<Settings>) -> Self {
        Self::over(Store::from_pool(pool), settings)
    }

    /// The app over an existing store (e.g. a test fleet's).
    pub fn over(store: Store, settings: Arc<Settings>) -> Self {
        let state = AppState::new(store.clone(), settings, LiveEvents::default());
        let router = tgfleet_console::router(state.clone());
        Self {
            store,
            state,
            router,
        }
    }

    /// Creates the operator `ops` with [`PASSWORD`].
    pub async fn operator(&self) {
        let hash = hash_password(PASSWORD).unwrap();
        self.store
            .save_operator(OPERATOR, &hash, false)
            .await
            .unwrap();
    }

    /// A new API token of `scope`.
    pub async fn token(&self, scope: TokenScope) -> String {
        let token = new_api_token();
        self.store
            .create_api_token(&format!("test-{scope}"), &digest(&token), scope, "test")
            .await
            .unwrap();
        token
    }

    /// Sends `request` from 127.0.0.1:40000.
    pub async fn send(&self, mut request: Request<Body>) -> Answer {
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// A request with a bearer token and an optional JSON body.
    pub async fn api(&self, method: Method, path: &str, token: &str, json: Option<&str>) -> Answer {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if json.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        self.send(
            builder
                .body(Body::from(json.unwrap_or_default().to_owned()))
                .unwrap(),
        )
        .await
    }

    /// Logs in through the form and returns the session (cookie header value, CSRF token).
    pub async fn login(&self) -> Session {
        let form = self
            .send(Request::get("/login").body(Body::empty()).unwrap())
            .await;
        let login_cookie = form.cookie("tgfleet_login").expect("login cookie");
        let csrf = hidden_csrf(&form.body).expect("csrf field");
        let answer = self
            .send(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("tgfleet_login={login_cookie}"))
                    .body(Body::from(format!(
                        "csrf={csrf}&name={OPERATOR}&password={}",
                        PASSWORD.replace(' ', "+")
                    )))
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        let session = answer.cookie("tgfleet_session").expect("session cookie");
        let page = self
            .send(
                Request::get("/")
                    .header(header::COOKIE, format!("tgfleet_session={session}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        Session {
            cookie: format!("tgfleet_session={session}"),
            csrf: hidden_csrf(&page.body).expect("csrf in pages"),
            value: session,
        }
    }

    /// A request with the session cookie.
    pub async fn browse(
        &self,
        method: Method,
        path: &str,
        session: &Session,
        csrf: Option<&str>,
    ) -> Answer {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::COOKIE, &session.cookie);
        if let Some(csrf) = csrf {
            builder = builder.header("x-csrf-token", csrf);
        }
        self.send(builder.body(Body::empty()).unwrap()).await
    }
}

/// A logged-in browser.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
    pub value: String,
}

/// A response, read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("{error}: {}", self.body))
    }

    /// The value a `Set-Cookie` header gives `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|value| value.strip_prefix(&format!("{name}=")))
            .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
    }
}

/// The value of the first `name="csrf" value="..."` of a page.
pub fn hidden_csrf(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].to_owned())
}
