//! `atlas-ops runs list|show|attempts|changes|pause|resume|cancel`: operation runs on a shell, from the
//! same read models and services as the API.
//!
//! `--json` prints the API's wire format: the list envelope `{items, page, per_page, total}`,
//! for `show` the run with its first page of items (failed first), and for `attempts` the
//! `{items}` of `GET /ops/runs/{id}/items/{item_id}/attempts`. `runs list --csv` prints every
//! matching run as `GET /ops/runs.csv` does.

use std::io::Write;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use sea_orm::{ColumnTrait, EntityTrait, Iterable, QueryFilter};

use crate::cli::Exit;
use crate::cli::runbooks::{StartFlags, TerminalPrompt, revert_run};
use crate::cli::server::open;
use crate::config::Settings;
use crate::context::AppContext;
use crate::domain::capability::Capability;
use crate::domain::run::{Outcome, RunStatus, Source};
use crate::export::{self, PAGE, RUN_COLUMNS};
use crate::runs::changes as run_changes;
use crate::runs::query::{self, RunFilter, RunView};
use crate::runs::{RunError, attempts, control, service};

/// The accepted values of a `--status`/`--outcome`/`--source` filter: the enum's stored names,
/// so the CLI can never offer one the API does not know.
fn names(values: impl Iterator<Item = &'static str>) -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(values)
}
/// Items shown by `runs show`.
const SHOW_ITEMS: u64 = 50;

