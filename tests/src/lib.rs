//! Black-box test harness: [`spawn_app`] starts the real application on port 0 against a fresh
//! database — a new SQLite file, or a new PostgreSQL database on the test server — so tests run
//! in parallel, and [`db_tests!`] runs each test body on both back-ends.

pub mod postgres;
pub mod process;
pub mod runs;
pub mod sse;
pub mod webhook;

use std::sync::Arc;

use atlas_ops::auth::{RequestMeta, operators, tokens};
use atlas_ops::clock::OffsetClock;
use atlas_ops::config::Settings;
use atlas_ops::context::AppContext;
use atlas_ops::domain::capability::Capability;
use atlas_ops::http::Application;
use sea_orm::DatabaseConnection;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file.
    Sqlite,
    /// A fresh PostgreSQL database on the test server.
    Postgres,
}

/// A fresh, migrated database that is removed when dropped.
pub struct TestDatabase {
    /// The URL the application connects with.
    pub url: String,
    /// Which back-end.
    pub backend: Backend,
    guard: DbGuard,
}

/// Removes the database when the test ends.
struct DbGuard {
    _sqlite_dir: Option<tempfile::TempDir>,
    postgres: Option<postgres::DroppedDatabase>,
}

impl TestDatabase {
    /// Creates an empty (unmigrated) database.
    pub async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}/test.sqlite3?mode=rwc", dir.path().display());
                Self {
                    url,
                    backend,
                    guard: DbGuard {
                        _sqlite_dir: Some(dir),
                        postgres: None,
                    },
                }
            }
            Backend::Postgres => {
                let db = postgres::create_database().await;
                Self {
                    url: db.url.clone(),
                    backend,
                    guard: DbGuard {
                        _sqlite_dir: None,
                        postgres: Some(db),
                    },
                }
            }
        }
    }

    /// A PostgreSQL outage of this database alone (see [`postgres::DroppedDatabase::set_reachable`]).
    pub async fn set_reachable(&self, reachable: bool) {
        self.guard
            .postgres
            .as_ref()
            .expect("outages are simulated on PostgreSQL only")
            .set_reachable(reachable)
            .await;
    }

    /// Opens a pool on this database.
    pub async fn connect(&self) -> DatabaseConnection {
        atlas_ops::db::connect(&self.url, 10)
            .await
            .expect("connect to the test database")
    }
}

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// A pool on the application's database (for arranging and asserting).
    pub db: DatabaseConnection,
    /// The application's clock; tests move it forward instead of sleeping.
    pub clock: Arc<OffsetClock>,
    /// The application's service context.
    pub ctx: AppContext,
    /// Which back-end.
    pub backend: Backend,
    /// The database (kept alive for the test's duration).
    pub database: TestDatabase,
    /// Set by [`TestApp::allow_unfinished_jobs`]: the teardown does not check the queue.
    unfinished_jobs_allowed: std::sync::atomic::AtomicBool,
}

impl Drop for TestApp {
    /// Fails a test that leaves unfinished jobs behind (crates.io's `TestApp` does the same): a
    /// run's work must be drained or deliberately abandoned, never forgotten.
    fn drop(&mut self) {
        if std::thread::panicking()
            || self
                .unfinished_jobs_allowed
                .load(std::sync::atomic::Ordering::Relaxed)
        {
            return;
        }
        let url = self.database.url.clone();
        // Drop runs inside the test's runtime; a thread with its own runtime can block on it.
        let left = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let db = atlas_ops::db::connect(&url, 1).await.ok()?;
                let row = sea_orm::ConnectionTrait::query_one_raw(
                    &db,
                    sea_orm::Statement::from_string(
                        db.get_database_backend(),
                        "SELECT COUNT(*) AS n FROM jobs WHERE status IN ('pending', 'running')",
                    ),
                )
                .await
                .ok()??;
                let n: i64 = row.try_get("", "n").ok()?;
                let _ = db.close().await;
                Some(n)
            })
        })
        .join()
        .ok()
        .flatten();
        if let Some(n) = left.filter(|&n| n > 0) {
            panic!(
                "the test left {n} unfinished job(s) in the queue: drain it (runs::drain) or \
                 call TestApp::allow_unfinished_jobs() where leaving them is the point"
            );
        }
    }
}

