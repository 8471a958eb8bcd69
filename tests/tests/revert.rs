//! Revert (docs/spec.md §15): a completed run is put back from its change log by a revert run
//! through the same pipeline; rows the application changed since are left alone and counted as
//! conflicts; reverting twice changes nothing; a revert can itself be reverted (a redo).

use std::collections::BTreeSet;

use atlas_ops::domain::capability::Capability;
use atlas_ops::domain::run::{RunKind, Scope};
use atlas_ops::runbooks::findings_lifecycle::rules::Finding;
use atlas_ops::runs::Initiator;
use atlas_ops::runs::RunError;
use atlas_ops::runs::changes::{self, ChangeView};
use atlas_ops::runs::preflight;
use atlas_ops::runs::query::{RunView, ScopeView};
use atlas_ops::runs::revert::{self, RevertPreflight};
use atlas_ops::runs::start::{StartRequest, start};
use atlas_ops_tests::runs::{
    count, drain, preflight_and_start, reason, seed, snapshot, start_request,
};
use atlas_ops_tests::{Backend, TestApp, db_tests, spawn_app};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// Every changed row of `run_id`, all pages.
async fn logged(app: &TestApp, run_id: i64) -> Vec<ChangeView> {
    changes::list(&app.db, run_id, None, 0, u64::MAX / 2)
        .await
        .expect("changes")
        .0
}

/// The revert preflight of `run_id` as `who`.
async fn revert_preflight(app: &TestApp, run_id: i64, who: &Initiator) -> RevertPreflight {
    revert::preflight(&app.ctx, run_id, Some(who), Default::default())
        .await
        .expect("revert preflight")
}

/// A revert request confirmed against `pf` (with its phrase).
fn revert_request(pf: &RevertPreflight, who: &Initiator) -> StartRequest {
    StartRequest {
        runbook: String::new(),
        scope: Scope::AllTenants,
        parameters: Value::Null,
        initiator: Some(who.clone()),
        reason: reason(),
        source: atlas_ops::domain::run::Source::Cli,
        confirmation: pf.confirmation.phrase.clone(),
        preflight_id: pf.preflight_id.clone(),
        allow_no_changes: false,
        options: Default::default(),
        retry_of: None,
        reverts: Some(pf.reverts_run_id),
        meta: Default::default(),
        idempotency: None,
    }
}

/// Reverts `run_id` (preflight, start, drain) and returns the preflight and the revert run.
async fn revert_and_drain(
    app: &TestApp,
    run_id: i64,
    who: &Initiator,
    allow_no_changes: bool,
) -> (RevertPreflight, RunView) {
    let pf = revert_preflight(app, run_id, who).await;
    let mut req = revert_request(&pf, who);
    req.allow_no_changes = allow_no_changes;
    let started = revert::start(&app.ctx, run_id, req)
        .await
        .expect("revert start");
    assert!(!started.deduplicated);
    (pf, drain(app, started.run.id).await)
}

/// The application writes a value of its own into a column the run changed, in `rows`: each
/// then no longer holds what the run wrote.
async fn application_edits(app: &TestApp, rows: &[&ChangeView]) {
    for row in rows {
        let column = row
            .after
            .keys()
            .find(|c| c.ends_with("_at"))
            .expect("an instant column");
        app.db
            .execute_unprepared(&format!(
                "UPDATE findings SET {column} = '2020-01-02T03:04:05Z' WHERE id = {}",
                row.finding_id
            ))
            .await
            .expect("application write");
    }
}