/// `atlas-ops runs ...`.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List runs, newest first, with the API's filters (`GET /ops/runs`).
    List {
        /// Only runs with this status.
        #[arg(long, value_parser = names(RunStatus::iter().map(RunStatus::as_str)))]
        status: Option<String>,
        /// Only runs completed with this outcome.
        #[arg(long, value_parser = names(Outcome::iter().map(Outcome::as_str)))]
        outcome: Option<String>,
        /// Only runs of this runbook key.
        #[arg(long, value_name = "KEY")]
        runbook: Option<String>,
        /// Only runs started by this operator (username).
        #[arg(long, value_name = "USERNAME")]
        initiator: Option<String>,
        /// Only runs started from this source.
        #[arg(long, value_parser = names(Source::iter().map(Source::as_str)))]
        source: Option<String>,
        /// Only runs with an item for this tenant id.
        #[arg(long, value_name = "ID")]
        tenant_id: Option<i64>,
        /// Only runs created at or after this RFC 3339 instant.
        #[arg(long, value_name = "INSTANT")]
        created_after: Option<DateTime<Utc>>,
        /// Only runs created before this RFC 3339 instant.
        #[arg(long, value_name = "INSTANT")]
        created_before: Option<DateTime<Utc>>,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        page: u64,
        /// Runs per page (1-100).
        #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..=100))]
        per_page: u64,
        /// Machine-readable JSON on standard output.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Every matching run (no pages) as CSV on standard output, as `GET /ops/runs.csv`.
        #[arg(long)]
        csv: bool,
    },
    /// Show one run: counts, outcome and its tenants (failed first).
    Show {
        /// The run id.
        id: i64,
        /// Machine-readable JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Every attempt of one tenant's item of a run, oldest first: started, duration, worker and
    /// error (`GET /ops/runs/{id}/items/{item_id}/attempts`).
    #[command(group(clap::ArgGroup::new("item").required(true).args(["item_id", "tenant"])))]
    Attempts {
        /// The run id.
        run_id: i64,
        /// The item id (`runs show ID --json` lists them); or name the tenant with `--tenant`.
        item_id: Option<i64>,
        /// The tenant's external id, instead of the item id.
        #[arg(long, value_name = "EXTERNAL_ID")]
        tenant: Option<String>,
        /// Machine-readable JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// What a run changed, row by row: each changed column's value before and the value
    /// written (`GET /ops/runs/{id}/changes`, its change log).
    Changes {
        /// The run id.
        id: i64,
        /// Only this tenant's changes (its external id).
        #[arg(long, value_name = "EXTERNAL_ID")]
        tenant: Option<String>,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        page: u64,
        /// Rows per page (1-100).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=100))]
        per_page: u64,
        /// Machine-readable JSON on standard output (the API's `{items, page, per_page, total}`).
        #[arg(long)]
        json: bool,
    },
    /// Revert a completed run from its change log (`POST /ops/runs/{id}/revert/preflight`,
    /// then `POST /ops/runs/{id}/revert`): rows the application changed since are left alone
    /// and counted as conflicts. Needs a reason, and for a run over all tenants the typed phrase
    /// `REVERT <n> TENANTS` (or --yes).
    Revert {
        /// The run id.
        id: i64,
        /// Reason, confirmation, run control and waiting.
        #[command(flatten)]
        start: StartFlags,
    },
    /// Pause a queued or running run: no further tenant starts; running ones finish
    /// (`POST /ops/runs/{id}/pause`).
    Pause(ControlArgs),
    /// Resume a paused run (`POST /ops/runs/{id}/resume`).
    Resume(ControlArgs),
    /// Cancel an active run: tenants not started are cancelled, running ones finish
    /// (`POST /ops/runs/{id}/cancel`).
    Cancel(ControlArgs),
}

/// Flags of `runs pause|resume|cancel`.
#[derive(Debug, clap::Args)]
pub struct ControlArgs {
    /// The run id.
    pub id: i64,
    /// Why, 10 to 500 characters (audited).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Act as this operator (their capabilities are checked: `ops.runs.control`, or
    /// `ops.runs.cancel` to cancel); default: no operator.
    #[arg(long, value_name = "USERNAME")]
    pub operator: Option<String>,
    /// The run afterwards as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// Runs `atlas-ops runs ...`: exit 0, or 1 when the run (or the item) does not exist; a
/// pause, resume or cancel exits 3 when refused (the run's state, the reason, a capability)
/// and 2 for an unknown operator.
pub async fn run(settings: Settings, command: RunsCommand) -> anyhow::Result<Exit> {
    let conn = open(&settings).await?;
    let ctx = crate::app::context(conn, settings);
    match command {
        RunsCommand::List {
            status,
            outcome,
            runbook,
            initiator,
            source,
            tenant_id,
            created_after,
            created_before,
            page,
            per_page,
            json,
            csv,
        } => {
            let filter = RunFilter {
                status: status.as_deref().and_then(RunStatus::parse),
                runbook,
                outcome: outcome.as_deref().and_then(Outcome::parse),
                initiator,
                source: source.as_deref().and_then(Source::parse),
                tenant_id,
                created_after,
                created_before,
            };
            if csv {
                print_csv(&ctx, &filter).await?;
                return Ok(Exit::Succeeded);
            }
            let (runs, total) =
                query::list(&ctx.db, &ctx.runbooks, &filter, page, per_page, ctx.now()).await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "items": runs, "page": page, "per_page": per_page, "total": total,
                    }))?
                );
            } else {
                print_list(&runs, page, per_page, total);
            }
            Ok(Exit::Succeeded)
        }
        RunsCommand::Show { id, json } => {
            let Some(model) = query::find(&ctx.db, id).await? else {
                eprintln!("run #{id} not found");
                return Ok(Exit::Failed);
            };
            let run = query::view(&ctx.db, &ctx.runbooks, model, ctx.now()).await?;
            let (items, items_total) =
                query::items(&ctx.db, id, None, 1, SHOW_ITEMS, ctx.now()).await?;
            if json {
                let mut doc = serde_json::to_value(&run)?;
                doc["items"] = serde_json::json!({
                    "items": items, "page": 1, "per_page": SHOW_ITEMS, "total": items_total,
                });
                println!("{}", serde_json::to_string_pretty(&doc)?);
                return Ok(Exit::Succeeded);
            }
            print_run(&run);
            println!();
            println!(
                "  {:<36} {:<10} {:>8} {:>9} {:>8}  error",
                "tenant", "status", "attempts", "examined", "changed"
            );
            for item in &items {
                println!(
                    "  {:<36} {:<10} {:>8} {:>9} {:>8}  {}",
                    format!("{} ({})", item.tenant_name, item.tenant_external_id),
                    item.status,
                    item.attempts,
                    item.findings_examined,
                    item.findings_changed,
                    item.error.as_deref().unwrap_or("")
                );
            }
            if items_total > items.len() as u64 {
                println!("  ... {} more tenants", items_total - items.len() as u64);
            }
            Ok(Exit::Succeeded)
        }
        RunsCommand::Changes {
            id,
            tenant,
            page,
            per_page,
            json,
        } => changes(&ctx, id, tenant, (page, per_page), json).await,
        RunsCommand::Attempts {
            run_id,
            item_id,
            tenant,
            json,
        } => attempts(&ctx, run_id, item_id, tenant, json).await,
        RunsCommand::Pause(args) => control(&ctx, Action::Pause, args).await,
        RunsCommand::Resume(args) => control(&ctx, Action::Resume, args).await,
        RunsCommand::Cancel(args) => control(&ctx, Action::Cancel, args).await,
        RunsCommand::Revert { id, start } => revert_run(&ctx, id, start, &mut TerminalPrompt).await,
    }
}

