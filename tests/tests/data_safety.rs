//! Data safety on a live database (docs/spec.md §19): the host application keeps writing while
//! a runbook repairs its data, workers stop mid-tenant, and housekeeping must not wait for an
//! idle queue.
//!
//! - a host write that commits while its tenant is rebuilt is never lost (a deterministic row
//!   lock on PostgreSQL, the write lock on SQLite, and a property test of random interleavings);
//! - a rebuild assigns only the columns whose value changes (`UPDATE OF` triggers record them);
//! - a job handed back at SIGTERM returns its item to `pending`, so a cancel ends the run;
//! - the reconciler repairs a run whose item lost its job, and audits it;
//! - chores (alert retries, purges) run while the workers are busy, once across processes;
//! - a run cancelled before its fan-out reads its plan; cancels are audited with IP and
//!   request id; every refusal of a run action carries a problem `code`.

use std::time::Duration;

use atlas_ops::audit;
use atlas_ops::auth::RequestMeta;
use atlas_ops::db;
use atlas_ops::domain::capability::Capability;
use atlas_ops::domain::run::ScopeKind;
use atlas_ops::domain::run::{Outcome, RunStatus, Scope};
use atlas_ops::jobs;
use atlas_ops::runbooks::{
    ChangeLog, ChangedRow, ParameterErrors, Plan, RestoreReport, RuleInfo, Runbook, TenantReport,
    parameters_object,
};
use atlas_ops::runs::start::start;
use atlas_ops::runs::{preflight, query, reconcile, service};
use atlas_ops_tests::process::AtlasProcess;
use atlas_ops_tests::runs::{
    break_tenant_with_constraint, completed, count, drain, execute_jobs, preflight_and_start, seed,
    start_all_tenants, start_request, tenant_ids, wait_until,
};
use atlas_ops_tests::webhook::{self, Mode};
use atlas_ops_tests::{
    Backend, TestApp, db_tests, spawn_app, spawn_app_with, spawn_app_with_context,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, Statement, TransactionTrait,
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

fn bin() -> std::path::PathBuf {
    atlas_ops_tests::atlas_ops_bin!()
}

async fn exec(db: &impl ConnectionTrait, sql: &str) {
    db.execute_unprepared(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Puts every finding of `tenant_id` in a state where the rebuild changes exactly two columns
/// of each, `status` (acknowledged → triaged, R4) and `triaged_at`: one finding per
/// recurrence key, seen, counted and due.
async fn acknowledged_tenant(db: &impl ConnectionTrait, tenant_id: i64) {
    exec(
        db,
        &format!(
            "UPDATE findings SET recurrence_key = 'key-' || CAST(id AS TEXT), status = 'acknowledged', \
             first_seen_at = '2026-01-01T00:00:00+00:00', last_seen_at = '2026-02-01T00:00:00+00:00', \
             times_seen = 1, due_at = '2026-03-01T00:00:00+00:00', triaged_at = NULL, resolved_at = NULL, \
             closed_at = NULL, closed_reason = NULL WHERE tenant_id = {tenant_id}"
        ),
    )
    .await;
}

/// The columns a host write sets, as text: `(last_seen_at day, times_seen, due_at day)`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostColumns {
    last_seen: String,
    times_seen: i64,
    due: String,
}

fn host_write_sql(id: i64, w: &HostColumns) -> String {
    format!(
        "UPDATE findings SET last_seen_at = '{}T00:00:00+00:00', times_seen = {}, \
         due_at = '{}T00:00:00+00:00' WHERE id = {id}",
        w.last_seen, w.times_seen, w.due
    )
}

/// A finding as `(status, triaged_at set, last_seen_at day, times_seen, due_at day)`.
async fn finding(db: &impl ConnectionTrait, id: i64) -> (String, bool, HostColumns) {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT status, triaged_at, last_seen_at, times_seen, due_at FROM findings WHERE id = {id}"
            ),
        ))
        .await
        .expect("select")
        .expect("finding");
    let day = |col: &str| -> String {
        let at: chrono::DateTime<chrono::Utc> = row.try_get("", col).expect(col);
        at.format("%Y-%m-%d").to_string()
    };
    let triaged: Option<chrono::DateTime<chrono::Utc>> =
        row.try_get("", "triaged_at").expect("triaged_at");
    (
        row.try_get("", "status").expect("status"),
        triaged.is_some(),
        HostColumns {
            last_seen: day("last_seen_at"),
            times_seen: i64::from(row.try_get::<i32>("", "times_seen").expect("times_seen")),
            due: day("due_at"),
        },
    )
}