/// Settings for a test app on `url`: demo mode, fixed secrets, plain-http cookies allowed.
pub fn test_settings(url: &str) -> Settings {
    let url = url.to_owned();
    Settings::from_lookup(move |key| match key {
        "DATABASE_URL" => Some(url.clone()),
        "BIND" => Some("127.0.0.1:0".into()),
        "SESSION_SECRET" => Some("test-session-secret-0123456789abcdef0123456789".into()),
        "JWT_SECRET" => Some("test-jwt-secret-0123456789abcdef0123456789abcdef".into()),
        "STATIC_DIR" => Some("/nonexistent-static-dir".into()),
        "WORKERS" => Some("0".into()),
        // reqwest's cookie jar (rightly) keeps `Secure` cookies off plain http.
        "COOKIE_SECURE" => Some("false".into()),
        _ => None,
    })
    .expect("test settings")
}

/// Starts the application on port 0 against a fresh, migrated database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with a hook to adjust the settings first.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with_context(backend, adjust, |_| {}).await
}

/// Like [`spawn_app_with`], with a second hook to adjust the service context (e.g. to register
/// a test's own runbook) before the server starts.
pub async fn spawn_app_with_context(
    backend: Backend,
    adjust: impl FnOnce(&mut Settings),
    adjust_context: impl FnOnce(&mut AppContext),
) -> TestApp {
    let database = TestDatabase::create(backend).await;
    let mut settings = test_settings(&database.url);
    adjust(&mut settings);
    let db = database.connect().await;
    atlas_ops::db::migrate(&db).await.expect("migrate");
    let clock = OffsetClock::new();
    let mut ctx = atlas_ops::app::context_with_clock(db.clone(), settings, clock.clone());
    adjust_context(&mut ctx);
    let app = Application::build(ctx.clone()).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        clock,
        ctx,
        backend,
        database,
        unfinished_jobs_allowed: Default::default(),
    }
}

impl TestApp {
    /// Moves the app clock to just after the next minute boundary, so a burst of login attempts
    /// stays inside one throttle window however slow the machine (the login throttle counts in
    /// fixed minutes, docs/spec.md §11).
    pub fn align_to_throttle_window(&self) {
        let second = chrono::Timelike::second(&self.ctx.now());
        self.clock
            .advance(chrono::Duration::seconds(i64::from(61 - second)));
    }

    /// Lets this test end with unfinished jobs in the queue (a test about a run left waiting,
    /// or one that only checks what a start answers).
    pub fn allow_unfinished_jobs(&self) {
        self.unfinished_jobs_allowed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// A client with its own cookie jar and no redirects followed.
    pub fn client(&self) -> reqwest::Client {
        http_client()
    }

    /// `address + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// The status of GET `path` with `token` as the bearer.
    pub async fn bearer_status(&self, path: &str, token: &str) -> u16 {
        self.client()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    }

    /// GET `path` with a fresh client.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client()
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }
}

/// A client with its own cookie jar and no redirects followed.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// The password every account made by the harness gets.
pub const TEST_PASSWORD: &str = "correct-horse-battery";

/// A client signed in to one plane: a cookie jar holding the session, and the session's CSRF
/// token, which the unsafe-method helpers send in `X-CSRF-Token`.
#[derive(Clone)]
pub struct SessionClient {
    /// The client (cookie jar, no redirects followed).
    pub client: reqwest::Client,
    /// The session's CSRF token.
    pub csrf: String,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
}

/// A signed-in operator (see [`TestApp::login_operator`]).
pub type OperatorClient = SessionClient;
/// A signed-in customer user (see [`TestApp::login_customer`]).
pub type CustomerClient = SessionClient;

