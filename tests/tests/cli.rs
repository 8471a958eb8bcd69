//! The real `atlas-ops` binary against SQLite and PostgreSQL: `findings backfill-lifecycle`
//! (preflight only, every exit code, refusals, `--yes --wait` and its data), `deploy-runbooks`
//! (two concurrent deploys make one run; a deploy after a clean run starts nothing; timeout)
//! and `runs list|show`.
//!
//! The `atlas-ops` binary lives in the backend package, so `CARGO_BIN_EXE_atlas-ops` does not
//! exist here and `target/debug/atlas-ops` may be missing or stale. This package therefore
//! declares a `[[bin]]` target `atlas-ops-cli` built from the same `backend/src/main.rs` (see
//! tests/Cargo.toml): cargo builds it with these tests, so it is always current.
//! `ATLAS_OPS_BIN=/path/to/atlas-ops` runs another build instead. Runs are executed by an `atlas-ops worker` child process (killed when the test
//! ends), like production where `serve` or `worker` processes run the jobs.

use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use assert_cmd::assert::OutputAssertExt;
use atlas_ops::auth::operators;
use atlas_ops::domain::capability::Capability;
use atlas_ops_tests::runs::{SMALL, count, expected_after, snapshot};
use atlas_ops_tests::{Backend, TestDatabase, db_tests};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::Value;

const REASON: [&str; 4] = [
    "--reason-code",
    "data_repair",
    "--reason",
    "repair legacy lifecycle columns",
];

/// The `atlas-ops` binary under test.
fn binary() -> PathBuf {
    atlas_ops_tests::atlas_ops_bin!()
}

/// A migrated, seeded ([`SMALL`]: 6 tenants + platform) database and a pool on it.
struct Env {
    database: TestDatabase,
    db: DatabaseConnection,
}

impl Env {
    async fn new(backend: Backend) -> Self {
        let database = TestDatabase::create(backend).await;
        let db = database.connect().await;
        atlas_ops::db::migrate(&db).await.expect("migrate");
        atlas_ops::demo::seed(&db, SMALL, Some("seed-password-0451".into()))
            .await
            .expect("seed");
        Self { database, db }
    }

