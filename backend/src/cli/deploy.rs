//! `atlas-ops deploy-runbooks`: the deploy hook (docs/spec.md §7).
//!
//! For every runbook marked *run on deploy*, in registry order:
//! - **skip** it when the last completed all-tenants run of its *current version* (any source,
//!   not a derived run: neither a retry nor a revert) succeeded and changed no finding: the data
//!   is known to be clean; or when that run was reverted (a completed revert of it exists): an
//!   operator undid this version's repair on purpose, and the hook leaves it alone until the
//!   version changes (docs/spec.md §15);
//! - otherwise preflight all tenants and `start()` with source `deploy_hook`, no initiator,
//!   reason `migration` ("deploy hook: runbook KEY vN") and the preflight's own phrase;
//! - then **wait** for the run (polling, like `--wait`) until it completes or the timeout.
//!
//! Two concurrent deploys produce one run: the runbook's start lock serializes them, so the
//! second either gets the dedupe answer (the identical active run) or — when the active run is
//! an all-tenants deploy run that is not deduplicable — a conflict naming it; in both cases it
//! waits for that same run. A preflight made stale by a tenant added meanwhile is redone (up
//! to three times).
//!
//! The jobs are executed by the workers of `serve`/`worker`; `--inline` runs workers inside
//! this process while it waits. Exit code: 0 when every runbook was skipped or its run
//! succeeded, 1 otherwise (a failed, partial or cancelled run, a refusal, or a timeout).

use std::time::{Duration, Instant};

use clap::Args;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::auth::RequestMeta;
use crate::cli::Exit;
use crate::cli::runbooks::{InlineWorkers, Waited, outcome_exit, wait_for_run};
use crate::cli::server::open;
use crate::config::Settings;
use crate::context::AppContext;
use crate::domain::run::{Outcome, Reason, ReasonCode, RunStatus, Scope, ScopeKind, Source};
use crate::entities::operation_runs;
use crate::runbooks::Runbook;
use crate::runs::RunError;
use crate::runs::preflight::preflight;
use crate::runs::query::{self, RunView};
use crate::runs::start::{StartRequest, start};

/// How many times a start refused for a stale preflight is retried with a fresh one.
const STALE_RETRIES: usize = 3;

/// Flags of `atlas-ops deploy-runbooks`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Exit codes: 0 every runbook skipped or succeeded, 1 otherwise \
    (failed, partially succeeded, refused, or timed out)."
)]
pub struct DeployArgs {
    /// Stop waiting after this many seconds in total (exit 1; started runs go on).
    #[arg(long, value_name = "N", default_value_t = 3600)]
    pub timeout_seconds: u64,
    /// Run job workers inside this process while waiting (when no server or worker runs).
    #[arg(long)]
    pub inline: bool,
    /// Machine-readable JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// What the hook did with one runbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Nothing to do: the last run of this version was clean.
    Skipped,
    /// This invocation started the run.
    Started,
    /// Another invocation's (or an identical active) run was waited for instead.
    Joined,
    /// `start()` refused (e.g. a conflicting operator run).
    Refused,
}

/// One runbook's result.
#[derive(Debug, Clone, Serialize)]
pub struct DeployResult {
    /// Runbook key.
    pub runbook: String,
    /// Its current version.
    pub version: i32,
    /// What was done.
    pub action: Action,
    /// Why, in words.
    pub detail: String,
    /// The run started or joined (final state when waited for).
    pub run: Option<RunView>,
    /// The wait hit the timeout.
    pub timed_out: bool,
    /// Whether this runbook counts as a success for the exit code.
    pub ok: bool,
}

/// `atlas-ops deploy-runbooks [--timeout-seconds N] [--inline] [--json]`.
pub async fn run(settings: Settings, args: DeployArgs) -> anyhow::Result<Exit> {
    let conn = open(&settings).await?;
    let ctx = crate::app::context(conn, settings);
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds);
    // With --inline, workers start only once a run is to be waited for: started earlier, they
    // could finish an active run between the skip check and `start()` and cause a second run.
    let mut workers = None;
    let mut results = Vec::new();
    let mut failure = None;
    let on_deploy: Vec<&'static dyn Runbook> = ctx
        .runbooks
        .all()
        .iter()
        .copied()
        .filter(|r| r.run_on_deploy())
        .collect();
    for runbook in on_deploy {
        match deploy_one(&ctx, runbook, deadline, &args, &mut workers).await {
            Ok(result) => results.push(result),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if let Some(workers) = workers {
        workers.stop().await;
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let exit = if results.iter().all(|r| r.ok) {
        Exit::Succeeded
    } else {
        Exit::Failed
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "runbooks": results,
                "exit_code": exit.code(),
            }))?
        );
    }
    Ok(exit)
}

