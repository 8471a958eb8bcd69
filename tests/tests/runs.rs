//! Run semantics through the service layer (the same functions the API, CLI and deploy hook
//! call): preflight, start, locking, dedupe, execution, finalization, failures, notifications,
//! alerts, cancel, crash recovery and fail-safe audit.

use std::sync::Arc;

use atlas_ops::domain::run::Scope;
use atlas_ops::entities::tenants;
use atlas_ops::jobs;
use atlas_ops::runs::start::start;
use atlas_ops::runs::{RunError, query, service};
use atlas_ops_tests::runs::{
    break_audit, break_tenant, count, drain, execute_jobs, expected_after, finalizations,
    preflight_and_start, preflight_of, seed, snapshot, start_request, tenant_ids,
};
use atlas_ops_tests::{Backend, TestApp, db_tests, spawn_app, spawn_app_with};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

fn start_request_for_retry(
    who: &atlas_ops::runs::Initiator,
) -> atlas_ops::runs::start::StartRequest {
    atlas_ops::runs::start::StartRequest {
        runbook: String::new(),
        scope: Scope::AllTenants,
        parameters: serde_json::Value::Null,
        initiator: Some(who.clone()),
        reason: atlas_ops_tests::runs::reason(),
        source: atlas_ops::domain::run::Source::Cli,
        confirmation: None,
        preflight_id: String::new(),
        allow_no_changes: false,
        options: Default::default(),
        retry_of: None,
        reverts: None,
        meta: Default::default(),
        idempotency: None,
    }
}

async fn platform_id(app: &TestApp) -> i64 {
    tenants::Entity::find()
        .filter(tenants::Column::ExternalId.eq("platform"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("platform")
        .id
}

async fn preflight_changes_nothing_and_counts_match_the_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let before = snapshot(&app.db).await;
    let pf = preflight_of(&app, Scope::AllTenants, &who).await;
    assert_eq!(
        snapshot(&app.db).await,
        before,
        "preflight must not change a finding"
    );
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM operation_runs").await,
        0
    );
    // The per-rule counts equal an independent computation over the whole table.
    let rebuild = atlas_ops::runbooks::findings_lifecycle::rules::rebuild(before.clone());
    for rule in atlas_ops::runbooks::findings_lifecycle::rules::Rule::ALL {
        assert_eq!(
            pf.changes_by_rule[&rule.to_string()],
            rebuild.counts.get(rule),
            "{rule}"
        );
        assert!(
            rebuild.counts.get(rule) > 0,
            "{rule} should have work in the seed"
        );
    }
    assert_eq!(pf.findings_to_change, rebuild.changes.len() as u64);
    assert_eq!(pf.findings_examined, before.len() as u64);
    assert_eq!(pf.tenants_in_scope, 6);
    assert_eq!(pf.confirmation.phrase.as_deref(), Some("REBUILD 6 TENANTS"));
    assert!(pf.sample.len() <= 5 && !pf.sample.is_empty());
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'runbook.preflighted'"
        )
        .await,
        1
    );
}

async fn an_all_tenants_run_completes_and_matches_an_independent_recomputation(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let before = snapshot(&app.db).await;
    let expected = expected_after(&before);
    let started = preflight_and_start(&app, Scope::AllTenants, &who).await;
    assert!(!started.deduplicated);
    assert_eq!(started.run.status.as_str(), "queued");
    let run = drain(&app, started.run.id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("succeeded"));
    let c = run.counts;
    assert_eq!(
        (c.total, c.processed, c.succeeded, c.failed, c.skipped),
        (6, 6, 6, 0, 0)
    );
    assert_eq!(c.processed, c.succeeded + c.failed + c.skipped);
    let after = snapshot(&app.db).await;
    assert_eq!(after, expected);
    let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count() as i64;
    assert_eq!(c.findings_changed, changed);
    // Exactly one notification, for the initiator.
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM notifications").await,
        1
    );
    assert_eq!(
        count(&app.db, &format!("SELECT COUNT(*) FROM notifications WHERE operator_id = {} AND kind = 'OperationRunCompleted'", who.operator_id)).await,
        1
    );
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM jobs").await,
        0,
        "queue left clean"
    );
    // A second run changes nothing: it starts only when that is consented to.
    let pf = preflight_of(&app, Scope::AllTenants, &who).await;
    let mut req = start_request(&pf, Some(&who));
    assert!(matches!(
        start(&app.ctx, req.clone()).await,
        Err(RunError::Refused {
            code: "no_changes",
            ..
        })
    ));
    req.allow_no_changes = true;
    let second = start(&app.ctx, req).await.expect("start");
    let second = drain(&app, second.run.id).await;
    assert_eq!(second.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert_eq!(second.counts.findings_changed, 0);
    assert_eq!(snapshot(&app.db).await, expected);
}