/// The application rewrites an instant the run wrote in the other text form SQLite knows
/// (`Z` for `+00:00`): the same instant, so the row is still to restore (values are compared
/// decoded). On PostgreSQL the column is a `timestamptz`; the rewrite keeps it as is.
async fn application_rewrites_same_instant(app: &TestApp, row: &ChangeView) {
    let column = row
        .after
        .iter()
        .find(|(c, v)| c.ends_with("_at") && !v.is_null())
        .map(|(c, _)| c.clone())
        .expect("a written instant");
    let sql = match app.backend {
        Backend::Sqlite => format!(
            "UPDATE findings SET {column} = replace({column}, '+00:00', 'Z') WHERE id = {}",
            row.finding_id
        ),
        Backend::Postgres => format!(
            "UPDATE findings SET {column} = {column} WHERE id = {}",
            row.finding_id
        ),
    };
    app.db.execute_unprepared(&sql).await.expect("rewrite");
    if app.backend == Backend::Sqlite {
        assert_eq!(
            count(
                &app.db,
                &format!(
                    "SELECT COUNT(*) FROM findings WHERE id = {} AND {column} LIKE '%Z'",
                    row.finding_id
                )
            )
            .await,
            1,
            "the instant is stored in its other text form"
        );
    }
}

/// The data as `expected`, except the rows of `kept`, which hold `edited`'s values.
fn assert_data(now: &[Finding], expected: &[Finding], edited: &[Finding], kept: &BTreeSet<i64>) {
    assert_eq!(now.len(), expected.len());
    for ((now, expected), edited) in now.iter().zip(expected).zip(edited) {
        if kept.contains(&now.id) {
            assert_eq!(
                now, edited,
                "finding {} keeps the application's values",
                now.id
            );
        } else {
            assert_eq!(now, expected, "finding {}", now.id);
        }
    }
}