/// The last completed, non-derived (neither a retry nor a revert), all-tenants run of `runbook`
/// at `version`.
async fn last_completed(
    ctx: &AppContext,
    runbook: &str,
    version: i32,
) -> Result<Option<operation_runs::Model>, sea_orm::DbErr> {
    operation_runs::Entity::find()
        .filter(operation_runs::Column::RunbookKey.eq(runbook))
        .filter(operation_runs::Column::RunbookVersion.eq(version))
        .filter(operation_runs::Column::Status.eq(RunStatus::Completed.as_str()))
        .filter(operation_runs::Column::ScopeKind.eq(ScopeKind::AllTenants.as_str()))
        .filter(operation_runs::Column::RetryOfRunId.is_null())
        .filter(operation_runs::Column::RevertsRunId.is_null())
        .order_by_desc(operation_runs::Column::CompletedAt)
        .order_by_desc(operation_runs::Column::Id)
        .one(&ctx.db)
        .await
}

/// The first completed revert run of run `run_id`, if any.
async fn completed_revert(ctx: &AppContext, run_id: i64) -> Result<Option<i64>, sea_orm::DbErr> {
    Ok(operation_runs::Entity::find()
        .filter(operation_runs::Column::RevertsRunId.eq(run_id))
        .filter(operation_runs::Column::Status.eq(RunStatus::Completed.as_str()))
        .order_by_asc(operation_runs::Column::Id)
        .one(&ctx.db)
        .await?
        .map(|run| run.id))
}

