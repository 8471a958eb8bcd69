//! The PostgreSQL side of the harness: one database per test on the server named by
//! `TEST_DATABASE_URL` (default: this machine's local server). When no server answers and the
//! PostgreSQL binaries are installed, a throwaway server is started in a temporary folder;
//! otherwise the test fails with a clear message — the PostgreSQL pass is never skipped.

use std::path::PathBuf;
use std::process::Command;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tokio::sync::OnceCell;

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static SERVER: OnceCell<String> = OnceCell::const_new();

/// A database that is dropped (with `FORCE`) when this value is dropped.
pub struct DroppedDatabase {
    /// URL of the database.
    pub url: String,
    admin_url: String,
    name: String,
}

impl Drop for DroppedDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime; a helper thread with its own runtime avoids
        // blocking it.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async move {
                    if let Ok(admin) = Database::connect(&admin_url).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            }
        })
        .join();
    }
}

impl DroppedDatabase {
    /// Takes the database down for its clients (`ALLOW_CONNECTIONS false`, then every session on
    /// it terminated with `pg_terminate_backend`), or brings it back: an outage of this one
    /// database that leaves the server, and the other tests on it, running.
    pub async fn set_reachable(&self, reachable: bool) {
        let admin = try_connect(&self.admin_url)
            .await
            .unwrap_or_else(|| panic!("PostgreSQL at {} stopped answering", self.admin_url));
        admin
            .execute_unprepared(&format!(
                "ALTER DATABASE \"{}\" ALLOW_CONNECTIONS {reachable}",
                self.name
            ))
            .await
            .expect("ALTER DATABASE ... ALLOW_CONNECTIONS");
        if !reachable {
            admin
                .execute_unprepared(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}'",
                    self.name
                ))
                .await
                .expect("pg_terminate_backend");
        }
        let _ = admin.close().await;
    }
}

async fn admin_url() -> &'static str {
    SERVER
        .get_or_init(|| async {
            let url =
                std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
            if try_connect(&url).await.is_some() {
                return url;
            }
            start_throwaway_server().unwrap_or_else(|why| {
                panic!(
                    "no PostgreSQL server answers at {url} and none could be started ({why}); \
                     set TEST_DATABASE_URL or install PostgreSQL"
                )
            })
        })
        .await
}

async fn try_connect(url: &str) -> Option<DatabaseConnection> {
    let mut opts = sea_orm::ConnectOptions::new(url.to_owned());
    opts.max_connections(1)
        .connect_timeout(std::time::Duration::from_secs(3))
        .sqlx_logging(false);
    Database::connect(opts).await.ok()
}

/// Creates a fresh, empty database on the test server.
pub async fn create_database() -> DroppedDatabase {
    let admin_url = admin_url().await.to_owned();
    let admin = try_connect(&admin_url)
        .await
        .unwrap_or_else(|| panic!("PostgreSQL at {admin_url} stopped answering"));
    let name = format!("atlas_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    let _ = admin.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base.to_owned())
        .unwrap_or(admin_url.clone());
    DroppedDatabase {
        url: format!("{base}/{name}"),
        admin_url,
        name,
    }
}

fn pg_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// Starts a private server on a free port, owned by the `postgres` account when running as
/// root (initdb refuses root). It lives until the test process exits.
fn start_throwaway_server() -> Result<String, String> {
    let bin = pg_bin_dir().ok_or("PostgreSQL binaries not found under /usr/lib/postgresql")?;
    let dir = std::env::temp_dir().join(format!("atlas-pg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let as_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let run = |program: PathBuf, args: Vec<String>| -> Result<(), String> {
        let status = if as_root {
            let _ = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status();
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&program)
                .args(&args)
                .status()
        } else {
            Command::new(&program).args(&args).status()
        }
        .map_err(|e| e.to_string())?;
        status
            .success()
            .then_some(())
            .ok_or(format!("{} failed", program.display()))
    };
    let data = dir.join("data");
    run(
        bin.join("initdb"),
        vec![
            "-D".into(),
            data.display().to_string(),
            "-U".into(),
            "postgres".into(),
            "--auth=trust".into(),
        ],
    )?;
    run(
        bin.join("pg_ctl"),
        vec![
            "-D".into(),
            data.display().to_string(),
            "-o".into(),
            format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1",
                dir.display()
            ),
            "-l".into(),
            dir.join("log").display().to_string(),
            "-w".into(),
            "start".into(),
        ],
    )?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

/// A copy of `source` (`CREATE DATABASE ... TEMPLATE`), dropped with the returned value.
pub async fn clone_database(source: &DroppedDatabase) -> DroppedDatabase {
    let admin = try_connect(&source.admin_url)
        .await
        .unwrap_or_else(|| panic!("PostgreSQL at {} stopped answering", source.admin_url));
    let name = format!("atlas_test_{}", uuid::Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{}\"",
            source.name
        ))
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name} TEMPLATE: {e}"));
    let _ = admin.close().await;
    let base = source
        .url
        .rsplit_once('/')
        .map(|(base, _)| base.to_owned())
        .unwrap_or(source.url.clone());
    DroppedDatabase {
        url: format!("{base}/{name}"),
        admin_url: source.admin_url.clone(),
        name,
    }
}