/// The round trip of docs/spec.md §15 over the completed run `run_id` of an all-tenants scope
/// (the data was `original` before it): the application edits 3 changed rows; the revert
/// restores everything else and lists those 3 as conflicts; a second revert changes nothing; a
/// revert of the revert gives the run's data back (the 3 rows keep the application's values).
async fn round_trip(app: &TestApp, who: &Initiator, run_id: i64, original: &[Finding]) {
    let log = logged(app, run_id).await;
    assert!(log.len() > 10, "the run changed rows: {}", log.len());
    let tenants: BTreeSet<i64> = log.iter().map(|r| r.tenant_id).collect();
    // Three changed rows, in different tenants where there are several.
    let mut edited_rows: Vec<&ChangeView> = Vec::new();
    for tenant in tenants.iter().cycle().take(tenants.len().max(3) * 3) {
        if edited_rows.len() == 3 {
            break;
        }
        if let Some(row) = log.iter().find(|r| {
            r.tenant_id == *tenant
                && r.after.keys().any(|c| c.ends_with("_at"))
                && !edited_rows.iter().any(|e| e.finding_id == r.finding_id)
        }) {
            edited_rows.push(row);
        }
    }
    assert_eq!(edited_rows.len(), 3);
    application_edits(app, &edited_rows).await;
    let same_instant = log
        .iter()
        .find(|r| {
            !edited_rows.iter().any(|e| e.finding_id == r.finding_id)
                && r.after
                    .iter()
                    .any(|(c, v)| c.ends_with("_at") && !v.is_null())
        })
        .expect("a row with a written instant");
    application_rewrites_same_instant(app, same_instant).await;
    let edited = snapshot(&app.db).await;
    let kept: BTreeSet<i64> = edited_rows.iter().map(|r| r.finding_id).collect();

    // The preflight tells it all before anything changes.
    let pf = revert_preflight(app, run_id, who).await;
    assert_eq!(pf.kind, RunKind::Revert);
    assert_eq!(pf.reverts_run_id, run_id);
    assert_eq!(pf.tenants_in_scope, tenants.len() as u64);
    assert_eq!(pf.rows_logged, log.len() as u64);
    assert_eq!(pf.rows_to_restore, log.len() as u64 - 3);
    assert_eq!(pf.rows_already_restored, 0);
    assert_eq!(pf.conflicts, 3);
    assert_eq!(
        pf.conflict_sample
            .iter()
            .map(|c| c["finding_id"].as_i64().expect("id"))
            .collect::<BTreeSet<_>>(),
        kept
    );
    for conflict in &pf.conflict_sample {
        assert!(conflict["tenant_external_id"].is_string(), "{conflict}");
        let written = conflict["written"].as_object().expect("written");
        let now = conflict["after"].as_object().expect("the row now");
        assert_eq!(
            written.keys().collect::<Vec<_>>(),
            now.keys().collect::<Vec<_>>()
        );
        assert!(
            now.values().any(|v| v == "2020-01-02T03:04:05Z"),
            "{conflict}"
        );
    }
    assert_eq!(
        pf.confirmation.phrase.as_deref(),
        Some(format!("REVERT {} TENANTS", tenants.len()).as_str())
    );
    assert!(matches!(
        pf.scope,
        ScopeView::Tenants { count, reverts_run_id: Some(of), .. } if count == tenants.len() as u64 && of == run_id
    ));
    assert_eq!(
        snapshot(&app.db).await,
        edited,
        "a preflight changes nothing"
    );
    // A wrong phrase is refused and changes nothing.
    let mut wrong = revert_request(&pf, who);
    wrong.confirmation = Some("REVERT 1 TENANTS".into());
    assert!(matches!(
        revert::start(&app.ctx, run_id, wrong).await,
        Err(RunError::Invalid { errors, .. }) if errors.contains_key("confirmation")
    ));

    // The revert.
    let started = revert::start(&app.ctx, run_id, revert_request(&pf, who))
        .await
        .expect("revert");
    assert_eq!(started.run.kind, RunKind::Revert);
    assert_eq!(started.run.reverts_run_id, Some(run_id));
    assert_eq!(started.run.runbook, log_runbook(app, run_id).await);
    assert_eq!(
        started.run.scope.label(),
        format!("{} tenants (revert of #{run_id})", tenants.len())
    );
    let revert_run = drain(app, started.run.id).await;
    assert_eq!(revert_run.counts.total, tenants.len() as i64);
    assert_eq!(revert_run.counts.succeeded, tenants.len() as i64);
    assert_eq!(revert_run.counts.findings_changed, log.len() as i64 - 3);
    assert_eq!(revert_run.counts.conflicts, 3);
    assert_data(&snapshot(&app.db).await, original, &edited, &kept);
    let items_conflicts = count(
        &app.db,
        &format!(
            "SELECT CAST(SUM(conflicts) AS BIGINT) FROM run_items WHERE run_id = {}",
            revert_run.id
        ),
    )
    .await;
    assert_eq!(items_conflicts, 3, "each item reports its conflicts");
    let by_rule = count(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM run_items WHERE run_id = {} AND changes_by_rule IS NOT NULL",
            revert_run.id
        ),
    )
    .await;
    assert_eq!(by_rule, tenants.len() as i64);
    // The revert's own change log: what it restored, under `restore`.
    let restored = logged(app, revert_run.id).await;
    assert_eq!(restored.len() as i64, revert_run.counts.findings_changed);
    assert!(restored.iter().all(|r| r.rules == ["restore"]));
    let original_view = atlas_ops::runs::query::view(
        &app.db,
        &app.ctx.runbooks,
        atlas_ops::runs::query::find(&app.db, run_id)
            .await
            .expect("find")
            .expect("run"),
        app.ctx.now(),
    )
    .await
    .expect("view");
    assert_eq!(
        original_view
            .reverted_by
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        [revert_run.id]
    );

    // A second revert of the same run restores nothing and changes nothing.
    let pf2 = revert_preflight(app, run_id, who).await;
    assert_eq!(pf2.rows_to_restore, 0);
    assert_eq!(pf2.rows_already_restored, log.len() as u64 - 3);
    assert_eq!(pf2.conflicts, 3);
    let refused = revert::start(&app.ctx, run_id, revert_request(&pf2, who)).await;
    assert!(
        matches!(
            refused,
            Err(RunError::Refused {
                code: "no_changes",
                ..
            })
        ),
        "{refused:?}"
    );
    let before_second = snapshot(&app.db).await;
    let (_, second) = revert_and_drain(app, run_id, who, true).await;
    assert_eq!(second.counts.findings_changed, 0);
    assert_eq!(second.counts.conflicts, 3);
    assert_eq!(snapshot(&app.db).await, before_second);

    // Reverting the revert (a redo) gives the run's data back; the 3 rows keep the
    // application's values throughout.
    let (redo_pf, redo) = revert_and_drain(app, revert_run.id, who, false).await;
    assert_eq!(redo_pf.rows_to_restore, log.len() as u64 - 3);
    assert_eq!(redo_pf.conflicts, 0);
    assert_eq!(redo.counts.findings_changed, log.len() as i64 - 3);
    assert_eq!(redo.reverts_run_id, Some(revert_run.id));
    assert_eq!(snapshot(&app.db).await, edited);
}