async fn bad_starts_are_refused_and_create_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.allow_unfinished_jobs();
    let who = seed(&app).await;
    // The platform tenant is never a target.
    let platform = platform_id(&app).await;
    let err = atlas_ops::runs::preflight::preflight(
        &app.ctx,
        "findings.lifecycle.rebuild",
        Scope::Tenant {
            tenant_id: platform,
        },
        &serde_json::Value::Null,
        Some(&who),
        Default::default(),
    )
    .await
    .expect_err("platform tenant");
    assert!(
        matches!(err, RunError::Invalid { ref errors, .. } if errors.contains_key("scope.tenant_id"))
    );
    let pf = preflight_of(&app, Scope::AllTenants, &who).await;
    // Wrong phrase.
    let mut req = start_request(&pf, Some(&who));
    req.confirmation = Some("REBUILD ALL TENANTS".into());
    assert!(
        matches!(start(&app.ctx, req).await, Err(RunError::Invalid { ref errors, .. }) if errors.contains_key("confirmation"))
    );
    // Unknown preflight.
    let mut req = start_request(&pf, Some(&who));
    req.preflight_id = uuid::Uuid::new_v4().to_string();
    assert!(matches!(
        start(&app.ctx, req).await,
        Err(RunError::Refused {
            code: "preflight_stale",
            field: "preflight_id",
            ..
        })
    ));
    // A preflight for another scope.
    let ids = tenant_ids(&app).await;
    let mut req = start_request(&pf, Some(&who));
    req.scope = Scope::Tenant { tenant_id: ids[0] };
    req.confirmation = None;
    assert!(matches!(
        start(&app.ctx, req).await,
        Err(RunError::Refused {
            code: "preflight_stale",
            field: "preflight_id",
            ..
        })
    ));
    // Missing capability for all tenants.
    let mut weak = who.clone();
    weak.capabilities
        .retain(|c| *c != atlas_ops::domain::capability::Capability::RunbooksRunAllTenants);
    let req = start_request(&pf, Some(&weak));
    assert!(matches!(
        start(&app.ctx, req).await,
        Err(RunError::Forbidden(_))
    ));
    // The tenant count moved since the preflight: the phrase no longer matches → stale.
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO tenants (workspace_id, external_id, name) SELECT workspace_id, 'late-tenant', 'Late' FROM tenants WHERE id = {}",
            ids[0]
        ))
        .await
        .expect("insert tenant");
    let req = start_request(&pf, Some(&who));
    assert!(
        matches!(start(&app.ctx, req).await, Err(RunError::Refused { code: "preflight_stale", ref detail, .. }) if detail.contains("stale"))
    );
    // Expired.
    let pf = preflight_of(&app, Scope::AllTenants, &who).await;
    app.clock.advance(chrono::Duration::minutes(16));
    let req = start_request(&pf, Some(&who));
    assert!(
        matches!(start(&app.ctx, req).await, Err(RunError::Refused { code: "preflight_stale", ref detail, .. }) if detail.contains("expired"))
    );
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM operation_runs").await,
        0
    );
}