    /// `atlas-ops ARGS` with this database's environment (stdin: null, so never a terminal).
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(binary());
        cmd.args(args)
            .env_remove("ATLAS_CONFIG")
            .env("DATABASE_URL", &self.database.url)
            .env("APP_ENV", "demo")
            .env(
                "SESSION_SECRET",
                "cli-test-session-secret-0123456789abcdef0123",
            )
            .env(
                "JWT_SECRET",
                "cli-test-jwt-secret-0123456789abcdef0123456789",
            )
            .env("WORKERS", "2")
            .env("WORKER_POLL_MS", "50")
            .env("LOG_LEVEL", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// Runs `atlas-ops ARGS` to completion.
    async fn run(&self, args: &[&str]) -> Output {
        tokio::time::timeout(Duration::from_secs(120), self.command(args).output())
            .await
            .expect("atlas-ops finished within 120 s")
            .expect("run atlas-ops")
    }

    /// An `atlas-ops worker` child, killed when dropped.
    fn worker(&self) -> tokio::process::Child {
        self.command(&["worker"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn atlas-ops worker")
    }

    async fn count(&self, sql: &str) -> i64 {
        count(&self.db, sql).await
    }
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Asserts the exit code; on failure assert_cmd prints the command's stdout and stderr.
fn expect_code(output: &Output, code: i32) {
    output.clone().assert().code(code);
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn args<'a>(head: &[&'a str], tail: &[&'a str]) -> Vec<&'a str> {
    head.iter().chain(tail).copied().collect()
}

async fn preflight_only_changes_nothing(backend: Backend) {
    let env = Env::new(backend).await;
    let before = snapshot(&env.db).await;

    let out = env
        .run(&[
            "findings",
            "backfill-lifecycle",
            "--all-tenants",
            "--preflight-only",
        ])
        .await;
    expect_code(&out, 0);
    let table = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "tenants in scope     6",
        "findings to change",
        "R1   first_seen",
        "R7   terminal_timestamps",
        "sample (",
        "REBUILD 6 TENANTS",
    ] {
        assert!(table.contains(needle), "missing {needle:?} in:\n{table}");
    }

    let out = env
        .run(&[
            "findings",
            "backfill-lifecycle",
            "--tenant",
            "tenant-002",
            "--preflight-only",
            "--json",
        ])
        .await;
    expect_code(&out, 0);
    let json = stdout_json(&out);
    assert_eq!(json["preflight"]["tenants_in_scope"], 1);
    assert_eq!(json["preflight"]["confirmation"]["required"], false);
    assert!(json["preflight"]["findings_to_change"].as_u64() > Some(0));
    assert_eq!(json["run"], Value::Null);

    assert_eq!(snapshot(&env.db).await, before, "preflight changed data");
    assert_eq!(env.count("SELECT COUNT(*) FROM operation_runs").await, 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM jobs").await, 0);
}

async fn refusals_exit_3_and_change_nothing(backend: Backend) {
    let env = Env::new(backend).await;
    let before = snapshot(&env.db).await;
    let all = ["findings", "backfill-lifecycle", "--all-tenants"];

    // Missing reason.
    let out = env.run(&args(&all, &["--yes"])).await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("needs a reason"), "{}", stderr(&out));
    // Reason text too short.
    let out = env
        .run(&args(
            &all,
            &[
                "--yes",
                "--reason-code",
                "data_repair",
                "--reason",
                "too short",
            ],
        ))
        .await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("10 to 500"), "{}", stderr(&out));
    // Unknown reason code.
    let out = env
        .run(&args(
            &all,
            &[
                "--yes",
                "--reason-code",
                "because",
                "--reason",
                "long enough text",
            ],
        ))
        .await;
    expect_code(&out, 3);
    // Wrong phrase.
    let out = env
        .run(&args(
            &args(&all, &REASON),
            &["--confirm", "REBUILD 5 TENANTS", "--json"],
        ))
        .await;
    expect_code(&out, 3);
    let json = stdout_json(&out);
    assert_eq!(json["error"]["kind"], "invalid");
    assert!(
        json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("REBUILD 6 TENANTS")),
        "{json}"
    );
    assert_eq!(json["exit_code"], 3);
    // No phrase and no terminal.
    let out = env.run(&args(&all, &REASON)).await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("--confirm"), "{}", stderr(&out));
    // The platform tenant.
    let out = env
        .run(&args(
            &[
                "findings",
                "backfill-lifecycle",
                "--tenant",
                "platform",
                "--yes",
            ],
            &REASON,
        ))
        .await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("platform"), "{}", stderr(&out));
    // An operator without the all-tenants capability.
    operators::create_operator(
        &env.db,
        "viewer",
        None,
        "limited-password-0451",
        &[Capability::RunbooksView, Capability::RunbooksRun],
    )
    .await
    .expect("operator");
    let out = env
        .run(&args(
            &args(&all, &REASON),
            &["--yes", "--operator", "viewer"],
        ))
        .await;
    expect_code(&out, 3);
    assert!(
        stderr(&out).contains("ops.runbooks.run_all_tenants"),
        "{}",
        stderr(&out)
    );

    assert_eq!(snapshot(&env.db).await, before);
    assert_eq!(env.count("SELECT COUNT(*) FROM operation_runs").await, 0);

    // A conflict: a single-tenant run is active (no worker runs it), all tenants overlap it.
    let out = env
        .run(&args(
            &[
                "findings",
                "backfill-lifecycle",
                "--tenant",
                "tenant-001",
                "--yes",
            ],
            &REASON,
        ))
        .await;
    expect_code(&out, 0);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("run #"),
        "prints the run id"
    );
    let out = env
        .run(&args(&args(&all, &REASON), &["--yes", "--json"]))
        .await;
    expect_code(&out, 3);
    let json = stdout_json(&out);
    assert_eq!(json["error"]["kind"], "conflict");
    assert!(json["error"]["active_run_id"].as_i64().is_some(), "{json}");
    assert_eq!(env.count("SELECT COUNT(*) FROM operation_runs").await, 1);
    assert_eq!(snapshot(&env.db).await, before, "nothing ran");
}

async fn usage_errors_exit_2(backend: Backend) {
    let env = Env::new(backend).await;
    let cases: [&[&str]; 6] = [
        // No scope.
        &["findings", "backfill-lifecycle", "--yes"],
        // Both scopes.
        &[
            "findings",
            "backfill-lifecycle",
            "--all-tenants",
            "--tenant",
            "tenant-001",
        ],
        // --yes and --confirm together.
        &[
            "findings",
            "backfill-lifecycle",
            "--all-tenants",
            "--yes",
            "--confirm",
            "REBUILD 6 TENANTS",
        ],
        // Unknown flag.
        &["findings", "backfill-lifecycle", "--all-tenants", "--force"],
        // Unknown status filter.
        &["runs", "list", "--status", "sleeping"],
        // Non-numeric run id.
        &["runs", "show", "abc"],
    ];
    for case in cases {
        let out = env.run(case).await;
        expect_code(&out, 2);
        assert!(!out.stderr.is_empty(), "a hint for {case:?}");
    }
    // An unknown tenant is a usage error too (checked after the reason).
    let out = env
        .run(&args(
            &[
                "findings",
                "backfill-lifecycle",
                "--tenant",
                "nope",
                "--yes",
            ],
            &REASON,
        ))
        .await;
    expect_code(&out, 2);
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));
    assert_eq!(env.count("SELECT COUNT(*) FROM operation_runs").await, 0);
}

