//! The real `atlas-ops` binary against SQLite and PostgreSQL: `findings backfill-lifecycle`
//! (preflight only, every exit code, refusals, `--yes --wait` and its data), `deploy-runbooks`
//! (two concurrent deploys make one run; a deploy after a clean run starts nothing; timeout),
//! `runs list|show|attempts` and `runbooks list` (with each runbook's latest run).
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
use serde_json::{Value, json};

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
    /// A migrated database without any data (for `demo seed` itself).
    async fn empty(backend: Backend) -> Self {
        let database = TestDatabase::create(backend).await;
        let db = database.connect().await;
        atlas_ops::db::migrate(&db).await.expect("migrate");
        Self { database, db }
    }

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

    /// The name of the tenant with `external_id`.
    async fn name_of(&self, external_id: &str) -> String {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        atlas_ops::entities::tenants::Entity::find()
            .filter(atlas_ops::entities::tenants::Column::ExternalId.eq(external_id))
            .one(&self.db)
            .await
            .expect("tenant")
            .expect("exists")
            .name
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
    // `runs changes`: the change log (docs/spec.md §15), one tenant's, as JSON and as text.
    let out = env
        .run(&[
            "runs",
            "changes",
            &id,
            "--tenant",
            "tenant-002",
            "--per-page",
            "100",
            "--json",
        ])
        .await;
    expect_code(&out, 0);
    let changes = stdout_json(&out);
    let tenant_2 = &shown["items"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["tenant_external_id"] == "tenant-002")
        .expect("tenant-002")
        .clone();
    assert_eq!(changes["total"], tenant_2["findings_changed"], "{changes}");
    let first = &changes["items"][0];
    assert_eq!(first["tenant_id"], tenant_2["tenant_id"]);
    assert!(
        first["after"].as_object().is_some_and(|a| !a.is_empty()),
        "{first}"
    );
    let out = env.run(&["runs", "changes", &id, "--per-page", "1"]).await;
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(" changed row(s); page 1"), "{text}");
    assert!(text.contains(" -> "), "{text}");
    expect_code(
        &env.run(&["runs", "changes", &id, "--tenant", "tenant-999"])
            .await,
        1,
    );
    expect_code(&env.run(&["runs", "changes", "999999"]).await, 1);
    expect_code(
        &env.run(&["runs", "changes", &id, "--per-page", "0"]).await,
        2,
    );
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

    // Nothing is left to change: a start that is not `--yes` needs `--allow-no-changes`.
    let confirm = ["--confirm", "REBUILD 6 TENANTS"];
    let head = ["findings", "backfill-lifecycle", "--all-tenants"];
    let out = env.run(&args(&args(&head, &confirm), &REASON)).await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("no_changes"), "{}", stderr(&out));
    let out = env
        .run(&args(
            &args(&args(&head, &confirm), &["--allow-no-changes"]),
            &REASON,
        ))
        .await;
    expect_code(&out, 0);
}