async fn first_finding(db: &impl ConnectionTrait, tenant_id: i64) -> i64 {
    count(
        db,
        &format!("SELECT MIN(id) FROM findings WHERE tenant_id = {tenant_id}"),
    )
    .await
}

/// A host transaction holds a lock on a finding the rebuild changes, with an uncommitted update
/// of three columns; the run over its tenant starts; the host commits a second later. The
/// finding ends as `rebuild(write(row))` — the host's three values and the rebuild's status —
/// never as the rebuild of the old row (which would put the old three values back).
async fn a_host_write_committed_during_a_rebuild_is_never_lost(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let tenant = tenant_ids(&app).await[0];
    acknowledged_tenant(&app.db, tenant).await;
    let target = first_finding(&app.db, tenant).await;
    let pf_run = preflight_and_start(&app, Scope::Tenant { tenant_id: tenant }, &who).await;
    let run_id = pf_run.run.id;

    let host_db: DatabaseConnection = app.database.connect().await;
    let host = db::begin_write(&host_db).await.expect("host transaction");
    let written = HostColumns {
        last_seen: "2026-06-01".into(),
        times_seen: 42,
        due: "2026-07-01".into(),
    };
    exec(&host, &host_write_sql(target, &written)).await;

    let worker = {
        let app_ctx = app.ctx.clone();
        tokio::spawn(async move {
            // The worker blocks on the host's lock until the host commits (PostgreSQL: its
            // guarded UPDATE waits, then matches nothing, and the batch is read again
            // `FOR UPDATE`; SQLite: the database write lock).
            for _ in 0..100 {
                if jobs::worker::try_execute_one(&app_ctx)
                    .await
                    .expect("execute")
                    == jobs::worker::Tick::Empty
                {
                    break;
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_ne!(
        query::find(&app.db, run_id)
            .await
            .expect("find")
            .expect("run")
            .status,
        RunStatus::Completed,
        "the rebuild waits for the host's transaction"
    );
    host.commit().await.expect("host commits");
    tokio::time::timeout(Duration::from_secs(30), worker)
        .await
        .expect("the run goes on once the host committed")
        .expect("worker");
    let done = drain(&app, run_id).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded));
    let (status, triaged, host_columns) = finding(&app.db, target).await;
    assert_eq!(host_columns, written, "the host's committed write survives");
    assert_eq!(status, "triaged", "and the rebuild applied to it");
    assert!(triaged);
    // The change log (docs/spec.md §15) holds the row once, however often its batch was read,
    // with the values the rebuild overwrote: the host's columns are not the run's changes.
    let (log, total) = atlas_ops::runs::changes::list(&app.db, run_id, Some(tenant), 0, 10_000)
        .await
        .expect("change log");
    assert_eq!(total as i64, done.counts.findings_changed);
    let logged: Vec<_> = log.iter().filter(|r| r.finding_id == target).collect();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(
        logged[0].before.keys().collect::<Vec<_>>(),
        ["status", "triaged_at"]
    );
    assert_eq!(logged[0].before["status"], "acknowledged");
    assert_eq!(logged[0].before["triaged_at"], Value::Null);
    assert_eq!(logged[0].after["status"], "triaged");
}

/// A rebuild that changes `status` and `triaged_at` of every row assigns no other column:
/// `UPDATE OF` triggers (which fire when a column is in the SET list, changed or not) record
/// each assigned column.
async fn a_rebuild_assigns_only_the_columns_it_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let tenant = tenant_ids(&app).await[0];
    acknowledged_tenant(&app.db, tenant).await;
    exec(&app.db, "CREATE TABLE assigned (col TEXT NOT NULL)").await;
    let columns = [
        "status",
        "first_seen_at",
        "last_seen_at",
        "times_seen",
        "due_at",
        "triaged_at",
        "resolved_at",
        "closed_at",
        "closed_reason",
        "severity",
        "updated_at",
    ];
    if backend == Backend::Postgres {
        exec(
            &app.db,
            "CREATE FUNCTION log_assigned() RETURNS trigger AS $$ BEGIN \
             INSERT INTO assigned (col) VALUES (TG_ARGV[0]); RETURN NULL; END $$ LANGUAGE plpgsql",
        )
        .await;
    }
    for col in columns {
        let sql = match backend {
            Backend::Sqlite => format!(
                "CREATE TRIGGER log_{col} AFTER UPDATE OF {col} ON findings \
                 BEGIN INSERT INTO assigned (col) VALUES ('{col}'); END"
            ),
            Backend::Postgres => format!(
                "CREATE TRIGGER log_{col} AFTER UPDATE OF {col} ON findings FOR EACH ROW \
                 EXECUTE FUNCTION log_assigned('{col}')"
            ),
        };
        exec(&app.db, &sql).await;
    }
    let run = preflight_and_start(&app, Scope::Tenant { tenant_id: tenant }, &who).await;
    let done = drain(&app, run.run.id).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded));
    assert_eq!(done.counts.findings_changed, 120);
    let assigned: Vec<String> = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT DISTINCT col FROM assigned ORDER BY col",
        ))
        .await
        .expect("assigned")
        .iter()
        .map(|r| r.try_get_by_index(0).expect("col"))
        .collect();
    assert_eq!(assigned, ["status", "triaged_at"]);
}