async fn yes_wait_completes_a_run_and_the_data_matches(backend: Backend) {
    let env = Env::new(backend).await;
    let before = snapshot(&env.db).await;
    let _worker = env.worker();

    let out = env
        .run(&args(
            &[
                "findings",
                "backfill-lifecycle",
                "--all-tenants",
                "--yes",
                "--wait",
            ],
            &REASON,
        ))
        .await;
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("completed: succeeded"), "{text}");
    assert!(text.contains("6 total, 6 succeeded, 0 failed"), "{text}");
    assert_eq!(snapshot(&env.db).await, expected_after(&before));

    // The run, as `runs list` and `runs show` report it.
    let out = env.run(&["runs", "list", "--json"]).await;
    expect_code(&out, 0);
    let list = stdout_json(&out);
    assert_eq!(list["total"], 1);
    let run = &list["items"][0];
    assert_eq!(run["source"], "cli");
    assert_eq!(run["initiator"], Value::Null);
    assert_eq!(run["reason"]["code"], "data_repair");
    let id = run["id"].as_i64().expect("run id").to_string();
    let out = env.run(&["runs", "show", &id, "--json"]).await;
    expect_code(&out, 0);
    let shown = stdout_json(&out);
    assert_eq!(shown["status"], "completed");
    assert_eq!(shown["outcome"], "succeeded");
    assert_eq!(shown["counts"]["succeeded"], 6);
    assert_eq!(shown["items"]["total"], 6);
    let out = env.run(&["runs", "show", &id]).await;
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("tenant-006"));
    expect_code(&env.run(&["runs", "show", "999999"]).await, 1);
    let out = env.run(&["runs", "list", "--status", "queued"]).await;
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no runs"));

    // A single-tenant run as an operator, confirmed with --yes; idempotent now.
    operators::create_operator(
        &env.db,
        "runner",
        None,
        "pipeline-pass-0451",
        &Capability::ALL,
    )
    .await
    .expect("operator");
    let out = env
        .run(&args(
            &[
                "findings",
                "backfill-lifecycle",
                "--tenant",
                "tenant-003",
                "--yes",
                "--wait",
                "--operator",
                "runner",
                "--json",
            ],
            &REASON,
        ))
        .await;
    expect_code(&out, 0);
    let json = stdout_json(&out);
    assert_eq!(json["preflight"]["findings_to_change"], 0);
    assert_eq!(json["run"]["outcome"], "succeeded");
    assert_eq!(json["run"]["initiator"]["username"], "runner");
    assert_eq!(json["run"]["counts"]["findings_changed"], 0);
}

async fn break_tenant(env: &Env, backend: Backend, external_id: &str) {
    let tenant_id = count(
        &env.db,
        &format!("SELECT id FROM tenants WHERE external_id = '{external_id}'"),
    )
    .await;
    assert!(tenant_id > 0, "tenant {external_id}");
    let sql = match backend {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER break_tenant BEFORE UPDATE ON findings WHEN NEW.tenant_id = {tenant_id} \
             BEGIN SELECT RAISE(ABORT, 'injected failure for tenant {tenant_id}'); END"
        )],
        Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION break_tenant() RETURNS trigger AS $$ BEGIN \
                 IF NEW.tenant_id = {tenant_id} THEN RAISE EXCEPTION 'injected failure for tenant {tenant_id}'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER break_tenant BEFORE UPDATE ON findings FOR EACH ROW EXECUTE FUNCTION break_tenant()".into(),
        ],
    };
    for s in sql {
        env.db.execute_unprepared(&s).await.expect("trigger");
    }
}

