//! Helpers for run tests: small seeded data, draining the job queue deterministically, and
//! snapshots of the findings table.

use atlas_ops::auth::operators;
use atlas_ops::demo::{self, SeedShape};
use atlas_ops::domain::capability::Capability;
use atlas_ops::domain::run::{Reason, ReasonCode, Scope, Source};
use atlas_ops::entities::findings;
use atlas_ops::jobs::worker::{Tick, try_execute_one};
use atlas_ops::runbooks::findings_lifecycle::rules;
use atlas_ops::runs::Initiator;
use atlas_ops::runs::preflight::{self, PreflightResult};
use atlas_ops::runs::query::{self, ScopeView};
use atlas_ops::runs::start::{StartRequest, StartedRun, start};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Statement};

use crate::TestApp;

/// The shape the run tests seed: small enough to be quick on both back-ends.
pub const SMALL: SeedShape = SeedShape {
    workspaces: 2,
    tenants: 6,
    findings_per_tenant: 120,
};

/// Seeds [`SMALL`] and creates an operator with every capability.
pub async fn seed(app: &TestApp) -> Initiator {
    seed_shape(app, SMALL).await
}

/// Seeds `shape` and creates an operator with every capability.
pub async fn seed_shape(app: &TestApp, shape: SeedShape) -> Initiator {
    demo::seed(&app.db, shape, Some("seed-password-0451".into()))
        .await
        .expect("seed");
    let op = operators::create_operator(
        &app.db,
        "runner",
        None,
        "pipeline-password-0451",
        &Capability::ALL,
    )
    .await
    .expect("operator");
    Initiator {
        operator_id: op.id,
        username: op.username,
        capabilities: Capability::ALL.to_vec(),
    }
}

/// The operator `username` as an initiator, with their capabilities.
pub async fn operator(app: &TestApp, username: &str) -> Initiator {
    let op = operators::find_operator(&app.db, username)
        .await
        .expect("operator");
    Initiator {
        operator_id: op.id,
        capabilities: operators::capabilities_of(&app.db, op.id)
            .await
            .expect("capabilities"),
        username: op.username,
    }
}

/// A reason that passes validation.
pub fn reason() -> Reason {
    Reason::parse(
        ReasonCode::DataRepair.as_str(),
        "repair legacy lifecycle columns",
    )
    .expect("reason")
}

/// Preflight of the v1 runbook.
pub async fn preflight_of(app: &TestApp, scope: Scope, who: &Initiator) -> PreflightResult {
    preflight::preflight(
        &app.ctx,
        "findings.lifecycle.rebuild",
        scope,
        &serde_json::Value::Null,
        Some(who),
        Default::default(),
    )
    .await
    .expect("preflight")
}

/// The request scope of a preflight over one tenant, all tenants or a workspace (a list's
/// view shows only its first tenants: send the list itself).
pub fn request_scope(view: &ScopeView) -> Scope {
    match view {
        ScopeView::Tenant { tenant_id, .. } => Scope::Tenant {
            tenant_id: *tenant_id,
        },
        ScopeView::AllTenants => Scope::AllTenants,
        ScopeView::Workspace { workspace_id, .. } => Scope::Workspace {
            workspace_id: *workspace_id,
        },
        ScopeView::Tenants { .. } => panic!("send a list scope's own list"),
    }
}

/// A start request confirmed against `pf` (with the right phrase).
pub fn start_request(pf: &PreflightResult, who: Option<&Initiator>) -> StartRequest {
    StartRequest {
        runbook: pf.runbook.clone(),
        scope: request_scope(&pf.scope),
        parameters: pf.parameters.clone(),
        initiator: who.cloned(),
        reason: reason(),
        source: Source::Cli,
        confirmation: pf.confirmation.phrase.clone(),
        preflight_id: pf.preflight_id.clone(),
        allow_no_changes: false,
        options: Default::default(),
        retry_of: None,
        reverts: None,
        meta: Default::default(),
        idempotency: None,
    }
}

/// Preflight + start over `scope`, consenting to a start that changes nothing (tests repeat
/// runs over data an earlier run already repaired).
pub async fn preflight_and_start(app: &TestApp, scope: Scope, who: &Initiator) -> StartedRun {
    let pf = preflight_of(app, scope, who).await;
    let mut req = start_request(&pf, Some(who));
    req.allow_no_changes = true;
    start(&app.ctx, req).await.expect("start")
}

/// Preflight + start over all tenants; returns the run's id (left queued: the test app runs
/// no workers).
pub async fn start_all_tenants(app: &TestApp, who: &Initiator) -> i64 {
    preflight_and_start(app, Scope::AllTenants, who)
        .await
        .run
        .id
}