/// A run control command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Pause,
    Resume,
    Cancel,
}

/// `runs pause|resume|cancel`: the same services as the API, with the operator's capability
/// checked when one is named.
async fn control(ctx: &AppContext, action: Action, args: ControlArgs) -> anyhow::Result<Exit> {
    let reason = args.reason.trim();
    if !crate::domain::run::REASON_TEXT_CHARS.contains(&reason.chars().count()) {
        eprintln!("refused: --reason must be 10 to 500 characters");
        return Ok(Exit::Refused);
    }
    let by = match &args.operator {
        None => None,
        Some(username) => match crate::cli::operator(ctx, username).await? {
            Ok(by) => Some(by),
            Err((exit, _, message)) => {
                eprintln!("refused: {message}");
                return Ok(exit);
            }
        },
    };
    let need = match action {
        Action::Cancel => Capability::RunsCancel,
        Action::Pause | Action::Resume => Capability::RunsControl,
    };
    if let Some(by) = &by
        && !by.capabilities.contains(&need)
    {
        eprintln!("refused: operator {} lacks {need}", by.username);
        return Ok(Exit::Refused);
    }
    let meta = crate::cli::cli_meta();
    let done = match action {
        Action::Pause => control::pause(ctx, args.id, by.as_ref(), reason, &meta).await,
        Action::Resume => control::resume(ctx, args.id, by.as_ref(), reason, &meta).await,
        Action::Cancel => service::cancel(ctx, args.id, by.as_ref(), reason, &meta).await,
    };
    let run = match done {
        Ok(run) => run,
        Err(RunError::RunNotFound) => {
            eprintln!("run #{} not found", args.id);
            return Ok(Exit::Failed);
        }
        Err(RunError::Db(e)) => return Err(e.into()),
        Err(refused) => {
            eprintln!("refused: {refused}");
            return Ok(Exit::Refused);
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    } else {
        print_run(&run);
    }
    Ok(Exit::Succeeded)
}

/// `runs changes`: a page of the run's changed rows, as a table or JSON; exit 1 when the run
/// or the tenant does not exist, or the run's change log has been purged.
async fn changes(
    ctx: &AppContext,
    run_id: i64,
    tenant: Option<String>,
    (page, per_page): (u64, u64),
    json: bool,
) -> anyhow::Result<Exit> {
    let Some(run) = query::find(&ctx.db, run_id).await? else {
        eprintln!("run #{run_id} not found");
        return Ok(Exit::Failed);
    };
    if run.changes_purged_at.is_some() {
        eprintln!(
            "run #{run_id}'s change log has been purged (kept CHANGE_LOG_RETENTION_DAYS after the run completes)"
        );
        return Ok(Exit::Failed);
    }
    let tenant_id = match tenant {
        Some(external_id) => match crate::entities::tenants::Entity::find()
            .filter(crate::entities::tenants::Column::ExternalId.eq(external_id.clone()))
            .one(&ctx.db)
            .await?
        {
            Some(t) => Some(t.id),
            None => {
                eprintln!("no tenant {external_id}");
                return Ok(Exit::Failed);
            }
        },
        None => None,
    };
    let (rows, total) =
        run_changes::list(&ctx.db, run_id, tenant_id, (page - 1) * per_page, per_page).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "items": rows, "page": page, "per_page": per_page, "total": total,
            }))?
        );
        return Ok(Exit::Succeeded);
    }
    println!("run #{run_id}: {total} changed row(s); page {page}");
    for row in &rows {
        println!(
            "  finding {} (tenant {}) [{}]",
            row.finding_id,
            row.tenant_id,
            row.rules.join(", ")
        );
        for (column, after) in &row.after {
            let before = row.before.get(column).unwrap_or(&serde_json::Value::Null);
            println!("    {column}: {before} -> {after}");
        }
    }
    Ok(Exit::Succeeded)
}