async fn fifty_concurrent_identical_starts_create_one_run(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    app.allow_unfinished_jobs();
    let who = seed(&app).await;
    let pf = preflight_of(&app, Scope::AllTenants, &who).await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let app = app.clone();
        let req = start_request(&pf, Some(&who));
        tasks.push(tokio::spawn(async move { start(&app.ctx, req).await }));
    }
    let mut created = 0;
    let mut deduped = 0;
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let outcome = t.await.expect("join").expect("start");
        ids.insert(outcome.run.id);
        if outcome.deduplicated {
            deduped += 1;
        } else {
            created += 1;
        }
    }
    assert_eq!((created, deduped, ids.len()), (1, 49, 1));
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM operation_runs").await,
        1
    );
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'runbook.run.deduplicated'"
        )
        .await,
        49
    );
}

async fn overlapping_runs_are_locked_out(backend: Backend) {
    let app = spawn_app(backend).await;
    app.allow_unfinished_jobs();
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    let one = preflight_and_start(&app, Scope::Tenant { tenant_id: ids[0] }, &who).await;
    // Another tenant may run at the same time.
    let two = preflight_and_start(&app, Scope::Tenant { tenant_id: ids[1] }, &who).await;
    assert!(!two.deduplicated && two.run.id != one.run.id);
    // All tenants overlaps both.
    let pf = preflight_of(&app, Scope::AllTenants, &who).await;
    let err = start(&app.ctx, start_request(&pf, Some(&who)))
        .await
        .expect_err("overlap");
    assert!(matches!(err, RunError::Conflict { active_run_id } if active_run_id == one.run.id));
    drain(&app, one.run.id).await;
    drain(&app, two.run.id).await;
    let all = start(&app.ctx, start_request(&pf, Some(&who)))
        .await
        .expect("now free");
    // And vice versa: a single tenant while all tenants is active.
    let pf1 = preflight_of(&app, Scope::Tenant { tenant_id: ids[2] }, &who).await;
    let err = start(&app.ctx, start_request(&pf1, Some(&who)))
        .await
        .expect_err("overlap");
    assert!(matches!(err, RunError::Conflict { active_run_id } if active_run_id == all.run.id));
}

async fn a_failing_tenant_gives_a_partial_success_with_alert_and_one_notification(
    backend: Backend,
) {
    let hook = atlas_ops_tests::webhook::start().await;
    let app = spawn_app_with(backend, |s| s.alert_webhook_url = Some(hook.url.clone())).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    break_tenant(&app, ids[3]).await;
    let started = preflight_and_start(&app, Scope::AllTenants, &who).await;
    let run = drain(&app, started.run.id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("partially_succeeded"));
    assert_eq!(
        (
            run.counts.succeeded,
            run.counts.failed,
            run.counts.processed
        ),
        (5, 1, 6)
    );
    let (items, _) = atlas_ops::runs::query::items(&app.db, run.id, None, 1, 100, app.ctx.now())
        .await
        .expect("items");
    assert_eq!(
        items[0].status.as_str(),
        "failed",
        "failed items come first"
    );
    assert_eq!(items[0].tenant_id, ids[3]);
    assert_eq!(items[0].attempts, 3);
    assert!(
        items[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("injected failure")
    );
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'runbook.tenant.failed'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM notifications").await,
        1
    );
    // The alert goes out through the worker's delivery pass.
    atlas_ops::alerts::deliver_due(&app.ctx)
        .await
        .expect("deliver");
    let alerts = hook.bodies().await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["run_id"], run.id);
    assert_eq!(alerts[0]["outcome"], "partially_succeeded");
    assert_eq!(alerts[0]["error_summary"], "1 of 6 tenants failed");
    assert_eq!(
        alerts[0]["console_url"],
        serde_json::Value::Null,
        "no PUBLIC_URL"
    );
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM alert_deliveries WHERE status = 'delivered'"
        )
        .await,
        1
    );
    // Retry-failed: a new run over only the failed tenant, with the all-tenants phrase naming it.
    let drop_trigger = match backend {
        Backend::Sqlite => "DROP TRIGGER break_tenant",
        Backend::Postgres => "DROP TRIGGER break_tenant ON findings",
    };
    let mut retry = start_request_for_retry(&who);
    retry.confirmation = Some("REBUILD 6 TENANTS".into());
    assert!(matches!(
        atlas_ops::runs::start::retry_failed(&app.ctx, run.id, retry.clone()).await,
        Err(RunError::Invalid { .. })
    ));
    retry.confirmation = Some("REBUILD 1 TENANTS".into());
    app.db
        .execute_unprepared(drop_trigger)
        .await
        .expect("drop trigger");
    let failed_before: Vec<_> = snapshot(&app.db)
        .await
        .into_iter()
        .filter(|f| f.tenant_id == ids[3])
        .collect();
    assert!(
        !atlas_ops::runbooks::findings_lifecycle::rules::rebuild(failed_before)
            .changes
            .is_empty(),
        "the failed tenant was left untouched"
    );
    let retried = atlas_ops::runs::start::retry_failed(&app.ctx, run.id, retry)
        .await
        .expect("retry");
    assert_eq!(retried.run.retry_of_run_id, Some(run.id));
    let retried = drain(&app, retried.run.id).await;
    assert_eq!(retried.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert_eq!((retried.counts.total, retried.counts.succeeded), (1, 1));
    // The failed tenant's data is rebuilt now.
    let failed: Vec<_> = snapshot(&app.db)
        .await
        .into_iter()
        .filter(|f| f.tenant_id == ids[3])
        .collect();
    assert!(
        atlas_ops::runbooks::findings_lifecycle::rules::rebuild(failed)
            .changes
            .is_empty()
    );
}