/// SIGTERM reaches a `worker` process (short grace) while its tenant waits on a host's row
/// lock: the job is handed back and its item returns to `pending`. Cancelling the run with no
/// worker running cancels that item, and the run completes `cancelled` — it used to read
/// `running`, 0 of 1, forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_job_handed_back_at_sigterm_can_be_cancelled() {
    let app = spawn_app(Backend::Postgres).await;
    let who = seed(&app).await;
    let tenant = tenant_ids(&app).await[0];
    acknowledged_tenant(&app.db, tenant).await;
    let target = first_finding(&app.db, tenant).await;
    let run_id = preflight_and_start(&app, Scope::Tenant { tenant_id: tenant }, &who)
        .await
        .run
        .id;
    let host_db = app.database.connect().await;
    let host = host_db.begin().await.expect("host transaction");
    exec(
        &host,
        &format!("UPDATE findings SET times_seen = 7 WHERE id = {target}"),
    )
    .await;
    let mut worker = AtlasProcess::worker(
        &bin(),
        &app.database.url,
        1,
        &[
            ("WORKER_SHUTDOWN_GRACE_MS", "300"),
            ("TENANT_LOCK_TIMEOUT_MS", "60000"),
        ],
    );
    assert!(
        wait_until(
            &app,
            "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
            Duration::from_secs(30),
        )
        .await,
        "the worker's tenant waits on the host's row lock"
    );
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM run_items WHERE status = 'running'"
        )
        .await,
        1
    );
    worker.terminate();
    worker
        .wait_exit(Duration::from_secs(15))
        .await
        .expect("the worker exits after its grace");
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM run_items WHERE status = 'pending' AND attempts = 0"
        )
        .await,
        1,
        "the handed-back job's item waits again, its attempt not counted"
    );
    let view = service::cancel(
        &app.ctx,
        run_id,
        Some(&who),
        "the host is busy with this tenant",
        &RequestMeta::from_source("cli"),
    )
    .await
    .expect("cancel");
    assert_eq!(view.counts.cancelled, 1);
    let mut worker = AtlasProcess::worker(&bin(), &app.database.url, 1, &[]);
    assert!(
        wait_until(&app, &completed(run_id), Duration::from_secs(10)).await,
        "the run completes"
    );
    worker.kill();
    host.rollback().await.expect("host rolls back");
    let run = query::find(&app.db, run_id)
        .await
        .expect("find")
        .expect("run");
    assert_eq!(run.outcome, Some(Outcome::Cancelled));
    let (status, _, columns) = finding(&app.db, target).await;
    assert_eq!(
        (status.as_str(), columns.times_seen),
        ("acknowledged", 1),
        "the cancelled tenant was never rebuilt, and the host's write rolled back"
    );
}