/// The runbook key of run `run_id`.
async fn log_runbook(app: &TestApp, run_id: i64) -> String {
    atlas_ops::runs::query::find(&app.db, run_id)
        .await
        .expect("find")
        .expect("run")
        .runbook_key
}

async fn a_rebuild_is_reverted_except_what_the_application_changed_since(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let original = snapshot(&app.db).await;
    let run = preflight_and_start(&app, Scope::AllTenants, &who).await;
    drain(&app, run.run.id).await;
    assert_ne!(snapshot(&app.db).await, original);
    round_trip(&app, &who, run.run.id, &original).await;
}

async fn close_stale_is_reverted_except_what_the_application_changed_since(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let original = snapshot(&app.db).await;
    let pf = preflight::preflight(
        &app.ctx,
        "findings.stale.close",
        Scope::AllTenants,
        &json!({"last_seen_before": (app.ctx.now() - chrono::Duration::days(30)).to_rfc3339()}),
        Some(&who),
        Default::default(),
    )
    .await
    .expect("preflight");
    let run_id = start(&app.ctx, start_request(&pf, Some(&who)))
        .await
        .expect("start")
        .run
        .id;
    drain(&app, run_id).await;
    round_trip(&app, &who, run_id, &original).await;
}

async fn a_deleted_row_is_a_conflict_and_a_single_tenant_revert_needs_no_phrase(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let tenant = count(&app.db, "SELECT MIN(tenant_id) FROM findings").await;
    let run_id = preflight_and_start(&app, Scope::Tenant { tenant_id: tenant }, &who)
        .await
        .run
        .id;
    drain(&app, run_id).await;
    let log = logged(&app, run_id).await;
    let gone = log[0].finding_id;
    app.db
        .execute_unprepared(&format!("DELETE FROM findings WHERE id = {gone}"))
        .await
        .expect("delete");
    let pf = revert_preflight(&app, run_id, &who).await;
    assert!(!pf.confirmation.required);
    assert_eq!(pf.confirmation.phrase, None);
    assert_eq!(pf.conflicts, 1);
    assert_eq!(pf.conflict_sample[0]["finding_id"], gone);
    assert_eq!(pf.conflict_sample[0]["after"], Value::Null, "deleted");
    let mut req = revert_request(&pf, &who);
    req.confirmation = None;
    let started = revert::start(&app.ctx, run_id, req).await.expect("revert");
    let done = drain(&app, started.run.id).await;
    assert_eq!(done.counts.conflicts, 1);
    assert_eq!(done.counts.findings_changed, log.len() as i64 - 1);
    assert_eq!(
        count(
            &app.db,
            &format!("SELECT COUNT(*) FROM findings WHERE id = {gone}")
        )
        .await,
        0,
        "a revert never re-creates a deleted row"
    );
}

