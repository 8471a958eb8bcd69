//! Typed settings read from the environment (and an optional `KEY=VALUE` config file named by
//! `ATLAS_CONFIG`). Secrets are [`SecretString`]s: their `Debug` prints `[REDACTED]`, so a
//! settings dump in a log line never leaks them.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

/// How the process treats missing secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Local demo: missing secrets are generated at start-up (and the log says so).
    Demo,
    /// Production: a missing secret is a start-up error.
    Production,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Every setting of the service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Demo or production.
    pub mode: Mode,
    /// `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// Address the HTTP server binds to.
    pub bind: String,
    /// Key material for the session cookies' signatures.
    pub session_secret: SecretString,
    /// HMAC key for API-token JWTs.
    pub jwt_secret: SecretString,
    /// Job workers started inside `serve` (and by default by `worker`).
    pub workers: usize,
    /// Where failed/partial run alerts are POSTed; none means no alerts are sent.
    pub alert_webhook_url: Option<String>,
    /// The console's public base URL (`https://ops.example.com`, no trailing slash): alerts link
    /// to the run with it; none means alerts carry no link.
    pub public_url: Option<String>,
    /// Whether session cookies carry `Secure` (default on in every mode; disable only for local
    /// plain http, as `make run` does).
    pub cookie_secure: bool,
    /// Bearer token `/metrics` requires; none means `/metrics` answers loopback clients only.
    pub metrics_token: Option<SecretString>,
    /// `RUST_LOG`-style filter.
    pub log_level: String,
    /// Pretty or JSON logs.
    pub log_format: LogFormat,
    /// Session idle timeout.
    pub session_idle: Duration,
    /// Session absolute lifetime.
    pub session_absolute: Duration,
    /// Whether `serve` applies pending migrations at start.
    pub auto_migrate: bool,
    /// Folder holding the built SPA (`system/` and `admin/` inside).
    pub static_dir: PathBuf,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Requests per second per client IP over `/system/api` and, separately, `/admin/api`
    /// (general flood limiter).
    pub api_rate_per_second: u64,
    /// Burst size of that limiter.
    pub api_rate_burst: u32,
    /// Largest accepted request body of any route and content type, in bytes (larger ones get
    /// 413 before they are read).
    pub max_body_bytes: usize,
    /// Largest body of a preflight, start or tenant lookup that presents operator credentials:
    /// a list scope names up to 10,000 tenants (docs/spec.md §21).
    pub max_scope_body_bytes: usize,
    /// How long a client may take to send a request's headers, on every request of a
    /// connection (the first one gets 408; a later one has its connection closed).
    pub header_timeout: Duration,
    /// How long an idle keep-alive connection stays open between requests.
    pub keep_alive: Duration,
    /// Connections one client IP (an IPv6 /64) may hold open at once; more are refused at once.
    pub max_connections_per_ip: usize,
    /// Connections the process holds open at once; more are refused at once. Lowered at start-up
    /// to fit the process's open-file limit.
    pub max_connections: usize,
    /// Failed logins per client IP and minute, whatever the username, before the login
    /// throttle refuses that address (429).
    pub login_failures_per_ip_per_minute: i64,
    /// How long a client may take to send a request's body, from the end of its headers (slow
    /// bodies are cut off with a 408 problem document).
    pub body_timeout: Duration,
    /// How long a claimed job's lease lasts without a heartbeat.
    pub job_lease: Duration,
    /// How long an idle worker waits before polling the queue again.
    pub worker_poll: Duration,
    /// How long a tenant's transaction waits for a row lock the host application holds before
    /// the attempt fails and is retried (PostgreSQL `lock_timeout`; 0 waits forever).
    pub tenant_lock_timeout: Duration,
    /// On shutdown, how long a worker lets the job in hand finish before it hands the job back
    /// unfinished (its attempt not counted) for another worker to run.
    pub worker_shutdown_grace: Duration,
    /// Password hashes (argon2id) computed at once; each holds ~19 MiB while it runs.
    pub hash_concurrency: usize,
    /// How long a login waits for a hashing slot before it is refused with 503.
    pub hash_wait: Duration,
    /// The longest an event stream stays open (clients reconnect).
    pub sse_max_lifetime: Duration,
    /// Event streams one operator may hold open in one process.
    pub sse_max_per_operator: usize,
    /// The database health gate (docs/spec.md §14).
    pub health: HealthSettings,
    /// How long a completed run's change log is kept (`CHANGE_LOG_RETENTION_DAYS`, default 30).
    pub change_log_retention: chrono::Duration,
    /// Secrets that were generated because they were missing (demo mode only).
    pub generated_secrets: Vec<&'static str>,
    /// Where demo mode keeps the secrets it generated, so that a restart keeps sessions and
    /// tokens valid (`None` in production mode, which never writes a secret).
    pub kept_secrets_file: Option<PathBuf>,
}