/// An item whose job is gone (deleted by hand here; a crash or an older worker's hand-back in
/// life) is found by the reconciler once it has been idle for a lease, given its job back and
/// audited; the run then completes. In a cancelling run, such an item is cancelled instead.
async fn the_reconciler_repairs_items_that_lost_their_job(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let run_id = start_all_tenants(&app, &who).await;
    execute_jobs(&app, 1).await; // the fan-out
    let stranded = count(
        &app.db,
        &format!("SELECT MIN(id) FROM run_items WHERE run_id = {run_id}"),
    )
    .await;
    exec(
        &app.db,
        &format!("DELETE FROM jobs WHERE kind = 'run.tenant' AND subject_id = {stranded}"),
    )
    .await;
    assert_eq!(
        reconcile::reconcile(&app.ctx).await.expect("reconcile"),
        reconcile::Repairs::default(),
        "an item idle for less than a lease is left alone"
    );
    app.clock.advance(chrono::Duration::minutes(2));
    let repairs = reconcile::reconcile(&app.ctx).await.expect("reconcile");
    assert_eq!(repairs.requeued, 1);
    let done = drain(&app, run_id).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded));
    assert_eq!(done.counts.succeeded, 6);
    let (events, _) = audit::list(
        &app.db,
        &audit::AuditFilter {
            action: Some("runbook.run.reconciled".into()),
            ..Default::default()
        },
        1,
        10,
    )
    .await
    .expect("audit");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].metadata["items_requeued"], 1);

    // A cancelling run whose running item lost its job (a hand-back by a worker of an older
    // version): the cancel cannot touch the running item, the reconciler cancels it.
    let run_id = start_all_tenants(&app, &who).await;
    execute_jobs(&app, 1).await;
    let item = count(
        &app.db,
        &format!("SELECT MIN(id) FROM run_items WHERE run_id = {run_id}"),
    )
    .await;
    exec(
        &app.db,
        &format!("UPDATE run_items SET status = 'running', attempts = 1 WHERE id = {item}"),
    )
    .await;
    exec(
        &app.db,
        &format!("DELETE FROM jobs WHERE subject_id = {item} AND kind = 'run.tenant'"),
    )
    .await;
    let view = service::cancel(
        &app.ctx,
        run_id,
        Some(&who),
        "stop this run right now",
        &RequestMeta::from_source("cli"),
    )
    .await
    .expect("cancel");
    assert!(view.status.is_active(), "one item still counts as running");
    app.clock.advance(chrono::Duration::minutes(2));
    // Through the chore, as a worker process runs it.
    let ran = jobs::chores::run_due(&app.ctx).await.expect("chores");
    assert!(ran.contains(&"runs.reconcile"), "{ran:?}");
    let run = query::find(&app.db, run_id)
        .await
        .expect("find")
        .expect("run");
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(run.outcome, Some(Outcome::Cancelled));
    assert_eq!(run.cancelled, 6);
}

/// A run cancelled before its fan-out created any item reads its plan: every tenant in scope
/// counted and cancelled, 0 % done (it used to read 0 of 0, 100 %).
async fn a_run_cancelled_before_its_fan_out_reads_its_plan(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let run_id = start_all_tenants(&app, &who).await;
    service::cancel(
        &app.ctx,
        run_id,
        Some(&who),
        "started the wrong runbook",
        &RequestMeta::from_source("cli"),
    )
    .await
    .expect("cancel");
    let done = drain(&app, run_id).await;
    assert_eq!(done.outcome, Some(Outcome::Cancelled));
    assert_eq!(done.counts.total, 6);
    assert_eq!(done.counts.cancelled, 6);
    assert_eq!(done.counts.processed, 0);
    assert_eq!(done.progress_percent, 0.0);
}