/// `runs attempts`: the item's attempts (the item named by id, or by its tenant's external
/// id), as a table or JSON; exit 1 when the run has no such item.
async fn attempts(
    ctx: &AppContext,
    run_id: i64,
    item_id: Option<i64>,
    tenant: Option<String>,
    json: bool,
) -> anyhow::Result<Exit> {
    let item_id = match (item_id, tenant) {
        (Some(id), _) => Some(id),
        (None, Some(external_id)) => {
            attempts::item_of_tenant(&ctx.db, run_id, &external_id).await?
        }
        (None, None) => None,
    };
    let found = match item_id {
        Some(item_id) => attempts::list(&ctx.db, run_id, item_id)
            .await?
            .map(|list| (item_id, list)),
        None => None,
    };
    let Some((item_id, items)) = found else {
        eprintln!("run #{run_id} has no such item");
        return Ok(Exit::Failed);
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&attempts::AttemptList { items })?
        );
        return Ok(Exit::Succeeded);
    }
    println!("run #{run_id}, item #{item_id}: {} attempt(s)", items.len());
    println!(
        "  {:>7}  {:<20} {:>9}  {:<32} error",
        "attempt", "started (UTC)", "duration", "worker"
    );
    let now = ctx.now();
    for a in &items {
        let seconds =
            (a.finished_at.unwrap_or(now) - a.started_at).num_milliseconds() as f64 / 1000.0;
        let duration = match a.finished_at {
            Some(_) => format!("{seconds:.1} s"),
            None => format!("{seconds:.0} s…"),
        };
        println!(
            "  {:>7}  {:<20} {:>9}  {:<32} {}",
            a.attempt,
            a.started_at.format("%Y-%m-%d %H:%M:%S"),
            duration,
            a.worker.as_deref().unwrap_or("-"),
            a.error.as_deref().unwrap_or("")
        );
    }
    Ok(Exit::Succeeded)
}

/// Every run matching `filter` as CSV on standard output, a keyset page at a time.
async fn print_csv(ctx: &AppContext, filter: &RunFilter) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(&export::header(RUN_COLUMNS))?;
    let mut before = None;
    loop {
        let runs =
            query::list_before(&ctx.db, &ctx.runbooks, filter, before, PAGE, ctx.now()).await?;
        let rows: Vec<serde_json::Value> = runs
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()?;
        out.write_all(&export::rows(RUN_COLUMNS, &rows))?;
        match runs.last() {
            Some(last) if runs.len() as u64 == PAGE => before = Some(last.id),
            _ => break,
        }
    }
    out.flush()?;
    Ok(())
}

fn print_list(runs: &[RunView], page: u64, per_page: u64, total: u64) {
    if runs.is_empty() {
        println!("no runs (page {page}, {total} in total)");
        return;
    }
    println!(
        "{:>6}  {:<28} {:<32} {:<10} {:<20} {:>6}  {:<12} {:<12} created",
        "id", "runbook", "scope", "status", "outcome", "done%", "source", "initiator"
    );
    for r in runs {
        println!(
            "{:>6}  {:<28} {:<32} {:<10} {:<20} {:>6.1}  {:<12} {:<12} {}",
            r.id,
            r.runbook,
            r.scope.label(),
            r.status,
            r.outcome.map_or("-", Outcome::as_str),
            r.progress_percent,
            r.source,
            r.initiator.as_ref().map_or("-", |i| i.username.as_str()),
            r.created_at.format("%Y-%m-%d %H:%M:%S")
        );
    }
    let pages = total.div_ceil(per_page.max(1));
    println!("page {page} of {pages} ({total} runs)");
}

