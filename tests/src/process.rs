//! The real `atlas-ops` binary as a child process (`serve` or `worker`) on a test's database,
//! for the tests that kill, terminate or restart it. Its log goes to a file the test can read.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running `atlas-ops` process; SIGKILLed when dropped if it is still running.
pub struct AtlasProcess {
    child: Child,
    /// Its combined log (stderr).
    pub log: PathBuf,
    /// `http://127.0.0.1:PORT` for `serve`.
    pub address: Option<String>,
}

fn command(
    bin: &Path,
    database_url: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Command, PathBuf) {
    let log = std::env::temp_dir().join(format!("atlas-ops-{}.log", uuid::Uuid::new_v4()));
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env("DATABASE_URL", database_url)
        .env("APP_ENV", "demo")
        .env(
            "SESSION_SECRET",
            "test-session-secret-0123456789abcdef0123456789",
        )
        .env(
            "JWT_SECRET",
            "test-jwt-secret-0123456789abcdef0123456789abcdef",
        )
        .env("STATIC_DIR", "/nonexistent-static-dir")
        // Tests talk plain http, where a `Secure` session cookie is never sent back.
        .env("COOKIE_SECURE", "false")
        .env("JOB_LEASE_SECONDS", "2")
        .env("WORKER_POLL_MS", "50")
        .env("LOG_LEVEL", "info")
        .env("LOG_FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(&log).expect("create the process log"),
        ));
    for (key, value) in env {
        cmd.env(key, value);
    }
    (cmd, log)
}

impl AtlasProcess {
    /// `bin worker --count <workers>` on `database_url` (`bin` is [`crate::atlas_ops_bin!`],
    /// which only integration tests can expand).
    pub fn worker(bin: &Path, database_url: &str, workers: usize, env: &[(&str, &str)]) -> Self {
        let count = workers.to_string();
        let (mut cmd, log) = command(bin, database_url, &["worker", "--count", &count], env);
        Self {
            child: cmd.spawn().expect("spawn atlas-ops worker"),
            log,
            address: None,
        }
    }

    /// `bin serve` on a free port with `WORKERS=<workers>`; returns once `/healthz`
    /// answers.
    pub async fn serve(
        bin: &Path,
        database_url: &str,
        workers: usize,
        env: &[(&str, &str)],
    ) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let bind = format!("127.0.0.1:{port}");
        let workers = workers.to_string();
        let (mut cmd, log) = command(bin, database_url, &["serve"], env);
        cmd.env("BIND", &bind).env("WORKERS", &workers);
        let mut process = Self {
            child: cmd.spawn().expect("spawn atlas-ops serve"),
            log,
            address: Some(format!("http://{bind}")),
        };
        let health = format!("http://{bind}/healthz");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Some(status) = process.child.try_wait().expect("poll the server") {
                panic!(
                    "atlas-ops serve exited with {status}:\n{}",
                    process.log_text()
                );
            }
            if reqwest::get(&health)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "atlas-ops serve did not become healthy:\n{}",
            process.log_text()
        );
    }

    /// The process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGKILL and reaps the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM (a graceful stop).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Waits up to `timeout` for the process to exit.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(status) = self.child.try_wait().expect("poll the process") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// What the process has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for AtlasProcess {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.log);
    }
}