/// The cancel action's audit event carries the request's IP and request id; refusals of run
/// actions carry a stable problem `code`.
async fn run_actions_are_audited_and_refused_with_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(&app).await;
    let token = app.operator_token("canceller", &Capability::ALL).await;
    let weak = app.operator_token("viewer", &[Capability::RunsView]).await;
    let post = |path: String, token: String, body: Value| {
        let req = app
            .client()
            .post(app.url(&path))
            .bearer_auth(token)
            .json(&body);
        async move {
            let res = req.send().await.expect("request");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let rb = "/system/api/ops/runbooks/findings.lifecycle.rebuild";
    let (_, pf) = post(
        format!("{rb}/preflight"),
        token.clone(),
        json!({"scope": {"kind": "all_tenants"}}),
    )
    .await;
    let start = |preflight_id: Value| {
        json!({
            "scope": {"kind": "all_tenants"},
            "reason": {"code": "data_repair", "text": "repair the lifecycle columns"},
            "preflight_id": preflight_id,
            "confirmation": pf["confirmation"]["phrase"],
        })
    };
    let (status, bad) = post(
        format!("{rb}/runs"),
        token.clone(),
        start(json!("no-such-preflight")),
    )
    .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (422, Some("preflight_stale")),
        "{bad}"
    );
    let (status, run) = post(
        format!("{rb}/runs"),
        token.clone(),
        start(pf["preflight_id"].clone()),
    )
    .await;
    assert_eq!(status, 201, "{run}");
    let run_id = run["id"].as_i64().expect("id");
    let tenant = tenant_ids(&app).await[0];
    let (_, pf1) = post(
        format!("{rb}/preflight"),
        token.clone(),
        json!({"scope": {"kind": "tenant", "tenant_id": tenant}}),
    )
    .await;
    let (status, overlap) = post(
        format!("{rb}/runs"),
        token.clone(),
        json!({
            "scope": {"kind": "tenant", "tenant_id": tenant},
            "reason": {"code": "data_repair", "text": "repair the lifecycle columns"},
            "preflight_id": pf1["preflight_id"],
        }),
    )
    .await;
    assert_eq!(
        (status, overlap["code"].as_str()),
        (409, Some("overlap")),
        "{overlap}"
    );
    let cancel = format!("/system/api/ops/runs/{run_id}/cancel");
    let (status, short) = post(cancel.clone(), token.clone(), json!({"reason": "short"})).await;
    assert_eq!(
        (status, short["code"].as_str()),
        (422, Some("validation")),
        "{short}"
    );
    let (status, denied) = post(
        cancel.clone(),
        weak.clone(),
        json!({"reason": "not mine to cancel"}),
    )
    .await;
    assert_eq!(
        (status, denied["code"].as_str()),
        (403, Some("forbidden")),
        "{denied}"
    );
    let res = app
        .client()
        .post(app.url(&cancel))
        .bearer_auth(&token)
        .json(&json!({"reason": "cancel it over the API"}))
        .send()
        .await
        .expect("cancel");
    assert_eq!(res.status(), 200);
    let request_id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("x-request-id");
    drain(&app, run_id).await;
    let (status, again) = post(cancel, token, json!({"reason": "cancel it over the API"})).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("invalid_state")),
        "{again}"
    );

    let (events, _) = audit::list(
        &app.db,
        &audit::AuditFilter {
            action: Some("runbook.run.cancelled".into()),
            ..Default::default()
        },
        1,
        10,
    )
    .await
    .expect("audit");
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(event.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(event.source.as_deref(), Some("api"));
}

/// A runbook whose every tenant holds its worker, to keep the workers busy: two seconds on
/// PostgreSQL; 20 ms on SQLite, where a tenant's transaction holds the database's write lock
/// and every other writer, the chores included, waits for it (as with any real tenant there).
struct SlowRunbook;