async fn runs_without_an_operator_notify_nobody(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let ids = tenant_ids(&app).await;
    let pf = preflight_of(&app, Scope::Tenant { tenant_id: ids[0] }, &who).await;
    let mut req = start_request(&pf, None);
    req.initiator = None;
    let started = start(&app.ctx, req).await.expect("start");
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM notifications").await,
        0,
        "none while queued"
    );
    let run = drain(&app, started.run.id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert!(run.initiator.is_none());
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM notifications").await,
        0
    );
}

async fn a_failing_audit_never_fails_a_run(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    break_audit(&app).await;
    let started = preflight_and_start(&app, Scope::AllTenants, &who).await;
    let run = drain(&app, started.run.id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM audit_events").await, 0);
}

async fn a_lost_worker_is_recovered_without_double_counting(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let before = snapshot(&app.db).await;
    let started = preflight_and_start(&app, Scope::AllTenants, &who).await;
    // Fan out, then let a "worker" claim a tenant job and die without finishing it.
    execute_jobs(&app, 1).await;
    let lease = chrono::Duration::seconds(30);
    let lost = jobs::claim(&app.db, app.ctx.now(), lease)
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(lost.kind, "run.tenant");
    service::start_item(
        &app.ctx,
        started.run.id,
        lost.payload["item_id"].as_i64().expect("item"),
        lost.attempts,
        &lost.worker,
        false,
    )
    .await
    .expect("start item");
    // Another worker cannot take it while the lease holds...
    app.clock.advance(chrono::Duration::seconds(31));
    let run = drain(&app, started.run.id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("succeeded"));
    assert_eq!((run.counts.processed, run.counts.succeeded), (6, 6));
    assert_eq!(snapshot(&app.db).await, expected_after(&before));
    // ...and the dead worker's late writes are refused.
    assert!(!jobs::complete(&app.db, &lost).await.expect("complete"));
}

async fn cancel_stops_pending_items(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let started = preflight_and_start(&app, Scope::AllTenants, &who).await;
    // Fan out and rebuild one tenant, then cancel.
    execute_jobs(&app, 2).await;
    let view = service::cancel(
        &app.ctx,
        started.run.id,
        Some(&who),
        "operator changed their mind",
        &atlas_ops::auth::RequestMeta::from_source("cli"),
    )
    .await
    .expect("cancel");
    assert_eq!(view.status.as_str(), "completed");
    assert_eq!(view.outcome.map(|o| o.as_str()), Some("cancelled"));
    // Cancelled items are not processed work (docs/spec.md §18): neither skipped nor processed.
    assert_eq!(
        (
            view.counts.succeeded,
            view.counts.skipped,
            view.counts.processed,
            view.counts.cancelled
        ),
        (1, 0, 1, 5)
    );
    assert_eq!(view.progress_percent, 16.7);
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'run.tenant'"
        )
        .await,
        0
    );
    assert!(matches!(
        service::cancel(
            &app.ctx,
            started.run.id,
            Some(&who),
            "again, for good measure",
            &atlas_ops::auth::RequestMeta::from_source("cli")
        )
        .await,
        Err(RunError::State { .. })
    ));
}