/// Seeds [`SMALL`] and starts an all-tenants run (left queued); returns its id.
pub async fn queued_run(app: &TestApp) -> i64 {
    let who = seed(app).await;
    start_all_tenants(app, &who).await
}

/// Runs the next `n` due jobs, as one worker would (a run's fan-out first, then its tenants in
/// order); panics when the queue has none due.
pub async fn execute_jobs(app: &TestApp, n: usize) {
    for step in 1..=n {
        let tick = try_execute_one(&app.ctx).await.expect("execute");
        assert_eq!(tick, Tick::Executed, "job {step} of {n} was not due");
    }
}

/// Runs jobs until `run_id` completes, moving the clock past retry backoffs when the queue
/// has nothing due. Panics if the run does not complete within a bounded number of steps.
pub async fn drain(app: &TestApp, run_id: i64) -> query::RunView {
    for _ in 0..10_000 {
        let run = query::find(&app.db, run_id)
            .await
            .expect("find")
            .expect("run");
        if run.status == atlas_ops::domain::run::RunStatus::Completed {
            return query::view(&app.db, &app.ctx.runbooks, run, app.ctx.now())
                .await
                .expect("view");
        }
        match try_execute_one(&app.ctx).await.expect("execute") {
            Tick::Executed => {}
            Tick::Empty => app.clock.advance(chrono::Duration::seconds(30)),
        }
    }
    panic!("run {run_id} did not complete");
}

/// Every finding, ordered by id, as the rules see them.
pub async fn snapshot(db: &impl ConnectionTrait) -> Vec<rules::Finding> {
    findings::Entity::find()
        .order_by_asc(findings::Column::Id)
        .all(db)
        .await
        .expect("findings")
        .into_iter()
        .map(|m| rules::Finding {
            id: m.id,
            tenant_id: m.tenant_id,
            recurrence_key: m.recurrence_key,
            severity: m.severity,
            status: m.status,
            first_seen_at: m.first_seen_at,
            last_seen_at: m.last_seen_at,
            times_seen: m.times_seen,
            due_at: m.due_at,
            triaged_at: m.triaged_at,
            resolved_at: m.resolved_at,
            closed_at: m.closed_at,
            closed_reason: m.closed_reason,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
        .collect()
}

/// `findings` with `rebuild`'s changes applied: the independent recomputation of a run.
pub fn expected_after(before: &[rules::Finding]) -> Vec<rules::Finding> {
    let rebuild = rules::rebuild(before.to_vec());
    let mut after = before.to_vec();
    for change in rebuild.changes {
        if let Some(slot) = after.iter_mut().find(|f| f.id == change.after.id) {
            *slot = change.after;
        }
    }
    after
}

/// `SELECT COUNT(*)` of `sql`.
pub async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count query")
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(-1)
}

/// Makes every `UPDATE` of `tenant_id`'s findings fail (an injected tenant failure).
pub async fn break_tenant(app: &TestApp, tenant_id: i64) {
    let sql = match app.backend {
        crate::Backend::Sqlite => vec![format!(
            "CREATE TRIGGER break_tenant BEFORE UPDATE ON findings WHEN NEW.tenant_id = {tenant_id} \
             BEGIN SELECT RAISE(ABORT, 'injected failure for tenant {tenant_id}'); END"
        )],
        crate::Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION break_tenant() RETURNS trigger AS $$ BEGIN \
                 IF NEW.tenant_id = {tenant_id} THEN RAISE EXCEPTION 'injected failure for tenant {tenant_id}'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER break_tenant BEFORE UPDATE ON findings FOR EACH ROW EXECUTE FUNCTION break_tenant()".into(),
        ],
    };
    for s in sql {
        app.db.execute_unprepared(&s).await.expect("trigger");
    }
}