/// `--tenants-file` (one external id a line, or a CSV with an `external_id` column) and
/// `--workspace` run over exactly those tenants, with the typed phrase of their number; an
/// unknown id in the file is refused, named, and nothing starts (docs/spec.md §21).
async fn tenants_file_and_workspace_scopes(backend: Backend) {
    let env = Env::new(backend).await;
    let _worker = env.worker();
    let dir = tempfile::tempdir().expect("temp dir");
    let lines = dir.path().join("tenants.txt");
    std::fs::write(
        &lines,
        "# the two to repair\ntenant-002\n\ntenant-005\ntenant-002\n",
    )
    .expect("write");
    let head = ["runbooks", "run", "findings.lifecycle.rebuild"];
    let file = lines.to_str().expect("utf-8 path");

    // The typed phrase names the two listed tenants; anything else starts nothing.
    let out = env
        .run(&args(
            &args(
                &head,
                &["--tenants-file", file, "--confirm", "REBUILD 6 TENANTS"],
            ),
            &REASON,
        ))
        .await;
    expect_code(&out, 3);
    assert!(
        stderr(&out).contains("REBUILD 2 TENANTS"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM operation_runs").await, 0);

    let out = env
        .run(&args(
            &args(
                &head,
                &["--tenants-file", file, "--yes", "--wait", "--json"],
            ),
            &REASON,
        ))
        .await;
    expect_code(&out, 0);
    let json = stdout_json(&out);
    assert_eq!(json["preflight"]["tenants_in_scope"], 2);
    assert_eq!(json["run"]["scope"]["kind"], "tenants");
    assert_eq!(json["run"]["scope"]["count"], 2);
    assert_eq!(json["run"]["counts"]["succeeded"], 2);
    let items = env
        .count(
            "SELECT COUNT(*) FROM run_items i JOIN tenants t ON t.id = i.tenant_id \
             WHERE t.external_id IN ('tenant-002', 'tenant-005')",
        )
        .await;
    assert_eq!(items, 2, "exactly the listed tenants");
    assert_eq!(env.count("SELECT COUNT(*) FROM run_items").await, 2);

    // A CSV with an external_id column; an unknown id is named and nothing starts.
    let csv = dir.path().join("tenants.csv");
    std::fs::write(&csv, "name,external_id\nOne,tenant-001\nGhost,tenant-404\n").expect("write");
    let out = env
        .run(&args(
            &args(
                &head,
                &["--tenants-file", csv.to_str().expect("utf-8"), "--yes"],
            ),
            &REASON,
        ))
        .await;
    expect_code(&out, 3);
    assert!(
        stderr(&out).contains("tenant tenant-404 does not exist"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM operation_runs").await, 1);
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n# nothing\n").expect("write");
    let out = env
        .run(&args(
            &args(
                &head,
                &["--tenants-file", empty.to_str().expect("utf-8"), "--yes"],
            ),
            &REASON,
        ))
        .await;
    expect_code(&out, 2);
    assert!(stderr(&out).contains("lists no tenant"), "{}", stderr(&out));

    // A workspace: its tenants at the preflight.
    let workspace = env
        .count("SELECT MIN(workspace_id) FROM tenants WHERE external_id <> 'platform'")
        .await;
    let in_workspace = env
        .count(&format!(
            "SELECT COUNT(*) FROM tenants WHERE workspace_id = {workspace} AND external_id <> 'platform'"
        ))
        .await;
    let id = workspace.to_string();
    let out = env
        .run(&args(
            &args(&head, &["--workspace", &id, "--yes", "--wait", "--json"]),
            &REASON,
        ))
        .await;
    expect_code(&out, 0);
    let json = stdout_json(&out);
    assert_eq!(json["run"]["scope"]["kind"], "workspace");
    assert_eq!(json["run"]["scope"]["workspace_id"], workspace);
    assert_eq!(json["run"]["counts"]["total"], in_workspace);
    assert_eq!(
        json["preflight"]["confirmation"]["phrase"],
        format!("REBUILD {in_workspace} TENANTS")
    );
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
    // Tenants are named `name (external_id)`.
    let name = env.name_of("tenant-004").await;
    assert!(text.contains(&format!("{name} (tenant-004)")), "{text}");

    // `runs list` filters as the API does, and exports CSV.
    let out = env
        .run(&["runs", "list", "--outcome", "succeeded", "--json"])
        .await;
    expect_code(&out, 0);
    assert_eq!(stdout_json(&out)["total"], 0);
    let out = env
        .run(&[
            "runs",
            "list",
            "--outcome",
            "partially_succeeded",
            "--source",
            "cli",
            "--json",
        ])
        .await;
    expect_code(&out, 0);
    assert_eq!(stdout_json(&out)["total"], 1);
    let out = env
        .run(&["runs", "list", "--initiator", "nobody", "--json"])
        .await;
    assert_eq!(stdout_json(&out)["total"], 0);
    let out = env.run(&["runs", "list", "--csv"]).await;
    expect_code(&out, 0);
    let csv = String::from_utf8_lossy(&out.stdout);
    let mut lines = csv.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("id,runbook,runbook_version,scope.kind"),
        "{csv}"
    );
    assert!(header.contains("counts.total"), "{csv}");
    assert_eq!(lines.count(), 1, "{csv}");
    expect_code(&env.run(&["runs", "list", "--outcome", "meh"]).await, 2);
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

async fn runbooks_list_and_run_any_runbook_with_parameters(backend: Backend) {
    let env = Env::new(backend).await;
    let out = env.run(&["runbooks", "list", "--json"]).await;
    expect_code(&out, 0);
    let catalogue = stdout_json(&out);
    assert_eq!(catalogue["items"][1]["key"], "findings.stale.close");
    assert_eq!(
        catalogue["items"][1]["rule_details"][0]["name"],
        "close_stale"
    );
    assert_eq!(catalogue["items"][1]["last_run"], Value::Null);
    let out = env.run(&["runbooks", "list"]).await;
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("findings.stale.close") && text.contains("--param last_seen_before"),
        "{text}"
    );
    assert_eq!(text.matches("never run").count(), 2, "{text}");

    // Bad parameters: refused (exit 3) with the field named; nothing started.
    let run = ["runbooks", "run", "findings.stale.close", "--all-tenants"];
    let out = env
        .run(&args(
            &run,
            &[
                "--param",
                "severities=urgent",
                "--param",
                "last_seen_before=30d",
                "--preflight-only",
            ],
        ))
        .await;
    expect_code(&out, 3);
    assert!(
        stderr(&out).contains("parameters.severities"),
        "{}",
        stderr(&out)
    );
    let out = env
        .run(&args(&run, &["--param", "oops", "--preflight-only"]))
        .await;
    expect_code(&out, 2);
    let out = env
        .run(&[
            "runbooks",
            "run",
            "no.such.runbook",
            "--all-tenants",
            "--preflight-only",
        ])
        .await;
    expect_code(&out, 2);

    // "Older than N days" (the seed is from early 2025, so 30d covers every open finding of
    // the chosen severities), started, worked inline, and equal to a second run: nothing.
    let out = env
        .run(&args(
            &run,
            &[
                "--param",
                "last_seen_before=30d",
                "--param",
                "severities=high,critical",
                "--reason-code",
                "data_repair",
                "--reason",
                "close findings nobody sees any more",
                "--yes",
                "--wait",
                "--inline",
                "--json",
            ],
        ))
        .await;
    expect_code(&out, 0);
    let report = stdout_json(&out);
    assert_eq!(report["run"]["outcome"], "succeeded");
    assert_eq!(
        report["run"]["parameters"]["severities"],
        json!(["high", "critical"])
    );
    let open_left = env
        .count(
            "SELECT COUNT(*) FROM findings f JOIN tenants t ON t.id = f.tenant_id \
             WHERE t.external_id <> 'platform' AND f.severity IN ('high', 'critical') \
             AND f.status IN ('new', 'triaged', 'in_progress', 'reopened', 'acknowledged')",
        )
        .await;
    assert_eq!(open_left, 0);
    let closed = env
        .count("SELECT COUNT(*) FROM findings WHERE closed_reason = 'stale'")
        .await;
    assert_eq!(report["run"]["counts"]["findings_changed"], closed);
    // The catalogue names that run as Close Stale's latest (docs/spec.md §21).
    let catalogue = stdout_json(&env.run(&["runbooks", "list", "--json"]).await);
    let last = &catalogue["items"][1]["last_run"];
    assert_eq!(last["id"], report["run"]["id"]);
    assert_eq!(
        (&last["status"], &last["outcome"]),
        (&json!("completed"), &json!("succeeded"))
    );
    assert_eq!(catalogue["items"][0]["last_run"], Value::Null);
    let out = env.run(&["runbooks", "list"]).await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains(&format!(
            "last run #{} succeeded, completed ",
            report["run"]["id"]
        )),
        "{text}"
    );
    let out = env
        .run(&args(
            &run,
            &[
                "--param",
                "last_seen_before=30d",
                "--param",
                "severities=high,critical",
                "--preflight-only",
                "--json",
            ],
        ))
        .await;
    expect_code(&out, 0);
    assert_eq!(stdout_json(&out)["preflight"]["findings_to_change"], 0);
}

/// `demo seed --tenants N --findings-per-tenant N --workspaces N` seeds that shape (the console's
/// 1,000-tenant e2e uses it); a second seed changes nothing; zero workspaces is a usage error.
async fn demo_seed_takes_a_shape(backend: Backend) {
    let env = Env::empty(backend).await;
    let refused = env
        .run(&["demo", "seed", "--tenants", "3", "--workspaces", "0"])
        .await;
    expect_code(&refused, 2);
    assert_eq!(env.count("SELECT COUNT(*) FROM workspaces").await, 0);

    let shape = [
        "demo",
        "seed",
        "--tenants",
        "7",
        "--findings-per-tenant",
        "2",
        "--workspaces",
        "2",
    ];
    let seeded = env
        .command(&shape)
        .env("DEMO_PASSWORD", "shape-seed-password-0451")
        .output()
        .await
        .expect("run");
    expect_code(&seeded, 0);
    assert!(
        String::from_utf8_lossy(&seeded.stdout)
            .contains("seeded 7 tenants (+ the platform tenant) and 14 findings"),
        "{}",
        String::from_utf8_lossy(&seeded.stdout)
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM workspaces").await, 2);
    // 7 tenants plus the platform tenant, 2 findings each (the platform tenant has none).
    assert_eq!(env.count("SELECT COUNT(*) FROM tenants").await, 8);
    assert_eq!(env.count("SELECT COUNT(*) FROM findings").await, 14);
    assert_eq!(
        env.count(
            "SELECT COUNT(DISTINCT workspace_id) FROM tenants WHERE external_id <> 'platform'"
        )
        .await,
        2
    );

    let again = env.run(&shape).await;
    expect_code(&again, 0);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already present"));
    assert_eq!(env.count("SELECT COUNT(*) FROM tenants").await, 8);
}

/// `runs show` of a run in flight: its retrying and cancelled counts, and the stall with the
/// tenant it waits on, and `runs attempts` of its tenants. The run is driven through the service
/// layer on the system clock (the CLI's), with the stall's timestamps moved a minute into the
/// past.
async fn runs_show_prints_retrying_cancelled_and_the_stall(backend: Backend) {
    use atlas_ops::domain::run::Scope;
    use atlas_ops::jobs::{self, worker::try_execute_one};
    use atlas_ops::runs::{Initiator, preflight, service, start};

    let env = Env::new(backend).await;
    break_tenant(&env, backend, "tenant-004").await;
    let ctx = atlas_ops::app::context(
        env.db.clone(),
        atlas_ops_tests::test_settings(&env.database.url),
    );
    let op = operators::create_operator(
        &env.db,
        "runner",
        None,
        "pipeline-password-0451",
        &Capability::ALL,
    )
    .await
    .expect("operator");
    let who = Initiator {
        operator_id: op.id,
        username: op.username,
        capabilities: Capability::ALL.to_vec(),
    };
    let pf = preflight::preflight(
        &ctx,
        "findings.lifecycle.rebuild",
        Scope::AllTenants,
        &Value::Null,
        Some(&who),
        Default::default(),
    )
    .await
    .expect("preflight");
    let run_id = start::start(&ctx, atlas_ops_tests::runs::start_request(&pf, Some(&who)))
        .await
        .expect("start")
        .run
        .id;
    // The fan-out, tenants 1-3, tenant 4 (fails, waits for its retry); then a worker takes
    // tenant 5 and hangs on it.
    for _ in 0..5 {
        try_execute_one(&ctx).await.expect("job");
    }
    let hung = jobs::claim(&env.db, ctx.now(), chrono::Duration::seconds(600))
        .await
        .expect("claim")
        .expect("tenant 5's job");
    let hung_item = hung.payload["item_id"].as_i64().expect("item");
    service::start_item(
        &ctx,
        hung.payload["run_id"].as_i64().expect("run"),
        hung_item,
        hung.attempts,
        &hung.worker,
        false,
    )
    .await
    .expect("start item");
    let a_minute_ago = (chrono::Utc::now() - chrono::Duration::seconds(60)).to_rfc3339();
    for sql in [
        format!("UPDATE operation_runs SET progressed_at = '{a_minute_ago}' WHERE id = {run_id}"),
        format!("UPDATE run_items SET started_at = '{a_minute_ago}' WHERE id = {hung_item}"),
    ] {
        env.db.execute_unprepared(&sql).await.expect("backdate");
    }

    let show = |expect: &'static [&'static str]| {
        let env = &env;
        let id = run_id.to_string();
        async move {
            let out = env.run(&["runs", "show", &id]).await;
            expect_code(&out, 0);
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            for wanted in expect {
                assert!(text.contains(wanted), "{wanted:?} in:\n{text}");
            }
        }
    };
    show(&[
        "6 total, 3 processed, 3 succeeded, 0 failed, 0 skipped, 1 retrying, 0 cancelled",
        "stalled            since ",
        "waiting on tenant tenant-005",
    ])
    .await;
    // `runs attempts`: tenant 4's failed attempt with its error, by tenant or by item id, as
    // text or as the API's JSON (docs/spec.md §21).
    let id = run_id.to_string();
    let out = env
        .run(&["runs", "attempts", &id, "--tenant", "tenant-004"])
        .await;
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains(": 1 attempt(s)"), "{text}");
    assert!(text.contains("injected failure for tenant"), "{text}");
    let hung_id = hung_item.to_string();
    let out = env
        .run(&["runs", "attempts", &id, &hung_id, "--json"])
        .await;
    expect_code(&out, 0);
    let attempts = stdout_json(&out);
    assert_eq!(attempts["items"][0]["attempt"], 1, "{attempts}");
    assert_eq!(
        attempts["items"][0]["worker"],
        Value::String(hung.worker.clone())
    );
    assert_eq!(
        attempts["items"][0]["finished_at"],
        Value::Null,
        "still running"
    );
    // No such item in this run (or no such run): exit 1; both ways of naming it: usage, 2.
    expect_code(
        &env.run(&["runs", "attempts", &id, "--tenant", "tenant-999"])
            .await,
        1,
    );
    expect_code(&env.run(&["runs", "attempts", "999999", &hung_id]).await, 1);
    expect_code(
        &env.run(&["runs", "attempts", &id, &hung_id, "--tenant", "tenant-004"])
            .await,
        2,
    );
    expect_code(&env.run(&["runs", "attempts", &id]).await, 2);
    service::cancel(
        &ctx,
        run_id,
        Some(&who),
        "stop this run for now",
        &atlas_ops::auth::RequestMeta::from_source("cli"),
    )
    .await
    .expect("cancel");
    // Tenant 4 (waiting for its retry) and tenant 6 (pending) are cancelled; tenant 5 still
    // runs, and the run still waits on it.
    show(&[
        "6 total, 3 processed, 3 succeeded, 0 failed, 0 skipped, 0 retrying, 2 cancelled",
        "waiting on tenant tenant-005",
    ])
    .await;
}

/// Starts `serve --seed-demo` on a free port and returns it with the base URL it printed (the
/// line naming the operator's console) once that URL answers `/healthz`.
async fn serve_on_a_free_port(mut cmd: tokio::process::Command) -> (tokio::process::Child, String) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    cmd.env("BIND", "127.0.0.1:0")
        .env("WORKERS", "0")
        .env("STATIC_DIR", "/nonexistent-static-dir")
        .env("COOKIE_SECURE", "false")
        .env("DEMO_PASSWORD", "correct-horse-battery-0451");
    let mut child = cmd.spawn().expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read") {
            if line.trim_start().starts_with("operator") {
                return line;
            }
        }
        panic!("serve ended without printing the credentials");
    })
    .await
    .expect("credentials printed in time");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("a URL")
        .to_owned();
    assert!(url.ends_with("/system"), "{line}");
    assert!(
        !url.contains(":8080/"),
        "the real port, not the default: {line}"
    );
    let base = url.trim_end_matches("/system").to_owned();
    let mut healthy = false;
    for _ in 0..100 {
        if reqwest::get(format!("{base}/healthz"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "{base} is where the server listens");
    (child, base)
}

/// `serve --seed-demo` prints the console URLs of the address it really bound (port 0 here),
/// not a fixed `127.0.0.1:8080`.
async fn serve_seed_demo_prints_the_bound_address(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let db = database.connect().await;
    let env = Env { database, db };
    let (mut child, _) = serve_on_a_free_port(env.command(&["serve", "--seed-demo"])).await;
    child.kill().await.expect("kill serve");
}

/// Demo mode keeps the secrets it generates next to the SQLite database (0600), so a restart
/// (here: the CLI that minted a token, then the server) signs with the same keys: tokens and
/// sessions survive `make run` being restarted. About the embedded database only.
#[tokio::test]
async fn a_demo_restart_keeps_the_generated_secrets() {
    let env = Env::empty(Backend::Sqlite).await;
    let without_secrets = |args: &[&str]| {
        let mut cmd = env.command(args);
        cmd.env_remove("SESSION_SECRET").env_remove("JWT_SECRET");
        cmd
    };
    operators::create_operator(
        &env.db,
        "alice",
        None,
        "correct-horse-battery-0451",
        &Capability::ALL,
    )
    .await
    .expect("operator");
    let minted = without_secrets(&[
        "token",
        "create",
        "--operator",
        "alice",
        "--name",
        "restart",
        "--expires-in-days",
        "1",
    ])
    .output()
    .await
    .expect("token create");
    expect_code(&minted, 0);
    let token = String::from_utf8_lossy(&minted.stdout).trim().to_owned();
    let (mut child, base) = serve_on_a_free_port(without_secrets(&["serve", "--seed-demo"])).await;
    let me = reqwest::Client::new()
        .get(format!("{base}/system/api/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    child.kill().await.expect("kill serve");
    assert_eq!(
        me.status(),
        200,
        "a token minted before the restart still works"
    );
    let sqlite_file = env
        .database
        .url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .expect("path")
        .to_owned();
    let kept = PathBuf::from(sqlite_file)
        .parent()
        .expect("folder")
        .join(atlas_ops::config::KEPT_SECRETS_FILE);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&kept).expect("kept").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// Run control from the shell (docs/spec.md §13): options on `runbooks run`, `--wait` exiting 4
/// at a pause, and `runs pause|resume|cancel`.
async fn run_options_and_pause_resume_cancel_from_the_cli(backend: Backend) {
    let env = Env::new(backend).await;
    let before = snapshot(&env.db).await;
    let _worker = env.worker();
    let rebuild = [
        "runbooks",
        "run",
        "findings.lifecycle.rebuild",
        "--all-tenants",
        "--yes",
    ];
    // Refused options change nothing: a wave past the tenants in scope (3), an unknown canary (2).
    let out = env
        .run(&args(&rebuild, &args(&["--waves", "9"], &REASON)))
        .await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("options.waves"), "{}", stderr(&out));
    let out = env
        .run(&args(&rebuild, &args(&["--canary", "tenant-404"], &REASON)))
        .await;
    expect_code(&out, 2);
    assert!(stderr(&out).contains("tenant-404"), "{}", stderr(&out));
    assert_eq!(env.count("SELECT COUNT(*) FROM operation_runs").await, 0);
    // Two canary tenants in a first wave: `--wait` stops at the gate with exit 4.
    let out = env
        .run(&args(
            &rebuild,
            &args(
                &[
                    "--wait",
                    "--waves",
                    "2",
                    "--canary",
                    "tenant-005,tenant-003",
                    "--max-concurrency",
                    "1",
                    "--max-failed",
                    "0",
                ],
                &REASON,
            ),
        ))
        .await;
    expect_code(&out, 4);
    assert!(
        stderr(&out).contains("paused (wave_gate)"),
        "{}",
        stderr(&out)
    );
    let id = env
        .count("SELECT MAX(id) FROM operation_runs")
        .await
        .to_string();
    let shown = stdout_json(&env.run(&["runs", "show", &id, "--json"]).await);
    assert_eq!(shown["status"], "paused");
    assert_eq!(shown["wave"], json!({"current": 1, "of": 2}));
    assert_eq!(shown["options"]["max_concurrency"], 1);
    assert_eq!(shown["counts"]["succeeded"], 2);
    let canaries: Vec<String> = shown["items"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["status"] == "succeeded")
        .map(|i| {
            i["tenant_external_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(canaries.len(), 2);
    assert!(
        canaries
            .iter()
            .all(|t| t == "tenant-005" || t == "tenant-003"),
        "{canaries:?}"
    );
    let text = String::from_utf8_lossy(&env.run(&["runs", "show", &id]).await.stdout).into_owned();
    assert!(
        text.contains("paused") && text.contains("wave               1 of 2"),
        "{text}"
    );
    // A pause of a paused run is refused (3); an unknown operator is a usage error (2).
    let again = env
        .run(&["runs", "pause", &id, "--reason", "pause it once more"])
        .await;
    expect_code(&again, 3);
    let nobody = env
        .run(&[
            "runs",
            "resume",
            &id,
            "--reason",
            "the canaries look right",
            "--operator",
            "nobody",
        ])
        .await;
    expect_code(&nobody, 2);
    let out = env
        .run(&[
            "runs",
            "resume",
            &id,
            "--reason",
            "the canaries look right",
            "--json",
        ])
        .await;
    expect_code(&out, 0);
    assert_eq!(stdout_json(&out)["status"], "running");
    let done =
        format!("SELECT COUNT(*) FROM operation_runs WHERE id = {id} AND status = 'completed'");
    for _ in 0..600 {
        if env.count(&done).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(env.count(&done).await, 1, "the resumed run completed");
    assert_eq!(snapshot(&env.db).await, expected_after(&before));
    // A run paused from the shell, then cancelled from it.
    let out = env
        .run(&args(&rebuild, &args(&["--waves", "1"], &REASON)))
        .await;
    expect_code(&out, 0);
    let second = env
        .count("SELECT MAX(id) FROM operation_runs")
        .await
        .to_string();
    let paused = env
        .run(&[
            "runs",
            "pause",
            &second,
            "--reason",
            "hold it while we look",
        ])
        .await;
    // The first wave may have reached its gate already: either way the run is paused now.
    let shown = stdout_json(&env.run(&["runs", "show", &second, "--json"]).await);
    assert_eq!(shown["status"], "paused", "{}", stderr(&paused));
    let out = env
        .run(&["runs", "cancel", &second, "--reason", "not needed any more"])
        .await;
    expect_code(&out, 0);
    let cancelled = format!(
        "SELECT COUNT(*) FROM operation_runs WHERE id = {second} AND outcome = 'cancelled'"
    );
    for _ in 0..600 {
        if env.count(&cancelled).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(env.count(&cancelled).await, 1);
    for action in ["runbook.run.resumed", "runbook.run.cancelled"] {
        let audited = format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = '{action}' AND source = 'cli'"
        );
        assert_eq!(env.count(&audited).await, 1, "{action}");
    }
}

/// `runs revert` (docs/spec.md §15) and the deploy hook's skip of a reverted version: the
/// hook's run is reverted from the CLI (preflight only, refusals, then `--yes --inline`), and
/// the next deploy leaves the version alone until it changes.
async fn runs_revert_and_the_deploy_hook_skips_a_reverted_version(backend: Backend) {
    let env = Env::new(backend).await;
    let before = env
        .count("SELECT COUNT(*) FROM findings WHERE first_seen_at IS NULL")
        .await;
    assert!(before > 0, "the seed has findings the rebuild fills in");
    let out = env.run(&["deploy-runbooks", "--inline", "--json"]).await;
    expect_code(&out, 0);
    let deployed = stdout_json(&out)["runbooks"][0]["run"].clone();
    let id = deployed["id"].as_i64().expect("run id").to_string();
    let changed = deployed["counts"]["findings_changed"]
        .as_i64()
        .expect("changed");
    assert!(changed > 0);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM findings WHERE first_seen_at IS NULL")
            .await,
        0
    );
    let reason = [
        "--reason-code",
        "data_repair",
        "--reason",
        "undo the deploy's rebuild",
    ];
    let revert = |extra: &[&str]| {
        let mut args = vec!["runs", "revert", id.as_str()];
        args.extend_from_slice(extra);
        args.iter()
            .map(|a| (*a).to_owned())
            .collect::<Vec<String>>()
    };
    let run = |args: Vec<String>| {
        let env = &env;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            env.run(&args).await
        }
    };
    // Preflight only: read-only, no reason needed.
    let out = run(revert(&["--preflight-only"])).await;
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("rows to restore        {changed}")),
        "{text}"
    );
    assert!(text.contains("confirmation phrase    REVERT "), "{text}");
    // Refusals exit 3 and start nothing: no reason; no phrase off a terminal; a wrong phrase.
    expect_code(&run(revert(&[])).await, 3);
    let out = run(revert(&[&reason[..], &["--json"]].concat())).await;
    expect_code(&out, 3);
    assert_eq!(stdout_json(&out)["error"]["kind"], "not_confirmed");
    let out = run(revert(
        &[&reason[..], &["--confirm", "REVERT 99 TENANTS"]].concat(),
    ))
    .await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("REVERT "), "{}", stderr(&out));
    assert_eq!(
        env.count("SELECT COUNT(*) FROM operation_runs WHERE reverts_run_id IS NOT NULL")
            .await,
        0
    );
    expect_code(
        &env.run(&[
            "runs",
            "revert",
            "999999",
            "--reason-code",
            "data_repair",
            "--reason",
            "undo a run that is not there",
        ])
        .await,
        1,
    );
    // Confirmed and waited for, with in-process workers.
    let out = run(revert(
        &[&reason[..], &["--yes", "--inline", "--json"]].concat(),
    ))
    .await;
    expect_code(&out, 0);
    let report = stdout_json(&out);
    assert_eq!(report["preflight"]["kind"], "revert");
    let reverted = &report["run"];
    assert_eq!(reverted["kind"], "revert");
    assert_eq!(reverted["reverts_run_id"].to_string(), id);
    assert_eq!(reverted["status"], "completed");
    assert_eq!(reverted["counts"]["findings_changed"], changed);
    assert_eq!(reverted["counts"]["conflicts"], 0);
    assert_eq!(
        env.count("SELECT COUNT(*) FROM findings WHERE first_seen_at IS NULL")
            .await,
        before,
        "the rebuild is undone"
    );
    let out = env.run(&["runs", "show", &id]).await;
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "reverted by        #{} (succeeded)",
            reverted["id"]
        )),
        "{text}"
    );
    // The deploy hook leaves the reverted version alone (and needs no worker for that).
    let runs = env.count("SELECT COUNT(*) FROM operation_runs").await;
    let out = env.run(&["deploy-runbooks"]).await;
    expect_code(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("skipped") && text.contains("was reverted by run"),
        "{text}"
    );
    assert_eq!(env.count("SELECT COUNT(*) FROM operation_runs").await, runs);
}

db_tests!(
    tenants_file_and_workspace_scopes,
    runs_show_prints_retrying_cancelled_and_the_stall,
    demo_seed_takes_a_shape,
    serve_seed_demo_prints_the_bound_address,
    runbooks_list_and_run_any_runbook_with_parameters,
    preflight_only_changes_nothing,
    refusals_exit_3_and_change_nothing,
    usage_errors_exit_2,
    yes_wait_completes_a_run_and_the_data_matches,
    a_partial_run_exits_1,
    concurrent_deploys_make_one_run_and_a_clean_deploy_starts_nothing,
    deploy_times_out_without_workers,
    run_options_and_pause_resume_cancel_from_the_cli,
    runs_revert_and_the_deploy_hook_skips_a_reverted_version,
);
