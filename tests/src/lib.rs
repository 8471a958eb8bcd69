//! Black-box test harness: [`spawn_app`] starts the real application on port 0 against a fresh
//! database — a new SQLite file, or a new PostgreSQL database on the test server — so tests run
//! in parallel, and [`db_tests!`] runs each test body on both back-ends.

pub mod postgres;

use std::sync::Arc;

use atlas_ops::clock::OffsetClock;
use atlas_ops::config::Settings;
use atlas_ops::context::AppContext;
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
    _guard: DbGuard,
}

/// Removes the database when the test ends (fields are held only for their `Drop`).
struct DbGuard {
    _sqlite_dir: Option<tempfile::TempDir>,
    _postgres: Option<postgres::DroppedDatabase>,
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
                    _guard: DbGuard {
                        _sqlite_dir: Some(dir),
                        _postgres: None,
                    },
                }
            }
            Backend::Postgres => {
                let db = postgres::create_database().await;
                Self {
                    url: db.url.clone(),
                    backend,
                    _guard: DbGuard {
                        _sqlite_dir: None,
                        _postgres: Some(db),
                    },
                }
            }
        }
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
    let database = TestDatabase::create(backend).await;
    let mut settings = test_settings(&database.url);
    adjust(&mut settings);
    let db = database.connect().await;
    atlas_ops::db::migrate(&db).await.expect("migrate");
    let clock = OffsetClock::new();
    let ctx = AppContext::with_clock(db.clone(), settings, clock.clone());
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
    }
}

impl TestApp {
    /// A client with its own cookie jar and no redirects followed.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client")
    }

    /// `address + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
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