async fn cancel_before_the_fan_out_completes_once_it_runs(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let started = preflight_and_start(&app, Scope::AllTenants, &who).await;
    let view = service::cancel(
        &app.ctx,
        started.run.id,
        Some(&who),
        "cancelled before any tenant ran",
        &atlas_ops::auth::RequestMeta::from_source("cli"),
    )
    .await
    .expect("cancel");
    assert_eq!(
        view.status.as_str(),
        "queued",
        "the fan-out job still has to observe the cancel"
    );
    let run = drain(&app, started.run.id).await;
    assert_eq!(run.outcome.map(|o| o.as_str()), Some("cancelled"));
    assert_eq!(
        run.counts.processed,
        run.counts.succeeded + run.counts.failed + run.counts.skipped
    );
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM run_items").await, 0);
}

async fn finalization_happens_exactly_once(backend: Backend) {
    let app = Arc::new(spawn_app(backend).await);
    let who = seed(&app).await;
    let started = preflight_and_start(&app, Scope::AllTenants, &who).await;
    drain(&app, started.run.id).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            service::try_finalize(&app.ctx, started.run.id).await
        }));
    }
    for t in tasks {
        assert!(t.await.expect("join").expect("finalize").is_none());
    }
    assert_eq!(finalizations(&app.db).await, (1, 1));
}

/// Statuses, outcomes, sources and scope kinds are enums on the entity: a stored name that is
/// none of the enum's fails to load, and scope columns that disagree fail the view; neither is
/// ever guessed (a corrupt scope must not read as all tenants).
async fn a_corrupt_stored_enum_is_an_error_never_a_guess(backend: Backend) {
    let app = spawn_app(backend).await;
    app.allow_unfinished_jobs();
    let run_id = atlas_ops_tests::runs::queued_run(&app).await;
    let exec = |sql: String| {
        let db = app.db.clone();
        async move { db.execute_unprepared(&sql).await.expect("update") }
    };
    exec(format!(
        "UPDATE operation_runs SET status = 'paused_perhaps' WHERE id = {run_id}"
    ))
    .await;
    assert!(query::find(&app.db, run_id).await.is_err());
    exec(format!(
        "UPDATE operation_runs SET status = 'queued', scope_kind = 'tenant', scope_tenant_id = NULL \
         WHERE id = {run_id}"
    ))
    .await;
    let run = query::find(&app.db, run_id)
        .await
        .expect("loads")
        .expect("run");
    assert!(
        query::view(&app.db, &app.ctx.runbooks, run, app.ctx.now())
            .await
            .is_err()
    );
}

db_tests!(
    a_corrupt_stored_enum_is_an_error_never_a_guess,
    preflight_changes_nothing_and_counts_match_the_rules,
    an_all_tenants_run_completes_and_matches_an_independent_recomputation,
    bad_starts_are_refused_and_create_nothing,
    fifty_concurrent_identical_starts_create_one_run,
    overlapping_runs_are_locked_out,
    a_failing_tenant_gives_a_partial_success_with_alert_and_one_notification,
    runs_without_an_operator_notify_nobody,
    a_failing_audit_never_fails_a_run,
    a_lost_worker_is_recovered_without_double_counting,
    cancel_stops_pending_items,
    cancel_before_the_fan_out_completes_once_it_runs,
    finalization_happens_exactly_once,
);