/// The database health gate's settings (docs/spec.md §14); a threshold of 0 turns its
/// indicator off.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSettings {
    /// How often the sampler samples (`HEALTH_SAMPLE_SECONDS`, default 5; `HEALTH_SAMPLE_MS`
    /// overrides it, for tests).
    pub sample_every: Duration,
    /// Healthy samples in a row that end a throttle (`HEALTH_RECOVERY_SAMPLES`, default 3).
    pub recovery_samples: u32,
    /// `HEALTH_MAX_OLDEST_TRANSACTION_SECONDS` (default 300).
    pub max_oldest_transaction_seconds: f64,
    /// `HEALTH_MAX_REPLICATION_LAG_SECONDS` (default 30).
    pub max_replication_lag_seconds: f64,
    /// `HEALTH_MAX_LOCK_WAITERS` (default 10).
    pub max_lock_waiters: f64,
    /// `HEALTH_WRAPAROUND_AUTOVACUUM` (default true).
    pub wraparound_autovacuum: bool,
    /// `HEALTH_CHECK_URL`: an external check, healthy on 2xx within 2 s.
    pub check_url: Option<String>,
}

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required secret is missing in production mode.
    #[error("{0} must be set in production mode (APP_ENV=production)")]
    MissingSecret(&'static str),
    /// Demo mode cannot read or write the file that keeps its generated secrets.
    #[error("cannot keep the demo secrets in {path}: {reason}")]
    KeptSecrets {
        /// The file.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// A value does not parse.
    #[error("{name} has an invalid value: {reason}")]
    Invalid {
        /// The variable's name.
        name: &'static str,
        /// Why it does not parse.
        reason: String,
    },
}

const DEFAULT_DATABASE_URL: &str = "sqlite://data/atlas-ops.sqlite3?mode=rwc";

impl Settings {
    /// Reads the process environment, after loading the optional `ATLAS_CONFIG` file.
    pub fn from_env() -> Result<Self, ConfigError> {
        if let Ok(path) = std::env::var("ATLAS_CONFIG") {
            dotenvy::from_path(&path).map_err(|e| ConfigError::Invalid {
                name: "ATLAS_CONFIG",
                reason: e.to_string(),
            })?;
        }
        let env = |k: &str| std::env::var(k).ok();
        match mode_of(&env)? {
            Mode::Production => Self::from_lookup(env),
            Mode::Demo => match demo_data_dir(&env) {
                Some(dir) => Self::keeping_demo_secrets(&dir, env),
                None => Self::from_lookup(env),
            },
        }
    }

    /// Demo mode: a secret missing from `get` is read from `dir`'s [`KEPT_SECRETS_FILE`], or
    /// generated and written there (mode 0600), so the next start signs with the same keys.
    pub fn keeping_demo_secrets(
        dir: &Path,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let path = dir.join(KEPT_SECRETS_FILE);
        let invalid = |e: std::io::Error| ConfigError::KeptSecrets {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let kept: BTreeMap<String, String> = match std::fs::read_to_string(&path) {
            Ok(text) => text
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(invalid(e)),
        };
        let mut settings = Self::from_lookup(|k| get(k).or_else(|| kept.get(k).cloned()))?;
        if !settings.generated_secrets.is_empty() {
            let mut all = kept;
            for name in &settings.generated_secrets {
                let value = match *name {
                    "SESSION_SECRET" => &settings.session_secret,
                    _ => &settings.jwt_secret,
                };
                all.insert((*name).to_owned(), value.expose_secret().to_owned());
            }
            write_private(&path, &all).map_err(invalid)?;
        }
        settings.kept_secrets_file = Some(path);
        Ok(settings)
    }

    /// Builds settings from any key lookup (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let mode = mode_of(&get)?;
        let mut generated_secrets = Vec::new();
        let mut secret = |name: &'static str| -> Result<SecretString, ConfigError> {
            match get(name) {
                Some(v) if v.len() >= 32 => Ok(SecretString::from(v)),
                Some(_) => Err(ConfigError::Invalid {
                    name,
                    reason: "must be at least 32 characters".into(),
                }),
                None if mode == Mode::Production => Err(ConfigError::MissingSecret(name)),
                None => {
                    generated_secrets.push(name);
                    Ok(random_secret())
                }
            }
        };
        let session_secret = secret("SESSION_SECRET")?;
        let jwt_secret = secret("JWT_SECRET")?;
        // Optional in every mode (unset, only loopback scrapers get metrics), but when set it is
        // a credential like the others: long enough not to be guessed.
        let metrics_token = match get("METRICS_TOKEN") {
            None => None,
            Some(v) if v.len() >= 32 => Some(SecretString::from(v)),
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "METRICS_TOKEN",
                    reason: "must be at least 32 characters".into(),
                });
            }
        };
        let trusted_proxies = match get("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|s| s.trim().parse::<IpAddr>())
                .collect::<Result<_, _>>()
                .map_err(|e| ConfigError::Invalid {
                    name: "TRUSTED_PROXIES",
                    reason: e.to_string(),
                })?,
        };
        Ok(Self {
            mode,
            database_url: get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            bind: get("BIND").unwrap_or_else(|| "127.0.0.1:8080".into()),
            session_secret,
            jwt_secret,
            workers: parse(&get, "WORKERS", 2)?,
            alert_webhook_url: get("ALERT_WEBHOOK_URL"),
            public_url: match get("PUBLIC_URL") {
                None => None,
                Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                    Some(url.trim().trim_end_matches('/').to_owned())
                }
                Some(_) => {
                    return Err(ConfigError::Invalid {
                        name: "PUBLIC_URL",
                        reason: "must be an http:// or https:// URL".into(),
                    });
                }
            },
            // Secure in demo mode too: a demo reachable over https must not leak its session over
            // http, and plain-http local use says so explicitly (`make run`, the test harness).
            cookie_secure: parse_bool(&get, "COOKIE_SECURE", true)?,
            metrics_token,
            log_level: get("LOG_LEVEL")
                .or_else(|| get("RUST_LOG"))
                .unwrap_or_else(|| "info".into()),
            log_format: match get("LOG_FORMAT").as_deref() {
                None | Some("pretty") | Some("text") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(ConfigError::Invalid {
                        name: "LOG_FORMAT",
                        reason: format!("expected pretty or json, got {other:?}"),
                    });
                }
            },
            session_idle: Duration::from_secs(parse(&get, "SESSION_IDLE_SECONDS", 30 * 60)?),
            session_absolute: Duration::from_secs(parse(
                &get,
                "SESSION_ABSOLUTE_SECONDS",
                8 * 60 * 60,
            )?),
            auto_migrate: parse_bool(&get, "AUTO_MIGRATE", true)?,
            static_dir: get("STATIC_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("frontend/dist")),
            trusted_proxies,
            api_rate_per_second: parse(&get, "API_RATE_PER_SECOND", 50)?,
            api_rate_burst: parse(&get, "API_RATE_BURST", 200)?,
            max_body_bytes: parse(&get, "MAX_BODY_BYTES", 64 * 1024)?,
            max_scope_body_bytes: parse(&get, "MAX_SCOPE_BODY_BYTES", 512 * 1024)?,
            header_timeout: Duration::from_millis(parse(&get, "HEADER_TIMEOUT_MS", 5_000)?),
            keep_alive: Duration::from_secs(positive(&get, "KEEP_ALIVE_SECONDS", 5)?),
            max_connections_per_ip: positive(&get, "MAX_CONNECTIONS_PER_IP", 64)?,
            max_connections: positive(&get, "MAX_CONNECTIONS", 4_096)?,
            login_failures_per_ip_per_minute: positive(
                &get,
                "LOGIN_FAILURES_PER_IP_PER_MINUTE",
                30,
            )?,
            body_timeout: Duration::from_millis(parse(&get, "BODY_TIMEOUT_MS", 10_000)?),
            job_lease: Duration::from_secs(parse(&get, "JOB_LEASE_SECONDS", 30)?),
            worker_poll: Duration::from_millis(parse(&get, "WORKER_POLL_MS", 250)?),
            tenant_lock_timeout: Duration::from_millis(parse(
                &get,
                "TENANT_LOCK_TIMEOUT_MS",
                5_000,
            )?),
            worker_shutdown_grace: Duration::from_millis(parse(
                &get,
                "WORKER_SHUTDOWN_GRACE_MS",
                10_000,
            )?),
            hash_concurrency: match parse(&get, "HASH_CONCURRENCY", 2 * cores())? {
                0 => {
                    return Err(ConfigError::Invalid {
                        name: "HASH_CONCURRENCY",
                        reason: "must be at least 1".into(),
                    });
                }
                n => n,
            },
            hash_wait: Duration::from_millis(parse(&get, "HASH_WAIT_MS", 2_000)?),
            sse_max_lifetime: Duration::from_secs(parse(&get, "SSE_MAX_SECONDS", 3_600)?),
            sse_max_per_operator: parse(&get, "SSE_MAX_PER_OPERATOR", 10)?,
            change_log_retention: chrono::Duration::days(positive(
                &get,
                "CHANGE_LOG_RETENTION_DAYS",
                30,
            )?),
            health: HealthSettings {
                sample_every: Duration::from_millis(positive(
                    &get,
                    "HEALTH_SAMPLE_MS",
                    1_000 * positive(&get, "HEALTH_SAMPLE_SECONDS", 5)?,
                )?),
                recovery_samples: positive(&get, "HEALTH_RECOVERY_SAMPLES", 3)?,
                max_oldest_transaction_seconds: parse(
                    &get,
                    "HEALTH_MAX_OLDEST_TRANSACTION_SECONDS",
                    300.0,
                )?,
                max_replication_lag_seconds: parse(
                    &get,
                    "HEALTH_MAX_REPLICATION_LAG_SECONDS",
                    30.0,
                )?,
                max_lock_waiters: parse(&get, "HEALTH_MAX_LOCK_WAITERS", 10.0)?,
                wraparound_autovacuum: parse_bool(&get, "HEALTH_WRAPAROUND_AUTOVACUUM", true)?,
                check_url: get("HEALTH_CHECK_URL").filter(|u| !u.trim().is_empty()),
            },
            generated_secrets,
            kept_secrets_file: None,
        })
    }

    /// The JWT signing key's bytes.
    pub fn jwt_key(&self) -> &[u8] {
        self.jwt_secret.expose_secret().as_bytes()
    }

    /// The session signing key's bytes.
    pub fn session_key(&self) -> &[u8] {
        self.session_secret.expose_secret().as_bytes()
    }
}