async fn what_cannot_be_reverted_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    // Still active: 409 invalid_state.
    let active = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    let refused = revert::preflight(&app.ctx, active, Some(&who), Default::default()).await;
    assert!(
        matches!(
            refused,
            Err(RunError::State {
                code: "invalid_state",
                ..
            })
        ),
        "{refused:?}"
    );
    drain(&app, active).await;
    // A run that changed nothing: nothing to revert.
    let clean = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    drain(&app, clean).await;
    let refused = revert::preflight(&app.ctx, clean, Some(&who), Default::default()).await;
    assert!(
        matches!(&refused, Err(RunError::State { detail, .. }) if detail.contains("changed no row")),
        "{refused:?}"
    );
    // Unknown run.
    assert!(matches!(
        revert::preflight(&app.ctx, 999_999, Some(&who), Default::default()).await,
        Err(RunError::RunNotFound)
    ));
    // A runbook preflight cited by a revert, and a revert preflight cited by a start: stale.
    let pf = revert_preflight(&app, active, &who).await;
    let runbook_pf = atlas_ops_tests::runs::preflight_of(&app, Scope::AllTenants, &who).await;
    let mut req = revert_request(&pf, &who);
    req.preflight_id = runbook_pf.preflight_id.clone();
    let refused = revert::start(&app.ctx, active, req).await;
    assert!(
        matches!(
            refused,
            Err(RunError::Refused {
                code: "preflight_stale",
                ..
            })
        ),
        "{refused:?}"
    );
    let mut start_req = start_request(&runbook_pf, Some(&who));
    start_req.preflight_id = pf.preflight_id.clone();
    let refused = start(&app.ctx, start_req).await;
    assert!(
        matches!(
            refused,
            Err(RunError::Refused {
                code: "preflight_stale",
                ..
            })
        ),
        "{refused:?}"
    );
    // A revert preflight of another run.
    let refused = revert::start(&app.ctx, clean, revert_request(&pf, &who)).await;
    assert!(
        matches!(&refused, Err(RunError::Refused { code: "preflight_stale", detail, .. }) if detail.contains(&format!("#{active}"))),
        "{refused:?}"
    );
    // The capabilities the run needed: all tenants needs run_all_tenants.
    let mut narrow = who.clone();
    narrow
        .capabilities
        .retain(|c| *c != Capability::RunbooksRunAllTenants);
    let mut req = revert_request(&pf, &who);
    req.initiator = Some(narrow);
    assert!(matches!(
        revert::start(&app.ctx, active, req).await,
        Err(RunError::Forbidden(Capability::RunbooksRunAllTenants))
    ));
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM operation_runs WHERE reverts_run_id IS NOT NULL"
        )
        .await,
        0,
        "no refusal created a run"
    );
    // A preflight is single-use.
    let started = revert::start(&app.ctx, active, revert_request(&pf, &who))
        .await
        .expect("revert");
    // While the revert is active, the run's log is kept whatever its age, and a second revert
    // overlaps it.
    let pf2 = revert_preflight(&app, active, &who).await;
    let refused = revert::start(&app.ctx, active, revert_request(&pf2, &who)).await;
    assert!(
        matches!(refused, Err(RunError::Conflict { active_run_id }) if active_run_id == started.run.id),
        "{refused:?}"
    );
    app.clock
        .advance(app.ctx.settings.change_log_retention + chrono::Duration::days(1));
    assert_eq!(
        changes::purge(
            &app.db,
            app.ctx.now(),
            app.ctx.settings.change_log_retention
        )
        .await
        .expect("purge"),
        // The clean run's (empty) log goes; the one being reverted stays.
        1
    );
    assert!(!logged(&app, active).await.is_empty());
    drain(&app, started.run.id).await;
    let refused = revert::start(&app.ctx, active, revert_request(&pf, &who)).await;
    assert!(
        matches!(
            refused,
            Err(RunError::Refused {
                code: "preflight_used",
                ..
            }) | Err(RunError::Refused {
                code: "preflight_stale",
                ..
            })
        ),
        "{refused:?}"
    );
    // Once the revert completed, the log ages out: 410 change_log_expired.
    changes::purge(
        &app.db,
        app.ctx.now(),
        app.ctx.settings.change_log_retention,
    )
    .await
    .expect("purge");
    let refused = revert::preflight(&app.ctx, active, Some(&who), Default::default()).await;
    assert!(
        matches!(refused, Err(RunError::ChangeLogExpired { run_id }) if run_id == active),
        "{refused:?}"
    );
}