impl SessionClient {
    /// Signs `username` (password [`TEST_PASSWORD`]) in at `address + path` (a login route).
    pub async fn login(address: &str, path: &str, username: &str) -> SessionClient {
        let client = http_client();
        let res = client
            .post(format!("{address}{path}"))
            .json(&serde_json::json!({"username": username, "password": TEST_PASSWORD}))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), 200, "login of {username} at {path} failed");
        let body: serde_json::Value = res.json().await.expect("login body");
        let csrf = body["csrf_token"].as_str().expect("csrf_token").to_owned();
        SessionClient {
            client,
            csrf,
            address: address.to_owned(),
        }
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("request")
    }

    /// POST `body` as JSON to `path`, with the CSRF header.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(format!("{}{}", self.address, path))
            .header("x-csrf-token", &self.csrf)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// DELETE `path`, with the CSRF header.
    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.client
            .delete(format!("{}{}", self.address, path))
            .header("x-csrf-token", &self.csrf)
            .send()
            .await
            .expect("request")
    }
}

impl TestApp {
    /// Creates an operator with `capabilities` and the password [`TEST_PASSWORD`]; returns its id.
    pub async fn create_operator(&self, username: &str, capabilities: &[Capability]) -> i64 {
        operators::create_operator(&self.db, username, None, TEST_PASSWORD, capabilities)
            .await
            .expect("create operator")
            .id
    }

    /// Creates a customer user in `workspace_id` with the password [`TEST_PASSWORD`]; returns
    /// its id.
    pub async fn create_customer(&self, username: &str, workspace_id: i64) -> i64 {
        operators::create_customer(&self.db, username, None, workspace_id, TEST_PASSWORD)
            .await
            .expect("create customer user")
            .id
    }

    async fn login(&self, path: &str, username: &str) -> SessionClient {
        SessionClient::login(&self.address, path, username).await
    }

    /// Signs an existing operator in (password [`TEST_PASSWORD`]) through
    /// `POST /system/api/auth/login`.
    pub async fn login_operator(&self, username: &str) -> OperatorClient {
        self.login("/system/api/auth/login", username).await
    }

    /// Signs an existing customer user in through `POST /admin/api/auth/login`.
    pub async fn login_customer(&self, username: &str) -> CustomerClient {
        self.login("/admin/api/auth/login", username).await
    }

    /// A bearer JWT (`aud=system`, 30 days) carrying `capabilities`, minted by the service the
    /// CLI uses. The operator is created (with exactly those capabilities) if it does not exist.
    pub async fn operator_token(&self, username: &str, capabilities: &[Capability]) -> String {
        if operators::find_operator(&self.db, username).await.is_err() {
            self.create_operator(username, capabilities).await;
        }
        tokens::create_for_username(
            &self.ctx,
            username,
            "test token",
            30,
            Some(capabilities.to_vec()),
            &RequestMeta::default(),
        )
        .await
        .expect("mint token")
        .token
    }

    /// Starts a second application process-alike (own pool, own limiter) on the same database
    /// and clock; returns its address.
    pub async fn spawn_second_instance(&self) -> String {
        let db = self.database.connect().await;
        let ctx = atlas_ops::app::context_with_clock(
            db,
            (*self.ctx.settings).clone(),
            self.clock.clone(),
        );
        let app = Application::build(ctx).expect("build second app");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }
}

/// Runs each listed `async fn name(backend: Backend)` as two tests, `sqlite::name` and
/// `postgres::name`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::Backend::Postgres).await
                }
            )+
        }
    };
}

/// The `atlas-ops` binary under test: `ATLAS_OPS_BIN` if set, else this package's build of
/// backend/src/main.rs (the `atlas-ops-cli` target of tests/Cargo.toml, which cargo builds with
/// the tests so it is never missing or stale). A macro because `CARGO_BIN_EXE_*` exists only
/// while compiling the integration tests themselves.
#[macro_export]
macro_rules! atlas_ops_bin {
    () => {
        std::env::var_os("ATLAS_OPS_BIN").map_or_else(
            || std::path::PathBuf::from(env!("CARGO_BIN_EXE_atlas-ops-cli")),
            std::path::PathBuf::from,
        )
    };
}
