//! The drift guard (docs/spec.md §15): a tenant that would change more than its preflight
//! predicted plus `max(10, predicted / 5)` rows rolls back and fails at once, permanently,
//! with `drift: predicted N, found M`; the other tenants go on; the start option
//! `drift_guard: false` (audited) writes it anyway.

use atlas_ops::domain::control::RunOptions;
use atlas_ops::domain::run::{ItemStatus, Outcome, Scope};
use atlas_ops::entities::{findings, run_items};
use atlas_ops::runs::start::start;
use atlas_ops_tests::runs::{
    count, drain, expected_after, preflight_of, seed, snapshot, start_request, tenant_ids,
};
use atlas_ops_tests::{Backend, TestApp, db_tests, spawn_app};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

/// The application writes `n` legacy findings into `tenant_id` (status `acknowledged`, which
/// the rebuild moves on): work the preflight did not see.
async fn application_adds_work(app: &TestApp, tenant_id: i64, n: usize) {
    let now = app.ctx.now();
    findings::Entity::insert_many((0..n).map(|i| findings::ActiveModel {
        tenant_id: Set(tenant_id),
        recurrence_key: Set(format!("late-{tenant_id}-{i}")),
        severity: Set("low".into()),
        status: Set("acknowledged".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }))
    .exec(&app.db)
    .await
    .expect("the application's writes");
}

async fn item_of(app: &TestApp, run_id: i64, tenant_id: i64) -> run_items::Model {
    run_items::Entity::find()
        .filter(run_items::Column::RunId.eq(run_id))
        .filter(run_items::Column::TenantId.eq(tenant_id))
        .one(&app.db)
        .await
        .expect("item")
        .expect("the tenant's item")
}

async fn a_tenant_that_drifted_from_its_preflight_fails_untouched(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let drifting = tenant_ids(&app).await[1];
    let pf = preflight_of(&app, Scope::AllTenants, &who).await;
    application_adds_work(&app, drifting, 60).await;
    let before = snapshot(&app.db).await;
    let run_id = start(&app.ctx, start_request(&pf, Some(&who)))
        .await
        .expect("start")
        .run
        .id;
    let done = drain(&app, run_id).await;
    assert_eq!(done.outcome, Some(Outcome::PartiallySucceeded));
    assert_eq!(done.counts.failed, 1);
    let item = item_of(&app, run_id, drifting).await;
    let predicted = item.predicted_changes.expect("a prediction");
    assert!(predicted > 0, "the seed gives the tenant work");
    assert_eq!(item.status, ItemStatus::Failed);
    assert_eq!(item.attempts, 1, "a drift is never retried");
    assert_eq!(
        item.last_error.as_deref(),
        Some(format!("drift: predicted {predicted}, found {}", predicted + 60).as_str())
    );
    assert_eq!(item.error_sqlstate, None);
    // The drifted tenant is untouched; every other tenant is rebuilt.
    let expected = expected_after(&before);
    let after = snapshot(&app.db).await;
    for (now, (was, rebuilt)) in after.iter().zip(before.iter().zip(&expected)) {
        match now.tenant_id == drifting {
            true => assert_eq!(now, was, "finding {} of the drifted tenant", now.id),
            false => assert_eq!(now, rebuilt, "finding {}", now.id),
        }
    }
    assert_eq!(
        count(
            &app.db,
            &format!(
                "SELECT COUNT(*) FROM run_changes WHERE run_id = {run_id} AND tenant_id = {drifting}"
            )
        )
        .await,
        0,
        "nothing of it is logged"
    );
    // The others had predictions too, and stayed within them.
    let unpredicted = count(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM run_items WHERE run_id = {run_id} AND predicted_changes IS NULL"
        ),
    )
    .await;
    assert_eq!(unpredicted, 0);
    // A retry of the failed tenant carries its source's prediction, and drifts again.
    let retry = atlas_ops::runs::start::retry_failed(&app.ctx, run_id, {
        let mut req = start_request(&pf, Some(&who));
        req.confirmation = Some("REBUILD 1 TENANTS".into());
        req
    })
    .await
    .expect("retry")
    .run
    .id;
    drain(&app, retry).await;
    let retried = item_of(&app, retry, drifting).await;
    assert_eq!(retried.predicted_changes, Some(predicted));
    assert_eq!(retried.status, ItemStatus::Failed);
}

async fn drift_guard_false_writes_the_tenant_anyway(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let drifting = tenant_ids(&app).await[2];
    let pf = preflight_of(&app, Scope::AllTenants, &who).await;
    application_adds_work(&app, drifting, 60).await;
    let before = snapshot(&app.db).await;
    let mut req = start_request(&pf, Some(&who));
    req.options = RunOptions {
        drift_guard: Some(false),
        ..Default::default()
    };
    let run_id = start(&app.ctx, req).await.expect("start").run.id;
    let done = drain(&app, run_id).await;
    assert_eq!(done.outcome, Some(Outcome::Succeeded));
    assert_eq!(done.options.drift_guard, Some(false));
    assert_eq!(snapshot(&app.db).await, expected_after(&before));
    let item = item_of(&app, run_id, drifting).await;
    assert_eq!(
        item.findings_changed,
        item.predicted_changes.expect("a prediction") + 60
    );
    // The start's audit event says the guard was off.
    let audited = count(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM audit_events WHERE target_id = '{run_id}' \
             AND action = 'runbook.run.started' AND CAST(metadata AS TEXT) LIKE '%\"drift_guard\":%false%'"
        ),
    )
    .await;
    assert_eq!(audited, 1);
}

db_tests!(
    a_tenant_that_drifted_from_its_preflight_fails_untouched,
    drift_guard_false_writes_the_tenant_anyway
);