#[async_trait::async_trait]
impl Runbook for SlowRunbook {
    fn key(&self) -> &'static str {
        "test.slow"
    }
    fn title(&self) -> &'static str {
        "Slow"
    }
    fn description(&self) -> &'static str {
        "Takes two seconds per tenant and changes nothing."
    }
    fn version(&self) -> i32 {
        1
    }
    fn allowed_scopes(&self) -> &'static [ScopeKind] {
        &[ScopeKind::Tenant, ScopeKind::AllTenants]
    }
    fn run_on_deploy(&self) -> bool {
        false
    }
    fn rules(&self) -> &'static [RuleInfo] {
        &[]
    }
    fn tables_written(&self) -> &'static [&'static str] {
        &[]
    }
    fn confirmation_verb(&self) -> &'static str {
        "SLOW"
    }
    fn parameters_schema(&self) -> Value {
        json!({"type": "object", "properties": {}, "additionalProperties": false})
    }
    fn parse_parameters(
        &self,
        raw: &Value,
        _now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Value, ParameterErrors> {
        let mut errors = ParameterErrors::default();
        parameters_object(raw, &[], &mut errors);
        errors.or_ok(json!({}))
    }
    async fn preflight_tenant(
        &self,
        _db: &DatabaseConnection,
        _tenant_id: i64,
        _plan: &Plan<'_>,
        _sample_limit: usize,
    ) -> Result<TenantReport, DbErr> {
        Ok(one_change())
    }
    async fn execute_tenant(
        &self,
        txn: &DatabaseTransaction,
        _tenant_id: i64,
        _plan: &Plan<'_>,
        _log: &ChangeLog,
    ) -> Result<TenantReport, DbErr> {
        let hold = match txn.get_database_backend() {
            sea_orm::DbBackend::Postgres => Duration::from_secs(2),
            _ => Duration::from_millis(20),
        };
        tokio::time::sleep(hold).await;
        Ok(one_change())
    }
    async fn check_restore(
        &self,
        _db: &DatabaseConnection,
        _tenant_id: i64,
        _rows: &[ChangedRow],
        _sample_limit: usize,
    ) -> Result<RestoreReport, DbErr> {
        Ok(RestoreReport::default())
    }
    async fn restore(
        &self,
        _txn: &DatabaseTransaction,
        _tenant_id: i64,
        _rows: &[ChangedRow],
        _log: &ChangeLog,
    ) -> Result<RestoreReport, DbErr> {
        Ok(RestoreReport::default())
    }
}

static SLOW: SlowRunbook = SlowRunbook;

fn one_change() -> TenantReport {
    TenantReport {
        examined: 1,
        changed: 1,
        ..TenantReport::default()
    }
}