/// The file, in the data directory, where demo mode keeps the secrets it generated.
pub const KEPT_SECRETS_FILE: &str = "demo-secrets.env";

/// `APP_ENV`: demo unless it says production.
fn mode_of(get: &impl Fn(&str) -> Option<String>) -> Result<Mode, ConfigError> {
    match get("APP_ENV").filter(|v| !v.trim().is_empty()).as_deref() {
        None | Some("demo") | Some("development") | Some("dev") | Some("test") => Ok(Mode::Demo),
        Some("production") | Some("prod") => Ok(Mode::Production),
        Some(other) => Err(ConfigError::Invalid {
            name: "APP_ENV",
            reason: format!("expected demo or production, got {other:?}"),
        }),
    }
}

/// The data directory of an embedded database: the SQLite file's folder (`data/` by default).
/// `None` for a server database or an in-memory one, whose processes keep generating their own.
fn demo_data_dir(get: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let url = get("DATABASE_URL")
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|file| !file.is_empty() && !file.starts_with(':'))
        .and_then(|file| Path::new(file).parent().map(Path::to_path_buf))
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            }
        })
}

/// Writes `NAME=value` lines readable by the owner only.
fn write_private(path: &Path, entries: &BTreeMap<String, String>) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // An existing file keeps its mode on open: make sure it is the owner's alone.
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    for (name, value) in entries {
        writeln!(file, "{name}={value}")?;
    }
    Ok(())
}