fn print_run(r: &RunView) {
    let c = r.counts;
    println!("run #{} {} v{}", r.id, r.runbook, r.runbook_version);
    println!("  scope              {}", r.scope.label());
    if let Some(of) = r.reverts_run_id {
        println!(
            "  revert of          run #{of}: {} rows restored, {} conflicts (changed by the \
             application since: left alone)",
            c.findings_changed, c.conflicts
        );
    }
    if !r.reverted_by.is_empty() {
        let reverts: Vec<String> = r
            .reverted_by
            .iter()
            .map(|v| match v.outcome {
                Some(outcome) => format!("#{} ({outcome})", v.id),
                None => format!("#{} (active)", v.id),
            })
            .collect();
        println!("  reverted by        {}", reverts.join(", "));
    }
    println!(
        "  status             {}{}",
        r.status,
        r.outcome.map(|o| format!(" ({o})")).unwrap_or_default()
    );
    println!("  progress           {:.1}%", r.progress_percent);
    println!(
        "  tenants            {} total, {} processed, {} succeeded, {} failed, {} skipped, \
         {} retrying, {} cancelled",
        c.total, c.processed, c.succeeded, c.failed, c.skipped, c.retrying, c.cancelled
    );
    if c.running > 0 {
        println!("  running now        {}", c.running);
    }
    if let Some(pause) = &r.pause {
        println!(
            "  paused             since {} ({}{}){}",
            pause.since.to_rfc3339(),
            pause.reason,
            pause
                .by
                .as_ref()
                .map(|by| format!(", by {}", by.username))
                .unwrap_or_default(),
            pause
                .text
                .as_deref()
                .map(|t| format!(": {t}"))
                .unwrap_or_default()
        );
    }
    if let Some(t) = &r.throttle {
        println!(
            "  throttled          since {}: {} {} over {}",
            t.since.to_rfc3339(),
            t.indicator,
            t.value.map_or("?".to_owned(), |v| format!("{v:.1}")),
            t.threshold
        );
    }
    if let Some(wave) = r.wave {
        println!("  wave               {} of {}", wave.current, wave.of);
    }
    let o = &r.options;
    if !o.is_empty() {
        let mut parts = Vec::new();
        if let Some(max) = o.max_concurrency {
            parts.push(format!("max concurrency {max}"));
        }
        if let Some(budget) = o.failure_budget {
            parts.push(format!("pause after {} failed", budget.max_failed + 1));
        }
        if let Some(waves) = &o.waves {
            let waves: Vec<String> = waves.iter().map(i64::to_string).collect();
            parts.push(format!("waves {}", waves.join(",")));
        }
        if let Some(canary) = &o.canary_tenant_ids {
            parts.push(format!("{} canary tenant(s)", canary.len()));
        }
        println!("  options            {}", parts.join("; "));
    }
    if let Some(waiting) = r.waiting_for {
        let why = match waiting.reason {
            control::WaitReason::Workers => format!(
                "a free worker ({} job(s) of other runs ahead)",
                waiting.jobs_ahead.unwrap_or(0)
            ),
            control::WaitReason::Capped => "its concurrency cap".to_owned(),
            control::WaitReason::Paused => "a resume".to_owned(),
            control::WaitReason::Throttled => "the database health gate".to_owned(),
            control::WaitReason::WaveGate => "a resume to start the next wave".to_owned(),
        };
        println!("  waiting for        {why}");
    }
    if let Some(stall) = &r.stalled {
        println!(
            "  stalled            since {}, waiting on tenant {} (#{})",
            stall.since.to_rfc3339(),
            stall.tenant_external_id,
            stall.tenant_id
        );
        if !stall.others.is_empty() {
            println!(
                "                     also running: {} ({} tenants in all)",
                stall.others.join(", "),
                stall.running
            );
        }
    }
    println!("  findings changed   {}", c.findings_changed);
    println!("  source             {}", r.source);
    println!(
        "  initiator          {}",
        r.initiator.as_ref().map_or("-", |i| i.username.as_str())
    );
    println!("  reason             {}: {}", r.reason.code, r.reason.text);
    println!("  created            {}", r.created_at.to_rfc3339());
    if let Some(t) = r.started_at {
        println!("  started            {}", t.to_rfc3339());
    }
    if let Some(t) = r.completed_at {
        println!("  completed          {}", t.to_rfc3339());
    }
    if let Some(eta) = r.eta_seconds {
        println!("  eta                ~{eta} s");
    }
    if let Some(e) = &r.error_summary {
        println!("  error              {e}");
    }
    if let Some(c) = &r.cancel_reason {
        println!("  cancel reason      {c}");
    }
}