/// With the only worker busy on a long run, the chores go on: an alert whose first delivery
/// met a down webhook is retried 4 s later and arrives within 10 s, and expired sessions are
/// purged — neither waits for the run to end (they used to run only when the queue was empty).
async fn chores_run_while_the_workers_are_busy(backend: Backend) {
    let hook = webhook::start().await;
    let url = hook.url.clone();
    let app = spawn_app_with_context(
        backend,
        move |s| {
            s.alert_webhook_url = Some(url);
            s.worker_poll = Duration::from_millis(100);
        },
        |ctx| ctx.runbooks = ctx.runbooks.clone().with(&SLOW),
    )
    .await;
    atlas_ops::demo::seed(
        &app.db,
        atlas_ops::demo::SeedShape {
            workspaces: 2,
            // SQLite: many short tenants (see [`SlowRunbook`]).
            tenants: if backend == Backend::Sqlite {
                1_000
            } else {
                40
            },
            findings_per_tenant: 2,
        },
        Some("seed-password-0451".into()),
    )
    .await
    .expect("seed");
    app.create_operator("runner", &Capability::ALL).await;
    let who = atlas_ops::runs::Initiator {
        operator_id: atlas_ops::auth::operators::find_operator(&app.db, "runner")
            .await
            .expect("runner")
            .id,
        username: "runner".into(),
        capabilities: Capability::ALL.to_vec(),
    };
    let ids = tenant_ids(&app).await;
    // A run that fails (a constraint no retry can fix) and writes its alert.
    break_tenant_with_constraint(&app, ids[0]).await;
    let failed = preflight_and_start(&app, Scope::Tenant { tenant_id: ids[0] }, &who).await;
    assert_eq!(
        drain(&app, failed.run.id).await.outcome,
        Some(Outcome::Failed)
    );
    // A long run: every tenant holds the worker.
    let pf = preflight::preflight(
        &app.ctx,
        SLOW.key(),
        Scope::AllTenants,
        &Value::Null,
        Some(&who),
        Default::default(),
    )
    .await
    .expect("preflight");
    let long = start(&app.ctx, start_request(&pf, Some(&who)))
        .await
        .expect("start")
        .run
        .id;
    app.create_operator("sleeper", &[Capability::RunsView])
        .await;
    app.login_operator("sleeper").await;
    hook.set_mode(Mode::Down);
    let shutdown = CancellationToken::new();
    let workers = jobs::worker::spawn(&app.ctx, 1, &shutdown);
    assert!(
        wait_until(
            &app,
            "SELECT COUNT(*) FROM alert_deliveries WHERE attempts = 1",
            Duration::from_secs(5)
        )
        .await,
        "the first delivery is attempted at once"
    );
    let first_failed_at = std::time::Instant::now();
    hook.set_mode(Mode::Up);
    assert!(
        wait_until(
            &app,
            &format!("SELECT COUNT(*) FROM run_items WHERE run_id = {long} AND status = 'running'"),
            Duration::from_secs(10),
        )
        .await,
        "the long run keeps the worker busy"
    );
    assert!(
        wait_until(
            &app,
            "SELECT COUNT(*) FROM alert_deliveries WHERE status = 'delivered'",
            Duration::from_secs(10)
        )
        .await,
        "the retry is delivered while the worker is busy"
    );
    assert!(first_failed_at.elapsed() < Duration::from_secs(10));
    assert_eq!(hook.bodies().await.len(), 1);
    // Sessions expire; the purge runs (it is due once a minute of the app's clock).
    app.clock.advance(chrono::Duration::hours(9));
    assert!(
        wait_until(
            &app,
            "SELECT 1 - COUNT(*) FROM (SELECT 1 FROM sessions LIMIT 1) t",
            Duration::from_secs(5)
        )
        .await,
        "expired sessions are purged during the run"
    );
    let still = query::find(&app.db, long)
        .await
        .expect("find")
        .expect("run");
    assert_ne!(
        still.status,
        RunStatus::Completed,
        "all of it while the run went on"
    );
    shutdown.cancel();
    for w in workers {
        w.await.expect("worker");
    }
    app.allow_unfinished_jobs();
}

/// Makes every update of a finding fail on a check constraint (an error no retry can fix).
async fn break_every_tenant(app: &TestApp) {
    exec(
        &app.db,
        "CREATE TABLE injected_check (tenant_id BIGINT NOT NULL CHECK (tenant_id < 0))",
    )
    .await;
    exec(
        &app.db,
        "CREATE FUNCTION break_all() RETURNS trigger AS $$ BEGIN \
         INSERT INTO injected_check VALUES (NEW.tenant_id); RETURN NEW; END $$ LANGUAGE plpgsql",
    )
    .await;
    exec(
        &app.db,
        "CREATE TRIGGER break_all BEFORE UPDATE ON findings FOR EACH ROW EXECUTE FUNCTION break_all()",
    )
    .await;
}

/// Two worker processes share the chores: each alert is delivered exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_worker_processes_never_deliver_an_alert_twice() {
    let hook = webhook::start().await;
    let url = hook.url.clone();
    let app = spawn_app_with(Backend::Postgres, move |s| s.alert_webhook_url = Some(url)).await;
    let who = seed(&app).await;
    break_every_tenant(&app).await;
    let mut runs = Vec::new();
    for tenant in tenant_ids(&app).await {
        let run = preflight_and_start(&app, Scope::Tenant { tenant_id: tenant }, &who).await;
        runs.push(drain(&app, run.run.id).await.id);
    }
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM alert_deliveries").await,
        runs.len() as i64
    );
    let env = [("ALERT_WEBHOOK_URL", hook.url.as_str())];
    let mut a = AtlasProcess::worker(&bin(), &app.database.url, 1, &env);
    let mut b = AtlasProcess::worker(&bin(), &app.database.url, 1, &env);
    assert!(
        wait_until(
            &app,
            &format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM alert_deliveries \
                 WHERE status = 'delivered' HAVING COUNT(*) = {}) t",
                runs.len()
            ),
            Duration::from_secs(20)
        )
        .await,
        "every alert is delivered; worker logs:\n{}\n{}",
        a.log_text(),
        b.log_text()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    a.kill();
    b.kill();
    let mut delivered: Vec<i64> = hook
        .bodies()
        .await
        .iter()
        .map(|b| b["run_id"].as_i64().expect("run_id"))
        .collect();
    delivered.sort_unstable();
    runs.sort_unstable();
    assert_eq!(delivered, runs, "each alert exactly once");
}