/// The cores this process may use (1 when unknown).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn random_secret() -> SecretString {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    SecretString::from(hex::encode(bytes))
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match get(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: e.to_string(),
        }),
    }
}

/// Like [`parse`], refusing zero: a cap or timeout of 0 would refuse everything.
fn positive<T: std::str::FromStr + PartialEq + From<u8>>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    let value = parse(get, name, default)?;
    if value == T::from(0) {
        return Err(ConfigError::Invalid {
            name,
            reason: "must be at least 1".into(),
        });
    }
    Ok(value)
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(name).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError::Invalid {
            name,
            reason: format!("expected true or false, got {other:?}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    /// A fresh folder under the system's temporary directory.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "atlas-ops-{name}-{}-{}",
            std::process::id(),
            hex::encode(rand::random::<[u8; 6]>())
        ));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn demo_secrets_survive_a_restart_in_a_private_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch_dir("kept");
        let none = |_: &str| None;
        let first = Settings::keeping_demo_secrets(&dir, none).expect("first start");
        assert_eq!(
            first.generated_secrets,
            vec!["SESSION_SECRET", "JWT_SECRET"]
        );
        let file = dir.join(KEPT_SECRETS_FILE);
        let mode = std::fs::metadata(&file).expect("kept").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by the owner only");
        // The restart signs with the same keys, so sessions and tokens stay valid.
        let second = Settings::keeping_demo_secrets(&dir, none).expect("restart");
        assert!(second.generated_secrets.is_empty());
        assert_eq!(second.session_key(), first.session_key());
        assert_eq!(second.jwt_key(), first.jwt_key());
        // A configured secret wins and is never written to the file.
        let configured = "c".repeat(40);
        let with_env = |k: &str| (k == "JWT_SECRET").then(|| configured.clone());
        let third = Settings::keeping_demo_secrets(&dir, with_env).expect("configured");
        assert_eq!(third.jwt_key(), configured.as_bytes());
        assert!(
            !std::fs::read_to_string(&file)
                .expect("kept")
                .contains(&configured)
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn the_data_directory_is_the_sqlite_database_folder() {
        let dir = |url: &str| {
            let url = url.to_owned();
            demo_data_dir(&move |k: &str| (k == "DATABASE_URL").then(|| url.clone()))
        };
        let some = |p: &str| Some(PathBuf::from(p));
        assert_eq!(
            dir("sqlite://data/atlas-ops.sqlite3?mode=rwc"),
            some("data")
        );
        assert_eq!(dir("sqlite:///tmp/x/app.db"), some("/tmp/x"));
        assert_eq!(dir("sqlite://app.db"), some("."));
        assert_eq!(dir("sqlite::memory:"), None);
        assert_eq!(dir("postgres://localhost/atlas"), None);
        assert_eq!(demo_data_dir(&|_: &str| None), some("data"));
    }

    #[test]
    fn demo_mode_generates_missing_secrets_and_says_so() {
        let s = settings(&[]).expect("demo settings");
        assert_eq!(s.mode, Mode::Demo);
        assert_eq!(s.generated_secrets, vec!["SESSION_SECRET", "JWT_SECRET"]);
        assert!(s.jwt_key().len() >= 32);
        assert_ne!(s.jwt_key(), s.session_key());
    }

    #[test]
    fn production_mode_refuses_missing_secrets() {
        let err = settings(&[("APP_ENV", "production")]).expect_err("must refuse");
        assert!(matches!(err, ConfigError::MissingSecret("SESSION_SECRET")));
        let err = settings(&[
            ("APP_ENV", "production"),
            ("SESSION_SECRET", &"s".repeat(40)),
        ])
        .expect_err("must refuse");
        assert!(matches!(err, ConfigError::MissingSecret("JWT_SECRET")));
    }

    #[test]
    fn the_public_url_is_a_base_url_or_nothing() {
        assert_eq!(settings(&[]).expect("settings").public_url, None);
        let s = settings(&[("PUBLIC_URL", "https://ops.example.com/")]).expect("settings");
        assert_eq!(s.public_url.as_deref(), Some("https://ops.example.com"));
        assert!(matches!(
            settings(&[("PUBLIC_URL", "ops.example.com")]),
            Err(ConfigError::Invalid {
                name: "PUBLIC_URL",
                ..
            })
        ));
    }

    #[test]
    fn cookies_are_secure_by_default_in_every_mode() {
        assert!(settings(&[]).expect("demo settings").cookie_secure);
        assert!(
            settings(&[("APP_ENV", "demo"), ("COOKIE_SECURE", "")])
                .expect("demo settings")
                .cookie_secure
        );
        let plain = settings(&[("COOKIE_SECURE", "false")]).expect("settings");
        assert!(!plain.cookie_secure);
    }

    #[test]
    fn the_metrics_token_is_optional_long_and_never_printed() {
        assert!(settings(&[]).expect("settings").metrics_token.is_none());
        let err = settings(&[("METRICS_TOKEN", "short")]).expect_err("invalid");
        assert!(err.to_string().contains("METRICS_TOKEN"), "{err}");
        let token = "metrics-token-0123456789abcdef0123456789";
        let s = settings(&[("METRICS_TOKEN", token)]).expect("settings");
        assert_eq!(
            s.metrics_token.as_ref().map(|t| t.expose_secret()),
            Some(token)
        );
        let dump = format!("{s:?}");
        assert!(!dump.contains(token), "{dump}");
    }

    #[test]
    fn production_mode_with_secrets_defaults_to_secure_cookies() {
        let s = settings(&[
            ("APP_ENV", "production"),
            ("SESSION_SECRET", &"s".repeat(40)),
            ("JWT_SECRET", &"j".repeat(40)),
        ])
        .expect("settings");
        assert!(s.cookie_secure);
        assert!(s.generated_secrets.is_empty());
    }

    #[test]
    fn secrets_never_print() {
        let s = settings(&[("JWT_SECRET", "a-very-secret-value-that-is-long-enough")])
            .expect("settings");
        let dump = format!("{s:?}");
        assert!(!dump.contains("a-very-secret-value"), "{dump}");
        assert!(dump.contains("REDACTED"));
    }

    #[test]
    fn bad_values_are_named() {
        let err = settings(&[("WORKERS", "many")]).expect_err("invalid");
        assert!(err.to_string().contains("WORKERS"));
        let err = settings(&[("COOKIE_SECURE", "maybe")]).expect_err("invalid");
        assert!(err.to_string().contains("COOKIE_SECURE"));
        let err = settings(&[("JWT_SECRET", "short")]).expect_err("invalid");
        assert!(err.to_string().contains("at least 32"));
        let err = settings(&[("MAX_CONNECTIONS_PER_IP", "0")]).expect_err("invalid");
        assert!(err.to_string().contains("MAX_CONNECTIONS_PER_IP"), "{err}");
    }

    #[test]
    fn the_second_pass_limits_have_their_documented_defaults() {
        let s = settings(&[]).expect("settings");
        assert_eq!(s.max_body_bytes, 65_536);
        assert_eq!(s.max_scope_body_bytes, 524_288);
        assert_eq!(s.keep_alive, Duration::from_secs(5));
        assert_eq!(s.max_connections_per_ip, 64);
        assert_eq!(s.max_connections, 4_096);
        assert_eq!(s.change_log_retention, chrono::Duration::days(30));
        assert_eq!(s.login_failures_per_ip_per_minute, 30);
        let s = settings(&[
            ("KEEP_ALIVE_SECONDS", "9"),
            ("MAX_CONNECTIONS_PER_IP", "3"),
            ("LOGIN_FAILURES_PER_IP_PER_MINUTE", "7"),
        ])
        .expect("settings");
        assert_eq!(s.keep_alive, Duration::from_secs(9));
        assert_eq!(s.max_connections_per_ip, 3);
        assert_eq!(s.login_failures_per_ip_per_minute, 7);
    }
}