async fn a_partial_run_exits_1(backend: Backend) {
    let env = Env::new(backend).await;
    break_tenant(&env, backend, "tenant-004").await;
    let _worker = env.worker();
    // The broken tenant is retried with backoff (2 s, 4 s) before it fails: ~6 s.
    let out = env
        .run(&args(
            &[
                "findings",
                "backfill-lifecycle",
                "--all-tenants",
                "--yes",
                "--wait",
                "--json",
            ],
            &REASON,
        ))
        .await;
    expect_code(&out, 1);
    let json = stdout_json(&out);
    assert_eq!(json["run"]["outcome"], "partially_succeeded", "{json}");
    assert_eq!(json["run"]["counts"]["failed"], 1);
    assert_eq!(json["run"]["counts"]["succeeded"], 5);
    assert_eq!(json["exit_code"], 1);
    let id = json["run"]["id"].as_i64().expect("id").to_string();
    let out = env.run(&["runs", "show", &id]).await;
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("injected failure"), "{text}");
}

async fn wait_for_audit(env: &Env, actions: &str, n: i64) {
    let sql = format!("SELECT COUNT(*) FROM audit_events WHERE action IN ({actions})");
    for _ in 0..300 {
        if env.count(&sql).await >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fewer than {n} audit events {actions}");
}

async fn concurrent_deploys_make_one_run_and_a_clean_deploy_starts_nothing(backend: Backend) {
    let env = Env::new(backend).await;
    // Both deploys start before any worker exists, so both must join the same run.
    let a = env
        .command(&["deploy-runbooks", "--json"])
        .spawn()
        .expect("a");
    let b = env
        .command(&["deploy-runbooks", "--json"])
        .spawn()
        .expect("b");
    wait_for_audit(&env, "'runbook.run.started', 'runbook.run.deduplicated'", 2).await;
    let worker = env.worker();
    let (a, b) = tokio::join!(a.wait_with_output(), b.wait_with_output());
    let (a, b) = (a.expect("deploy a"), b.expect("deploy b"));
    expect_code(&a, 0);
    expect_code(&b, 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM operation_runs").await, 1);
    let (ja, jb) = (stdout_json(&a), stdout_json(&b));
    let run_a = &ja["runbooks"][0]["run"];
    let run_b = &jb["runbooks"][0]["run"];
    assert_eq!(run_a["id"], run_b["id"], "both waited for the same run");
    assert_eq!(run_a["source"], "deploy_hook");
    assert_eq!(run_a["reason"]["code"], "migration");
    assert_eq!(
        run_a["reason"]["text"],
        "deploy hook: runbook findings.lifecycle.rebuild v1"
    );
    assert_eq!(run_a["outcome"], "succeeded");
    let mut actions = [
        ja["runbooks"][0]["action"].clone(),
        jb["runbooks"][0]["action"].clone(),
    ];
    actions.sort_by_key(Value::to_string);
    assert_eq!(actions, [Value::from("joined"), Value::from("started")]);
    assert!(run_a["counts"]["findings_changed"].as_i64() > Some(0));

    // The last run changed findings: the next deploy runs again and finds nothing (clean).
    let out = env.run(&["deploy-runbooks"]).await;
    expect_code(&out, 0);
    assert_eq!(env.count("SELECT COUNT(*) FROM operation_runs").await, 2);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM operation_runs WHERE findings_changed = 0")
            .await,
        1
    );
    drop(worker);

    // After that clean run, a deploy starts nothing (and needs no worker).
    let out = env.run(&["deploy-runbooks"]).await;
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("skipped"), "{text}");
    assert_eq!(env.count("SELECT COUNT(*) FROM operation_runs").await, 2);
}

async fn deploy_times_out_without_workers(backend: Backend) {
    let env = Env::new(backend).await;
    let out = env
        .run(&["deploy-runbooks", "--timeout-seconds", "1"])
        .await;
    expect_code(&out, 1);
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
    // The run goes on: a later deploy with in-process workers joins and finishes it.
    let out = env.run(&["deploy-runbooks", "--inline", "--json"]).await;
    expect_code(&out, 0);
    let json = stdout_json(&out);
    assert_eq!(json["runbooks"][0]["action"], "joined");
    assert_eq!(json["runbooks"][0]["run"]["outcome"], "succeeded");
    assert_eq!(env.count("SELECT COUNT(*) FROM operation_runs").await, 1);
}

db_tests!(
    preflight_only_changes_nothing,
    refusals_exit_3_and_change_nothing,
    usage_errors_exit_2,
    yes_wait_completes_a_run_and_the_data_matches,
    a_partial_run_exits_1,
    concurrent_deploys_make_one_run_and_a_clean_deploy_starts_nothing,
    deploy_times_out_without_workers,
);