db_tests!(
    a_host_write_committed_during_a_rebuild_is_never_lost,
    a_rebuild_assigns_only_the_columns_it_changes,
    the_reconciler_repairs_items_that_lost_their_job,
    a_run_cancelled_before_its_fan_out_reads_its_plan,
    run_actions_are_audited_and_refused_with_codes,
    chores_run_while_the_workers_are_busy,
);

/// Random host updates interleaved with a run: every host write stays visible. The host sets
/// `last_seen_at`, `times_seen` and `due_at` to values the rules keep, one committed
/// transaction each, while the run rebuilds the tenant; afterwards each finding holds the last
/// values the host wrote to it, and the rebuild's status.
mod interleaved {
    use super::*;
    use proptest::prelude::*;

    fn writes() -> impl Strategy<Value = Vec<(usize, u32, i64, u32, u64)>> {
        proptest::collection::vec(
            (0usize..120, 1u32..28, 1i64..1000, 1u32..28, 0u64..4),
            1..40,
        )
    }

    async fn case(backend: Backend, host_writes: Vec<(usize, u32, i64, u32, u64)>) {
        let app = spawn_app(backend).await;
        let who = seed(&app).await;
        let tenant = tenant_ids(&app).await[0];
        acknowledged_tenant(&app.db, tenant).await;
        let ids: Vec<i64> = app
            .db
            .query_all_raw(Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT id FROM findings WHERE tenant_id = {tenant} ORDER BY id"),
            ))
            .await
            .expect("ids")
            .iter()
            .map(|r| r.try_get_by_index(0).expect("id"))
            .collect();
        let run = preflight_and_start(&app, Scope::Tenant { tenant_id: tenant }, &who).await;
        let host_db = app.database.connect().await;
        let mut last = std::collections::BTreeMap::new();
        let plan: Vec<(i64, HostColumns, u64)> = host_writes
            .into_iter()
            .map(|(i, seen, times, due, pause)| {
                (
                    ids[i % ids.len()],
                    HostColumns {
                        last_seen: format!("2026-04-{seen:02}"),
                        times_seen: times,
                        due: format!("2026-05-{due:02}"),
                    },
                    pause,
                )
            })
            .collect();
        for (id, w, _) in &plan {
            last.insert(*id, w.clone());
        }
        let host = tokio::spawn(async move {
            for (id, w, pause) in plan {
                let txn = db::begin_write(&host_db).await.expect("host txn");
                exec(&txn, &host_write_sql(id, &w)).await;
                txn.commit().await.expect("host commit");
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
        });
        let done = drain(&app, run.run.id).await;
        host.await.expect("host");
        assert_eq!(done.outcome, Some(Outcome::Succeeded));
        for (id, written) in last {
            let (status, _, now) = finding(&app.db, id).await;
            assert_eq!(now, written, "finding {id} holds the host's last write");
            assert_eq!(status, "triaged");
        }
    }

    fn check(backend: Backend) {
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 6,
            ..ProptestConfig::default()
        });
        runner
            .run(&writes(), |w| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("runtime")
                    .block_on(case(backend, w));
                Ok(())
            })
            .expect("every host write stays visible");
    }

    #[test]
    fn sqlite_random_host_writes_during_a_run_all_stay_visible() {
        check(Backend::Sqlite);
    }

    #[test]
    fn postgres_random_host_writes_during_a_run_all_stay_visible() {
        check(Backend::Postgres);
    }
}