/// Makes every `UPDATE` of `tenant_id`'s findings fail on a check constraint (SQLSTATE
/// 23514 on both back-ends: an error no retry can fix). [`break_tenant`]'s raised exception is
/// the transient kind: it is retried.
pub async fn break_tenant_with_constraint(app: &TestApp, tenant_id: i64) {
    let table = "CREATE TABLE injected_check (tenant_id BIGINT NOT NULL CHECK (tenant_id < 0))";
    let sql = match app.backend {
        crate::Backend::Sqlite => vec![
            table.to_owned(),
            format!(
                "CREATE TRIGGER break_tenant BEFORE UPDATE ON findings WHEN NEW.tenant_id = {tenant_id} \
                 BEGIN INSERT INTO injected_check VALUES (NEW.tenant_id); END"
            ),
        ],
        crate::Backend::Postgres => vec![
            table.to_owned(),
            format!(
                "CREATE FUNCTION break_tenant() RETURNS trigger AS $$ BEGIN \
                 IF NEW.tenant_id = {tenant_id} THEN INSERT INTO injected_check VALUES (NEW.tenant_id); END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER break_tenant BEFORE UPDATE ON findings FOR EACH ROW EXECUTE FUNCTION break_tenant()".into(),
        ],
    };
    for s in sql {
        app.db
            .execute_unprepared(&s)
            .await
            .expect("constraint trigger");
    }
}

/// Undoes [`break_tenant`] (or [`break_tenant_with_constraint`]).
pub async fn mend_tenant(app: &TestApp) {
    let sql = match app.backend {
        crate::Backend::Sqlite => "DROP TRIGGER break_tenant",
        crate::Backend::Postgres => "DROP TRIGGER break_tenant ON findings",
    };
    app.db.execute_unprepared(sql).await.expect("drop trigger");
}

/// Runs jobs until none is due, without moving the clock (so no retry comes due).
pub async fn run_due_jobs(app: &TestApp) {
    for _ in 0..1_000 {
        if try_execute_one(&app.ctx).await.expect("execute") == Tick::Empty {
            return;
        }
    }
    panic!("the queue never ran dry");
}

/// Makes every audit insert fail, to prove audit writes are fail-safe.
pub async fn break_audit(app: &TestApp) {
    let sql = match app.backend {
        crate::Backend::Sqlite => vec![
            "CREATE TRIGGER break_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit is down'); END".to_owned(),
        ],
        crate::Backend::Postgres => vec![
            "CREATE FUNCTION break_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit is down'; END $$ LANGUAGE plpgsql".to_owned(),
            "CREATE TRIGGER break_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION break_audit()".into(),
        ],
    };
    for s in sql {
        app.db.execute_unprepared(&s).await.expect("trigger");
    }
}

/// Every tenant rebuild takes at least `seconds` (a statement-level trigger sleeps once per
/// transaction, however many UPDATEs the tenant's rows need; PostgreSQL).
pub async fn slow_down_rebuilds(app: &TestApp, seconds: f64) {
    app.db
        .execute_unprepared(&format!(
            "CREATE FUNCTION slow_rebuild() RETURNS trigger AS $$ BEGIN \
             IF COALESCE(current_setting('atlas.slept', true), '') <> '1' THEN \
               PERFORM pg_sleep({seconds}); PERFORM set_config('atlas.slept', '1', true); \
             END IF; RETURN NULL; END $$ LANGUAGE plpgsql"
        ))
        .await
        .expect("function");
    app.db
        .execute_unprepared(
            "CREATE TRIGGER slow_rebuild AFTER UPDATE ON findings FOR EACH STATEMENT EXECUTE FUNCTION slow_rebuild()",
        )
        .await
        .expect("trigger");
}

/// Polls `SELECT COUNT(*) ...` until it is positive; false after `timeout`. Database errors
/// (an outage the test caused) count as "not yet".
pub async fn wait_until(app: &TestApp, sql: &str, timeout: std::time::Duration) -> bool {
    let started = std::time::Instant::now();
    while started.elapsed() < timeout {
        let n = app
            .db
            .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
            .await
            .ok()
            .flatten()
            .and_then(|r| r.try_get_by_index::<i64>(0).ok())
            .unwrap_or(0);
        if n > 0 {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// The SQL that [`wait_until`] polls for `run_id` to complete.
pub fn completed(run_id: i64) -> String {
    format!("SELECT COUNT(*) FROM operation_runs WHERE id = {run_id} AND status = 'completed'")
}

/// How many runs were finalized, counted two ways: (notifications, `runbook.run.completed`
/// audit events). Exactly-once finalization keeps both equal to the number of completed runs
/// (with an initiator, and a working audit table).
pub async fn finalizations(db: &impl ConnectionTrait) -> (i64, i64) {
    (
        count(db, "SELECT COUNT(*) FROM notifications").await,
        count(
            db,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'runbook.run.completed'",
        )
        .await,
    )
}

/// The ids of the tenants a run may cover (every one but the platform tenant), ascending.
pub async fn tenant_ids(app: &TestApp) -> Vec<i64> {
    use sea_orm::{ColumnTrait, QueryFilter};
    atlas_ops::entities::tenants::Entity::find()
        .filter(atlas_ops::entities::tenants::Column::ExternalId.ne("platform"))
        .order_by_asc(atlas_ops::entities::tenants::Column::Id)
        .all(&app.db)
        .await
        .expect("tenants")
        .into_iter()
        .map(|t| t.id)
        .collect()
}