async fn deploy_one(
    ctx: &AppContext,
    runbook: &dyn Runbook,
    deadline: Instant,
    args: &DeployArgs,
    workers: &mut Option<InlineWorkers>,
) -> anyhow::Result<DeployResult> {
    let json = args.json;
    let key = runbook.key();
    let version = runbook.version();
    let label = format!("{key} v{version}");
    let mut result = DeployResult {
        runbook: key.to_owned(),
        version,
        action: Action::Skipped,
        detail: String::new(),
        run: None,
        timed_out: false,
        ok: false,
    };
    let last = last_completed(ctx, key, version).await?;
    let reverted = match &last {
        Some(last) => completed_revert(ctx, last.id).await?,
        None => None,
    };
    let skip = match (&last, reverted) {
        (Some(last), Some(revert)) => Some(format!(
            "the last completed all-tenants run of v{version} (#{}) was reverted by run #{revert}; \
             this version is left alone until it changes",
            last.id
        )),
        (Some(last), None)
            if last.outcome == Some(Outcome::Succeeded) && last.findings_changed == 0 =>
        {
            Some(format!(
                "the last completed all-tenants run of v{version} (#{}) succeeded and changed nothing",
                last.id
            ))
        }
        _ => None,
    };
    if let Some(detail) = skip {
        result.detail = detail;
        result.ok = true;
        if !json {
            println!("{label}: skipped: {}", result.detail);
        }
        return Ok(result);
    }

    let reason = Reason::parse(
        ReasonCode::Migration.as_str(),
        &format!("deploy hook: runbook {key} v{version}"),
    )?;
    let meta = RequestMeta {
        source: Some(Source::DeployHook.as_str().to_owned()),
        ..Default::default()
    };
    let mut attempt = 0;
    let (run_id, action) = loop {
        attempt += 1;
        // Run-on-deploy runbooks take their default parameters.
        let pf = preflight(
            ctx,
            key,
            Scope::AllTenants,
            &serde_json::Value::Null,
            None,
            meta.clone(),
        )
        .await?;
        let started = start(
            ctx,
            StartRequest {
                runbook: key.to_owned(),
                scope: Scope::AllTenants,
                parameters: pf.parameters.clone(),
                initiator: None,
                reason: reason.clone(),
                source: Source::DeployHook,
                confirmation: pf.confirmation.phrase.clone(),
                preflight_id: pf.preflight_id.clone(),
                // The deploy hook's own skip rule decides (docs/spec.md §7); a start it makes may find
                // nothing to change.
                allow_no_changes: true,
                options: Default::default(),
                retry_of: None,
                reverts: None,
                meta: meta.clone(),
                idempotency: None,
            },
        )
        .await;
        match started {
            Ok(outcome) if outcome.deduplicated => {
                result.detail = format!(
                    "an identical all-tenants run (#{}, source {}) is already active; waiting for it",
                    outcome.run.id, outcome.run.source
                );
                break (outcome.run.id, Action::Joined);
            }
            Ok(outcome) => {
                result.detail = format!(
                    "started run #{} over {} tenants ({} findings to change)",
                    outcome.run.id, pf.tenants_in_scope, pf.findings_to_change
                );
                break (outcome.run.id, Action::Started);
            }
            Err(RunError::Conflict { active_run_id }) => {
                let active = query::find(&ctx.db, active_run_id).await?;
                let is_deploy = active.as_ref().is_some_and(|r| {
                    r.scope_kind == ScopeKind::AllTenants && r.source == Source::DeployHook
                });
                if is_deploy {
                    result.detail = format!(
                        "another deploy's all-tenants run (#{active_run_id}) is active; waiting for it"
                    );
                    break (active_run_id, Action::Joined);
                }
                result.action = Action::Refused;
                result.detail = format!(
                    "an active run (#{active_run_id}) overlaps all tenants; not started \
                     (wait for it or cancel it, then deploy again)"
                );
                if let Some(model) = active {
                    result.run = Some(query::view(&ctx.db, &ctx.runbooks, model, ctx.now()).await?);
                }
                eprintln!("{label}: refused: {}", result.detail);
                return Ok(result);
            }
            Err(RunError::Refused {
                code: "preflight_stale",
                detail,
                ..
            }) if attempt < STALE_RETRIES => {
                tracing::info!(%detail, attempt, "deploy hook: preflight went stale; redoing it");
            }
            Err(
                e @ (RunError::Invalid { .. }
                | RunError::Refused { .. }
                | RunError::Forbidden(_)
                | RunError::State { .. }),
            ) => {
                result.action = Action::Refused;
                result.detail = e.to_string();
                eprintln!("{label}: refused: {}", result.detail);
                return Ok(result);
            }
            Err(e) => return Err(e.into()),
        }
    };
    result.action = action;
    if !json {
        println!("{label}: {}", result.detail);
    }
    if args.inline && workers.is_none() {
        *workers = Some(InlineWorkers::start(ctx));
    }
    let remaining = deadline.saturating_duration_since(Instant::now());
    match wait_for_run(ctx, run_id, Some(remaining), !json, true).await? {
        Waited::Completed(view) => {
            result.ok = outcome_exit(&view) == Exit::Succeeded;
            if !json {
                let c = view.counts;
                println!(
                    "{label}: run #{} completed: {} ({}/{} tenants succeeded, {} failed, {} findings changed)",
                    view.id,
                    view.outcome.map_or("unknown", Outcome::as_str),
                    c.succeeded,
                    c.total,
                    c.failed,
                    c.findings_changed
                );
            }
            result.run = Some(view);
        }
        // An operator paused it: the deploy does not wait for their decision.
        Waited::Paused(view) => {
            eprintln!(
                "{label}: run #{run_id} was paused; it waits for an operator to resume or cancel it \
                 (`atlas-ops runs show {run_id}`)"
            );
            result.run = Some(view);
        }
        Waited::TimedOut => {
            result.timed_out = true;
            eprintln!(
                "{label}: timed out waiting for run #{run_id}; it goes on (follow it with `atlas-ops runs show {run_id}`)"
            );
            if let Some(model) = query::find(&ctx.db, run_id).await? {
                result.run = Some(query::view(&ctx.db, &ctx.runbooks, model, ctx.now()).await?);
            }
        }
    }
    Ok(result)
}