/// A revert run whose change log was purged under it (a race the purge's own check leaves
/// only on PostgreSQL) fails its tenants at once and restores nothing in silence.
async fn a_revert_whose_log_is_gone_fails_its_tenants(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let run_id = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    drain(&app, run_id).await;
    let pf = revert_preflight(&app, run_id, &who).await;
    let started = revert::start(&app.ctx, run_id, revert_request(&pf, &who))
        .await
        .expect("revert");
    let rebuilt = snapshot(&app.db).await;
    app.db
        .execute_unprepared(&format!(
            "UPDATE operation_runs SET changes_purged_at = created_at WHERE id = {run_id}"
        ))
        .await
        .expect("purged");
    let done = drain(&app, started.run.id).await;
    assert_eq!(done.counts.failed, done.counts.total);
    assert_eq!(snapshot(&app.db).await, rebuilt);
    let error = count(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM run_items WHERE run_id = {} AND last_error LIKE '%change log has been purged%' AND attempts = 1",
            done.id
        ),
    )
    .await;
    assert_eq!(error, done.counts.total, "failed at once, never retried");
}

/// A retry of a revert run reverts the same run; retry and revert take options.
async fn a_retry_of_a_revert_restores_and_options_apply(backend: Backend) {
    let app = spawn_app(backend).await;
    let who = seed(&app).await;
    let original = snapshot(&app.db).await;
    let run_id = preflight_and_start(&app, Scope::AllTenants, &who)
        .await
        .run
        .id;
    drain(&app, run_id).await;
    let broken = logged(&app, run_id).await[0].tenant_id;
    atlas_ops_tests::runs::break_tenant_with_constraint(&app, broken).await;
    let pf = revert_preflight(&app, run_id, &who).await;
    let mut req = revert_request(&pf, &who);
    req.options.max_concurrency = Some(2);
    let started = revert::start(&app.ctx, run_id, req).await.expect("revert");
    assert_eq!(started.run.options.max_concurrency, Some(2));
    let done = drain(&app, started.run.id).await;
    assert_eq!(done.counts.failed, 1);
    // The revert of an all-tenants run counts as all tenants, however few its tenants: reverting
    // it (a redo) or retrying it needs ops.runbooks.run_all_tenants, as the run did.
    assert!(done.counts_as_all_tenants);
    let mut narrow = who.clone();
    narrow
        .capabilities
        .retain(|c| *c != Capability::RunbooksRunAllTenants);
    let redo_pf = revert_preflight(&app, done.id, &who).await;
    let mut redo = revert_request(&redo_pf, &who);
    redo.initiator = Some(narrow.clone());
    assert!(matches!(
        revert::start(&app.ctx, done.id, redo).await,
        Err(RunError::Forbidden(Capability::RunbooksRunAllTenants))
    ));
    let mut narrow_retry = start_request(
        &atlas_ops_tests::runs::preflight_of(&app, Scope::Tenant { tenant_id: broken }, &who).await,
        Some(&narrow),
    );
    narrow_retry.confirmation = done.retry_confirmation.as_ref().map(|c| c.phrase.clone());
    assert!(matches!(
        atlas_ops::runs::start::retry_failed(&app.ctx, done.id, narrow_retry).await,
        Err(RunError::Forbidden(Capability::RunbooksRunAllTenants))
    ));
    atlas_ops_tests::runs::mend_tenant(&app).await;
    let mut retry = start_request(
        &atlas_ops_tests::runs::preflight_of(&app, Scope::Tenant { tenant_id: broken }, &who).await,
        Some(&who),
    );
    retry.confirmation = done.retry_confirmation.as_ref().map(|c| c.phrase.clone());
    retry.options.drift_guard = Some(false);
    let retried = atlas_ops::runs::start::retry_failed(&app.ctx, done.id, retry)
        .await
        .expect("retry");
    assert_eq!(retried.run.kind, RunKind::Revert);
    assert_eq!(retried.run.reverts_run_id, Some(run_id));
    assert_eq!(retried.run.options.drift_guard, Some(false));
    drain(&app, retried.run.id).await;
    assert_eq!(snapshot(&app.db).await, original, "every tenant restored");
}

db_tests!(
    a_rebuild_is_reverted_except_what_the_application_changed_since,
    close_stale_is_reverted_except_what_the_application_changed_since,
    a_deleted_row_is_a_conflict_and_a_single_tenant_revert_needs_no_phrase,
    what_cannot_be_reverted_is_refused_and_changes_nothing,
    a_revert_whose_log_is_gone_fails_its_tenants,
    a_retry_of_a_revert_restores_and_options_apply
);
