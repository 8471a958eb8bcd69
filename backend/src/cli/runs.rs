//! `atlas-ops runs list|show`: operation runs on a shell, from the same read models as the API.
//!
//! `--json` prints the API's wire format: the list envelope `{items, page, per_page, total}`,
//! and for `show` the run with its first page of items (failed first).

use clap::Subcommand;

use crate::cli::Exit;
use crate::cli::server::open;
use crate::config::Settings;
use crate::context::AppContext;
use crate::domain::run::{Outcome, RunStatus, Scope};
use crate::runs::query::{self, RunFilter, RunView};

/// Items shown by `runs show`.
const SHOW_ITEMS: u64 = 50;

/// `atlas-ops runs ...`.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List runs, newest first.
    List {
        /// Only runs with this status.
        #[arg(long, value_parser = ["queued", "running", "completed"])]
        status: Option<String>,
        /// Only runs of this runbook key.
        #[arg(long, value_name = "KEY")]
        runbook: Option<String>,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        page: u64,
        /// Runs per page (1-100).
        #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..=100))]
        per_page: u64,
        /// Machine-readable JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Show one run: counts, outcome and its tenants (failed first).
    Show {
        /// The run id.
        id: i64,
        /// Machine-readable JSON on standard output.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `atlas-ops runs ...`: exit 0, or 1 when the run does not exist.
pub async fn run(settings: Settings, command: RunsCommand) -> anyhow::Result<Exit> {
    let conn = open(&settings).await?;
    let ctx = AppContext::new(conn, settings);
    match command {
        RunsCommand::List {
            status,
            runbook,
            page,
            per_page,
            json,
        } => {
            let filter = RunFilter {
                status: status.as_deref().and_then(RunStatus::parse),
                runbook,
            };
            let (runs, total) = query::list(&ctx.db, &filter, page, per_page, ctx.now()).await?;
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
            let run = query::view(&ctx.db, model, ctx.now()).await?;
            let (items, items_total) = query::items(&ctx.db, id, None, 1, SHOW_ITEMS).await?;
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
                "  {:<20} {:<10} {:>8} {:>9} {:>8}  error",
                "tenant", "status", "attempts", "examined", "changed"
            );
            for item in &items {
                println!(
                    "  {:<20} {:<10} {:>8} {:>9} {:>8}  {}",
                    item.tenant_external_id,
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
    }
}

fn scope_label(scope: &Scope) -> String {
    match scope {
        Scope::AllTenants => "all_tenants".to_owned(),
        Scope::Tenant { tenant_id } => format!("tenant:{tenant_id}"),
    }
}

fn print_list(runs: &[RunView], page: u64, per_page: u64, total: u64) {
    if runs.is_empty() {
        println!("no runs (page {page}, {total} in total)");
        return;
    }
    println!(
        "{:>6}  {:<28} {:<12} {:<10} {:<20} {:>6}  {:<12} {:<12} created",
        "id", "runbook", "scope", "status", "outcome", "done%", "source", "initiator"
    );
    for r in runs {
        println!(
            "{:>6}  {:<28} {:<12} {:<10} {:<20} {:>6.1}  {:<12} {:<12} {}",
            r.id,
            r.runbook,
            scope_label(&r.scope),
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
    println!("  scope              {}", scope_label(&r.scope));
    println!(
        "  status             {}{}",
        r.status,
        r.outcome.map(|o| format!(" ({o})")).unwrap_or_default()
    );
    println!("  progress           {:.1}%", r.progress_percent);
    println!(
        "  tenants            {} total, {} processed, {} succeeded, {} failed, {} skipped",
        c.total, c.processed, c.succeeded, c.failed, c.skipped
    );
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
