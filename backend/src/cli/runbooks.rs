//! `atlas-ops runbooks list|run` and `atlas-ops findings backfill-lifecycle` (the same code
//! with the key filled in): any runbook on a shell, through the same `preflight()` and
//! `start()` as the API (docs/spec.md §7, §12).
//!
//! Flow: check the reason (before touching the database) → resolve the tenant and the optional
//! `--operator` → preflight (printed as a table, or JSON) → confirmation (typed phrase for all
//! tenants, y/N for one tenant; `--confirm`/`--yes` for scripts) → `start()` with source `cli`
//! → optionally wait for completion with a progress bar fed by the run's counts.
//!
//! `--wait` only *polls* the run record (every 500 ms): the jobs are executed by the workers of
//! `atlas-ops serve` or `atlas-ops worker`. `--inline` additionally runs workers inside this
//! process for the duration of the wait (for machines where no server or worker runs); they
//! take any due job from the shared queue, exactly like a `worker` process would.
//!
//! Exit codes are [`Exit`]: 0 succeeded (or started, without `--wait`; or preflight only),
//! 1 failed / partially succeeded / cancelled / timed out, 2 usage error, 3 refused.

use std::io::{BufRead, IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{ArgGroup, Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::auth::RequestMeta;
use crate::cli::Exit;
use crate::cli::server::open;
use crate::config::Settings;
use crate::context::AppContext;
use crate::domain::control::{FailureBudget, RunOptions};
use crate::domain::run::{ItemStatus, Outcome, Reason, RunStatus, Scope, Source};
use crate::entities::tenants;
use crate::runbooks::findings_lifecycle;
use crate::runs::preflight::{Confirmation, PreflightResult, preflight};
use crate::runs::query::{self, RunView, ScopeView};
use crate::runs::revert::{self, RevertPreflight};
use crate::runs::start::{StartRequest, StartedRun, start};
use crate::runs::{Initiator, RunError};

/// How often `--wait` reads the run record.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

const EXIT_CODES: &str = "Exit codes: 0 succeeded (or started without --wait), \
    1 failed or partially succeeded, 2 usage error, 3 refused (conflict, stale preflight, \
    missing reason, wrong phrase, invalid parameters or options, platform tenant), 4 paused \
    (with --wait, unless --wait-through-pauses).";

/// `atlas-ops findings ...`.
#[derive(Debug, Subcommand)]
pub enum FindingsCommand {
    /// Rebuild the findings lifecycle (runbook `findings.lifecycle.rebuild`) for one tenant or
    /// all tenants: preflight, confirm, start, and optionally wait. The same as
    /// `runbooks run findings.lifecycle.rebuild`.
    #[command(after_help = EXIT_CODES)]
    BackfillLifecycle(BackfillArgs),
}

/// `atlas-ops runbooks ...`.
#[derive(Debug, Subcommand)]
pub enum RunbooksCommand {
    /// The runbook catalogue: key, title, version, rules, parameters and the latest run.
    List {
        /// The catalogue as JSON on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Run a runbook over one tenant or all tenants: preflight, confirm, start, and optionally
    /// wait. Parameters: `--param NAME=VALUE` (a list as `a,b`; an instant as RFC 3339 or
    /// `30d` for "older than 30 days").
    #[command(after_help = EXIT_CODES)]
    Run {
        /// The runbook's key (see `runbooks list`).
        key: String,
        #[command(flatten)]
        args: Box<BackfillArgs>,
    },
}

/// Flags of `atlas-ops runbooks run KEY` and `atlas-ops findings backfill-lifecycle`.
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("scope").required(true).args(["tenant", "all_tenants", "tenants_file", "workspace"])))]
pub struct BackfillArgs {
    /// Run over one tenant, by its external id.
    #[arg(long, value_name = "EXTERNAL_ID")]
    pub tenant: Option<String>,
    /// Run over every tenant (needs the typed phrase, or --yes / --confirm).
    #[arg(long)]
    pub all_tenants: bool,
    /// Run over the listed tenants (1–10,000): a file with one external id a line, or a CSV
    /// whose header has an `external_id` column (needs the typed phrase, or --yes / --confirm).
    #[arg(long, value_name = "PATH")]
    pub tenants_file: Option<std::path::PathBuf>,
    /// Run over the tenants of a workspace, by its id (needs the typed phrase, or --yes /
    /// --confirm).
    #[arg(long, value_name = "ID")]
    pub workspace: Option<i64>,
    /// A runbook parameter, `NAME=VALUE` (repeatable). Lists are comma-separated
    /// (`severities=high,critical`); an instant is RFC 3339 or `Nd`, N days before now
    /// (`last_seen_before=30d`).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Reason, confirmation, run control and waiting.
    #[command(flatten)]
    pub start: StartFlags,
}

/// The flags of a command that starts a run (`runbooks run`, `findings backfill-lifecycle`,
/// `runs revert`): reason, confirmation, run control's options and waiting.
#[derive(Debug, Clone, Args)]
pub struct StartFlags {
    /// Reason code: data_repair, incident, migration, support_request or other.
    #[arg(long, value_name = "CODE")]
    pub reason_code: Option<String>,
    /// Reason text, 10 to 500 characters.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Print the preflight and stop (read-only; no reason needed).
    #[arg(long, conflicts_with_all = ["confirm", "yes", "wait", "inline"])]
    pub preflight_only: bool,
    /// The typed confirmation phrase, e.g. "REBUILD 6 TENANTS" or "REVERT 6 TENANTS".
    #[arg(long, value_name = "PHRASE", conflicts_with = "yes")]
    pub confirm: Option<String>,
    /// Confirm without asking (for all tenants, or a revert of an all-tenants run: the phrase
    /// of this very preflight); also starts when the preflight found nothing to change.
    #[arg(long)]
    pub yes: bool,
    /// Start even when the preflight found nothing to change (implied by --yes).
    #[arg(long)]
    pub allow_no_changes: bool,
    /// Wait for the run to complete, with a progress bar; the exit code reflects the outcome.
    #[arg(long)]
    pub wait: bool,
    /// Run job workers inside this process while waiting (implies --wait).
    #[arg(long)]
    pub inline: bool,
    /// With --wait: give up waiting after this many seconds (exit 1; the run goes on).
    #[arg(long, value_name = "N")]
    pub timeout_seconds: Option<u64>,
    /// Start as this operator (their capabilities are checked); default: no operator.
    #[arg(long, value_name = "USERNAME")]
    pub operator: Option<String>,
    /// Machine-readable JSON on standard output instead of the tables.
    #[arg(long)]
    pub json: bool,
    /// At most this many tenants run at once, across every worker (1–256).
    #[arg(long, value_name = "N")]
    pub max_concurrency: Option<i64>,
    /// Pause the run when more than N tenants have failed (since it started or last resumed).
    #[arg(long, value_name = "N")]
    pub max_failed: Option<i64>,
    /// Run in waves of cumulative tenant counts, e.g. `3,50`: the first 3 tenants, a pause,
    /// up to 50, a pause, then the rest.
    #[arg(long, value_name = "N,N,...", value_delimiter = ',')]
    pub waves: Option<Vec<i64>>,
    /// These tenants (external ids) run first, in this order.
    #[arg(long, value_name = "EXTERNAL_ID,...", value_delimiter = ',')]
    pub canary: Option<Vec<String>>,
    /// With --wait: keep waiting while the run is paused (default: exit 4 at a pause).
    #[arg(long)]
    pub wait_through_pauses: bool,
    /// Turn the drift guard off (audited): write a tenant even when it would change far more
    /// rows than the preflight predicted.
    #[arg(long)]
    pub no_drift_guard: bool,
}

/// The run options of the flags; canary tenants are looked up by external id (an unknown one
/// is a usage error).
async fn run_options(
    ctx: &AppContext,
    args: &StartFlags,
) -> anyhow::Result<Result<RunOptions, String>> {
    let canary_tenant_ids = match &args.canary {
        None => None,
        Some(external_ids) => {
            let found = crate::runs::scope::lookup(
                &ctx.db,
                crate::domain::run::TenantList::ExternalIds(external_ids),
            )
            .await?;
            if !found.missing.is_empty() || found.platform.is_some() {
                let unknown: Vec<String> =
                    found.missing.into_iter().chain(found.platform).collect();
                return Ok(Err(format!(
                    "--canary names no targetable tenant {}",
                    unknown.join(", ")
                )));
            }
            let by_external: std::collections::HashMap<&str, i64> = found
                .found
                .iter()
                .map(|t| (t.external_id.as_str(), t.id))
                .collect();
            Some(
                external_ids
                    .iter()
                    .filter_map(|id| by_external.get(id.trim()).copied())
                    .collect(),
            )
        }
    };
    Ok(Ok(RunOptions {
        max_concurrency: args.max_concurrency,
        failure_budget: args
            .max_failed
            .map(|max_failed| FailureBudget { max_failed }),
        waves: args.waves.clone(),
        canary_tenant_ids,
        drift_guard: args.no_drift_guard.then_some(false),
    }))
}

/// Asks the operator a question and reads the answer. Production reads the terminal
/// ([`TerminalPrompt`]); tests script the answers.
pub trait Prompt {
    /// Whether questions can be asked at all (a terminal is attached).
    fn interactive(&self) -> bool;
    /// Shows `question` and returns the answer line without its line ending, or `None` at the
    /// end of input.
    fn ask(&mut self, question: &str) -> std::io::Result<Option<String>>;
}

/// The production [`Prompt`]: the question on standard error, the answer from standard input,
/// interactive only when standard input is a terminal.
#[derive(Debug, Default, Clone, Copy)]
pub struct TerminalPrompt;

impl Prompt for TerminalPrompt {
    fn interactive(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    fn ask(&mut self, question: &str) -> std::io::Result<Option<String>> {
        let mut err = std::io::stderr();
        write!(err, "{question}")?;
        err.flush()?;
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            return Ok(None);
        }
        Ok(Some(line.trim_end_matches(['\n', '\r']).to_owned()))
    }
}

/// The external ids of a `--tenants-file`: one a line (blank lines and `#` comments skipped),
/// or, when the first line is a CSV header with an `external_id` column, that column.
pub fn read_tenants_file(path: &std::path::Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let first = text.lines().next().unwrap_or_default();
    let header: Vec<String> = first
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let ids: Vec<String> = if let Some(column) = header.iter().position(|c| c == "external_id") {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut ids = Vec::new();
        for (line, record) in reader.records().enumerate() {
            let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
            match record.get(column).map(str::trim) {
                Some(id) if !id.is_empty() => ids.push(id.to_owned()),
                _ => {
                    return Err(format!(
                        "{}: row {} has no external_id",
                        path.display(),
                        line + 2
                    ));
                }
            }
        }
        ids
    } else {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    };
    if ids.is_empty() {
        return Err(format!("{} lists no tenant", path.display()));
    }
    Ok(ids)
}

/// Decides the confirmation of a start from the flags and, on a terminal, the operator's
/// answer. Returns the phrase to hand to `start()` (`None` for a single tenant), or why the
/// start is refused.
///
/// - all tenants: `--confirm P` passes `P` (the service checks it); `--yes` passes the
///   preflight's phrase; on a terminal the operator must type the phrase exactly; otherwise
///   refused.
/// - one tenant: `--yes` or `--confirm` proceed; on a terminal a `y`/`yes` answer proceeds;
///   otherwise refused.
pub fn confirm(
    confirmation: &Confirmation,
    target: &str,
    confirm_flag: Option<&str>,
    yes: bool,
    prompt: &mut dyn Prompt,
) -> Result<Option<String>, String> {
    if confirmation.required {
        let phrase = confirmation.phrase.clone().unwrap_or_default();
        if let Some(given) = confirm_flag {
            return Ok(Some(given.to_owned()));
        }
        if yes {
            return Ok(Some(phrase));
        }
        if !prompt.interactive() {
            return Err(format!(
                "a start over more than one tenant needs the typed phrase: pass --confirm \"{phrase}\" or --yes"
            ));
        }
        let answer = prompt
            .ask(&format!(
                "This runs {target}. Type \"{phrase}\" to confirm: "
            ))
            .map_err(|e| format!("cannot read the confirmation: {e}"))?;
        match answer {
            Some(typed) if typed == phrase => Ok(Some(phrase)),
            Some(_) => Err(format!(
                "the phrase did not match \"{phrase}\"; nothing was started"
            )),
            None => Err("no confirmation given; nothing was started".to_owned()),
        }
    } else {
        if yes || confirm_flag.is_some() {
            return Ok(None);
        }
        if !prompt.interactive() {
            return Err("not on a terminal: pass --yes to start without a prompt".to_owned());
        }
        let answer = prompt
            .ask(&format!("Start {target}? [y/N] "))
            .map_err(|e| format!("cannot read the confirmation: {e}"))?;
        match answer.as_deref().map(|a| a.trim().to_ascii_lowercase()) {
            Some(a) if a == "y" || a == "yes" => Ok(None),
            _ => Err("declined; nothing was started".to_owned()),
        }
    }
}

/// What `--json` prints: one document on standard output.
#[derive(Debug, Default, Serialize)]
struct JsonReport {
    preflight: Option<serde_json::Value>,
    run: Option<RunView>,
    deduplicated: Option<bool>,
    timed_out: bool,
    error: Option<serde_json::Value>,
    exit_code: u8,
}

/// Runs `atlas-ops findings ...` with the terminal prompt.
pub async fn run(settings: Settings, command: FindingsCommand) -> anyhow::Result<Exit> {
    match command {
        FindingsCommand::BackfillLifecycle(args) => {
            backfill_lifecycle(settings, args, &mut TerminalPrompt).await
        }
    }
}

/// Runs `atlas-ops runbooks ...` with the terminal prompt.
pub async fn runbooks(settings: Settings, command: RunbooksCommand) -> anyhow::Result<Exit> {
    match command {
        RunbooksCommand::List { json } => {
            list(settings, json).await?;
            Ok(Exit::Succeeded)
        }
        RunbooksCommand::Run { key, args } => {
            run_runbook(settings, &key, *args, &mut TerminalPrompt).await
        }
    }
}

/// `atlas-ops runbooks list`: the catalogue from the registry, each runbook with its latest run
/// (`last_run`, as `GET /ops/runbooks` has it: one query for the whole catalogue).
async fn list(settings: Settings, json: bool) -> anyhow::Result<()> {
    let runbooks = crate::app::runbooks();
    let keys: Vec<&str> = runbooks.all().iter().map(|r| r.key()).collect();
    let last_runs = query::last_runs(&open(&settings).await?, &keys).await?;
    if json {
        let items: Vec<serde_json::Value> = runbooks
            .all()
            .iter()
            .map(|r| {
                serde_json::json!({
                    "key": r.key(),
                    "title": r.title(),
                    "description": r.description(),
                    "version": r.version(),
                    "run_on_deploy": r.run_on_deploy(),
                    "confirmation_verb": r.confirmation_verb(),
                    "rules": r.rule_keys(),
                    "rule_details": r.rules().iter().map(|rule| serde_json::json!({
                        "key": rule.key, "name": rule.name, "description": rule.description,
                    })).collect::<Vec<_>>(),
                    "parameters": r.parameters_schema(),
                    "last_run": last_runs.get(r.key()),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "items": items }))?
        );
        return Ok(());
    }
    for r in runbooks.all() {
        println!("{}  v{}  {}", r.key(), r.version(), r.title());
        println!("    {}", r.description());
        match last_runs.get(r.key()) {
            Some(last) => println!(
                "    last run #{} {}{}",
                last.id,
                last.outcome.map_or(last.status.as_str(), Outcome::as_str),
                last.completed_at
                    .map(|at| format!(", completed {}", at.format("%Y-%m-%d %H:%M:%S UTC")))
                    .unwrap_or_default()
            ),
            None => println!("    never run"),
        }
        for rule in r.rules() {
            println!("    {:<4} {:<20} {}", rule.key, rule.name, rule.description);
        }
        let schema = r.parameters_schema();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        if let Some(props) = schema["properties"].as_object().filter(|p| !p.is_empty()) {
            for (name, prop) in props {
                let need = if required.contains(&name.as_str()) {
                    "required"
                } else {
                    "optional"
                };
                let about = prop["description"].as_str().unwrap_or_default();
                println!("    --param {name}=...  ({need}) {about}");
            }
        }
        if r.run_on_deploy() {
            println!("    runs on deploy");
        }
        println!();
    }
    Ok(())
}

/// Turns `--param NAME=VALUE` flags into the runbook's parameters object, typed by its JSON
/// Schema: lists split on commas, integers and booleans parsed, and an instant given as `Nd`
/// becomes N days before `now`. Names the schema does not know are passed on as strings (the
/// runbook refuses them, naming the field).
pub fn parse_params(
    schema: &serde_json::Value,
    params: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    let mut out = serde_json::Map::new();
    for param in params {
        let Some((name, raw)) = param.split_once('=') else {
            return Err(format!("--param {param:?}: expected NAME=VALUE"));
        };
        let name = name.trim();
        if out.contains_key(name) {
            return Err(format!("--param {name} is given twice"));
        }
        let prop = &schema["properties"][name];
        let value = match prop["type"].as_str() {
            Some("array") => Value::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_owned()))
                    .collect(),
            ),
            Some("integer") => raw
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("--param {name}: {raw:?} is not an integer"))?,
            Some("boolean") => match raw.trim() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(format!("--param {name}: expected true or false")),
            },
            _ if prop["format"] == "date-time" => Value::String(older_than(raw.trim(), now)),
            _ => Value::String(raw.to_owned()),
        };
        out.insert(name.to_owned(), value);
    }
    Ok(Value::Object(out))
}

/// `Nd` ("older than N days") as the instant N days before `now`; anything else unchanged.
pub fn older_than(raw: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    raw.strip_suffix('d')
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .and_then(chrono::TimeDelta::try_days)
        .map_or_else(
            || raw.to_owned(),
            |d| (now - d).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
}

/// `atlas-ops findings backfill-lifecycle`, with an injectable prompt.
pub async fn backfill_lifecycle(
    settings: Settings,
    args: BackfillArgs,
    prompt: &mut dyn Prompt,
) -> anyhow::Result<Exit> {
    run_runbook(settings, findings_lifecycle::KEY, args, prompt).await
}

/// `atlas-ops runbooks run KEY`, with an injectable prompt.
pub async fn run_runbook(
    settings: Settings,
    key: &str,
    args: BackfillArgs,
    prompt: &mut dyn Prompt,
) -> anyhow::Result<Exit> {
    let mut report = JsonReport::default();
    let exit = backfill(settings, key, &args, prompt, &mut report).await?;
    if args.start.json {
        report.exit_code = exit.code();
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(exit)
}

/// `atlas-ops runs revert ID`, with an injectable prompt: the revert preflight, the typed
/// confirmation, the revert run (docs/spec.md §15) and, with `--wait`, its end.
pub async fn revert_run(
    ctx: &AppContext,
    run_id: i64,
    flags: StartFlags,
    prompt: &mut dyn Prompt,
) -> anyhow::Result<Exit> {
    let mut report = JsonReport::default();
    let exit = revert(ctx, run_id, &flags, prompt, &mut report).await?;
    if flags.json {
        report.exit_code = exit.code();
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(exit)
}

async fn revert(
    ctx: &AppContext,
    run_id: i64,
    flags: &StartFlags,
    prompt: &mut dyn Prompt,
    report: &mut JsonReport,
) -> anyhow::Result<Exit> {
    let reason = match reason_of(flags) {
        Ok(reason) => reason,
        Err((kind, why)) => return Ok(refuse(report, Exit::Refused, kind, &why)),
    };
    let (initiator, options) = match initiator_and_options(ctx, flags).await? {
        Ok(both) => both,
        Err((exit, kind, why)) => return Ok(refuse(report, exit, kind, why.as_str())),
    };
    let meta = RequestMeta {
        source: Some(Source::Cli.as_str().to_owned()),
        ..Default::default()
    };
    let pf = match revert::preflight(ctx, run_id, initiator.as_ref(), meta.clone()).await {
        Ok(pf) => pf,
        Err(RunError::RunNotFound) => {
            return Ok(refuse(
                report,
                Exit::Failed,
                "not_found",
                &format!("run #{run_id} not found"),
            ));
        }
        Err(e) => return run_error(report, e),
    };
    if !flags.json {
        print_revert_preflight(&pf);
    }
    report.preflight = Some(serde_json::to_value(&pf)?);
    let Some(reason) = reason else {
        return Ok(Exit::Succeeded);
    };
    let target = format!(
        "a revert of run #{run_id}: {} rows to restore in {}",
        pf.rows_to_restore,
        pf.scope.label()
    );
    let confirmation = match confirm(
        &pf.confirmation,
        &target,
        flags.confirm.as_deref(),
        flags.yes,
        prompt,
    ) {
        Ok(c) => c,
        Err(why) => return Ok(refuse(report, Exit::Refused, "not_confirmed", &why)),
    };
    let outcome = match revert::start(
        ctx,
        run_id,
        StartRequest {
            runbook: pf.runbook.clone(),
            scope: Scope::AllTenants,
            parameters: serde_json::Value::Null,
            initiator,
            reason,
            source: Source::Cli,
            confirmation,
            preflight_id: pf.preflight_id.clone(),
            allow_no_changes: flags.yes || flags.allow_no_changes,
            options,
            retry_of: None,
            reverts: Some(run_id),
            meta,
            idempotency: None,
        },
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(e) => return run_error(report, e),
    };
    follow(ctx, outcome, flags, report).await
}

fn refuse(report: &mut JsonReport, exit: Exit, kind: &str, message: &str) -> Exit {
    eprintln!("refused: {message}");
    report.error = Some(serde_json::json!({"kind": kind, "message": message}));
    exit
}

async fn backfill(
    settings: Settings,
    key: &str,
    args: &BackfillArgs,
    prompt: &mut dyn Prompt,
    report: &mut JsonReport,
) -> anyhow::Result<Exit> {
    let Some(runbook) = crate::app::runbooks().find(key) else {
        return Ok(refuse(
            report,
            Exit::Usage,
            "unknown_runbook",
            &format!("no runbook {key:?}; see `atlas-ops runbooks list`"),
        ));
    };
    let parameters = match parse_params(
        &runbook.parameters_schema(),
        &args.params,
        chrono::Utc::now(),
    ) {
        Ok(p) => p,
        Err(why) => return Ok(refuse(report, Exit::Usage, "usage", &why)),
    };
    let flags = &args.start;
    // The reason is checked before the database is touched (docs/spec.md §7: refused, exit 3).
    let reason = match reason_of(flags) {
        Ok(reason) => reason,
        Err((kind, why)) => return Ok(refuse(report, Exit::Refused, kind, &why)),
    };

    let conn = open(&settings).await?;
    let ctx = crate::app::context(conn, settings);

    let scope = if let Some(external_id) = &args.tenant {
        let Some(tenant) = tenants::Entity::find()
            .filter(tenants::Column::ExternalId.eq(external_id.as_str()))
            .one(&ctx.db)
            .await?
        else {
            return Ok(refuse(
                report,
                Exit::Usage,
                "unknown_tenant",
                &format!("no tenant with external id {external_id:?}"),
            ));
        };
        Scope::Tenant {
            tenant_id: tenant.id,
        }
    } else if let Some(path) = &args.tenants_file {
        let external_ids = match read_tenants_file(path) {
            Ok(ids) => ids,
            Err(why) => return Ok(refuse(report, Exit::Usage, "tenants_file", &why)),
        };
        match serde_json::from_value(serde_json::json!({
            "kind": "tenants",
            "external_ids": external_ids,
        })) {
            Ok(scope) => scope,
            Err(why) => {
                return Ok(refuse(
                    report,
                    Exit::Usage,
                    "tenants_file",
                    &format!("{}: {why}", path.display()),
                ));
            }
        }
    } else if let Some(workspace_id) = args.workspace {
        Scope::Workspace { workspace_id }
    } else {
        Scope::AllTenants
    };

    let (initiator, options) = match initiator_and_options(&ctx, flags).await? {
        Ok(both) => both,
        Err((exit, kind, why)) => return Ok(refuse(report, exit, kind, why.as_str())),
    };

    let meta = RequestMeta {
        source: Some(Source::Cli.as_str().to_owned()),
        ..Default::default()
    };
    let pf = match preflight(
        &ctx,
        runbook.key(),
        scope.clone(),
        &parameters,
        initiator.as_ref(),
        meta.clone(),
    )
    .await
    {
        Ok(pf) => pf,
        Err(e) => return run_error(report, e),
    };
    if !flags.json {
        print_preflight(&pf);
    }
    report.preflight = Some(serde_json::to_value(&pf)?);
    if flags.preflight_only {
        return Ok(Exit::Succeeded);
    }
    let Some(reason) = reason else {
        return Ok(Exit::Succeeded);
    };

    let target = match &pf.scope {
        ScopeView::AllTenants => format!("the findings of all {} tenants", pf.tenants_in_scope),
        ScopeView::Tenant {
            tenant: Some(tenant),
            ..
        } => format!(
            "the findings of tenant {} ({})",
            tenant.external_id, tenant.name
        ),
        other => format!("the findings of {}", other.label()),
    };
    let target = format!("{} over {target}", runbook.title());
    let confirmation = match confirm(
        &pf.confirmation,
        &target,
        flags.confirm.as_deref(),
        flags.yes,
        prompt,
    ) {
        Ok(c) => c,
        Err(why) => return Ok(refuse(report, Exit::Refused, "not_confirmed", &why)),
    };

    let outcome = match start(
        &ctx,
        StartRequest {
            runbook: pf.runbook.clone(),
            scope,
            parameters: pf.parameters.clone(),
            initiator,
            reason,
            source: Source::Cli,
            confirmation,
            preflight_id: pf.preflight_id.clone(),
            allow_no_changes: flags.yes || flags.allow_no_changes,
            options,
            retry_of: None,
            reverts: None,
            meta,
            idempotency: None,
        },
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(e) => return run_error(report, e),
    };
    follow(&ctx, outcome, flags, report).await
}

/// The reason of the flags (checked before the database is touched: docs/spec.md §7), `None`
/// for `--preflight-only`; or the refusal's kind and message.
fn reason_of(flags: &StartFlags) -> Result<Option<Reason>, (&'static str, String)> {
    if flags.preflight_only {
        return Ok(None);
    }
    match (flags.reason_code.as_deref(), flags.reason.as_deref()) {
        (Some(code), Some(text)) => Reason::parse(code, text)
            .map(Some)
            .map_err(|e| ("invalid_reason", e.to_string())),
        _ => Err((
            "missing_reason",
            "every start needs a reason: --reason-code CODE --reason TEXT \
             (codes: data_repair, incident, migration, support_request, other)"
                .to_owned(),
        )),
    }
}

/// The operator of `--operator` (if any) and the run options of the flags; or the refusal.
async fn initiator_and_options(
    ctx: &AppContext,
    flags: &StartFlags,
) -> anyhow::Result<Result<(Option<Initiator>, RunOptions), (Exit, &'static str, String)>> {
    let initiator = match &flags.operator {
        None => None,
        Some(username) => match crate::cli::operator(ctx, username).await? {
            Ok(initiator) => Some(initiator),
            Err(refusal) => return Ok(Err(refusal)),
        },
    };
    Ok(match run_options(ctx, flags).await? {
        Ok(options) => Ok((initiator, options)),
        Err(why) => Err((Exit::Usage, "options", why)),
    })
}

/// After a start: says what was started and, with `--wait` or `--inline`, follows the run to
/// its end (or a pause, or the timeout); the exit code reflects how it ended.
async fn follow(
    ctx: &AppContext,
    outcome: StartedRun,
    flags: &StartFlags,
    report: &mut JsonReport,
) -> anyhow::Result<Exit> {
    let run_id = outcome.run.id;
    if outcome.deduplicated {
        eprintln!("an identical run is already active: run #{run_id} (nothing new was started)");
    }
    if !flags.json {
        println!(
            "run #{run_id} {} ({} tenant(s))",
            if outcome.deduplicated {
                "is active"
            } else {
                "queued"
            },
            outcome.run.counts.total
        );
    }
    report.deduplicated = Some(outcome.deduplicated);
    report.run = Some(outcome.run);
    if !(flags.wait || flags.inline) {
        return Ok(Exit::Succeeded);
    }

    let workers = flags.inline.then(|| InlineWorkers::start(ctx));
    let waited = wait_for_run(
        ctx,
        run_id,
        flags.timeout_seconds.map(Duration::from_secs),
        !flags.json,
        !flags.wait_through_pauses,
    )
    .await;
    if let Some(workers) = workers {
        workers.stop().await;
    }
    let exit = match waited? {
        Waited::Completed(view) => {
            if !flags.json {
                print_summary(ctx, &view).await?;
            }
            let exit = outcome_exit(&view);
            report.run = Some(view);
            exit
        }
        Waited::Paused(view) => {
            let pause = view.pause.as_ref();
            eprintln!(
                "run #{run_id} paused ({}): {}\n  {} of {} tenants processed, {} failed; resume it with \
                 `atlas-ops runs resume {run_id} --reason ...` or cancel it with `atlas-ops runs cancel {run_id} --reason ...`",
                pause.map_or("paused", |p| p.reason.as_str()),
                pause.and_then(|p| p.text.as_deref()).unwrap_or(""),
                view.counts.processed,
                view.counts.total,
                view.counts.failed,
            );
            report.run = Some(view);
            Exit::Paused
        }
        Waited::TimedOut => {
            eprintln!(
                "timed out waiting for run #{run_id}; it goes on (follow it with `atlas-ops runs show {run_id}`)"
            );
            report.timed_out = true;
            if let Some(model) = query::find(&ctx.db, run_id).await? {
                report.run = Some(query::view(&ctx.db, &ctx.runbooks, model, ctx.now()).await?);
            }
            Exit::Failed
        }
    };
    Ok(exit)
}

/// Maps a service refusal to its exit code, printing it (and recording it for `--json`).
fn run_error(report: &mut JsonReport, error: RunError) -> anyhow::Result<Exit> {
    let (exit, kind) = match &error {
        RunError::Invalid { .. } => (Exit::Refused, "invalid"),
        RunError::Refused { code, .. } => (Exit::Refused, *code),
        RunError::Conflict { .. } => (Exit::Refused, "conflict"),
        RunError::Forbidden(_) => (Exit::Refused, "forbidden"),
        RunError::State { code, .. } => (Exit::Refused, *code),
        RunError::ChangeLogExpired { .. } => (Exit::Refused, "change_log_expired"),
        RunError::UnknownRunbook(_) | RunError::RunNotFound | RunError::Db(_) => {
            return Err(error.into());
        }
    };
    let message = match &error {
        RunError::Conflict { active_run_id } => format!(
            "an active run (#{active_run_id}) overlaps this scope; wait for it or cancel it \
             (`atlas-ops runs show {active_run_id}`)"
        ),
        RunError::Invalid { detail, errors } => {
            let fields: Vec<String> = errors
                .iter()
                .flat_map(|(field, msgs)| msgs.iter().map(move |m| format!("{field}: {m}")))
                .collect();
            match fields.as_slice() {
                [] => detail.clone(),
                // One field whose message is the summary: name the field once.
                [only] if only.ends_with(detail.as_str()) => only.clone(),
                _ => format!("{detail} ({})", fields.join("; ")),
            }
        }
        other => other.to_string(),
    };
    eprintln!("refused: {message}");
    let mut json = serde_json::json!({"kind": kind, "message": message});
    match &error {
        RunError::Conflict { active_run_id } => json["active_run_id"] = (*active_run_id).into(),
        RunError::Invalid { errors, .. } => {
            json["errors"] = serde_json::to_value(errors).unwrap_or_default();
        }
        RunError::Refused { field, detail, .. } => {
            json["errors"] = serde_json::json!({ *field: [detail] });
        }
        _ => {}
    }
    report.error = Some(json);
    Ok(exit)
}

/// The exit code of a completed run: 0 when it succeeded, 1 otherwise.
pub fn outcome_exit(run: &RunView) -> Exit {
    if run.outcome == Some(Outcome::Succeeded) {
        Exit::Succeeded
    } else {
        Exit::Failed
    }
}

/// Job workers inside this process (`--inline`), stopped when the wait ends.
pub struct InlineWorkers {
    shutdown: CancellationToken,
    handles: Vec<tokio::task::JoinHandle<()>>,
}

impl InlineWorkers {
    /// Starts `WORKERS` (at least one) workers on `ctx`.
    pub fn start(ctx: &AppContext) -> Self {
        let shutdown = CancellationToken::new();
        let handles = crate::app::spawn_workers(ctx, ctx.settings.workers.max(1), &shutdown);
        Self { shutdown, handles }
    }

    /// Stops the workers; each finishes the job it holds first.
    pub async fn stop(self) {
        self.shutdown.cancel();
        for handle in self.handles {
            let _ = handle.await;
        }
    }
}

/// Polls run `run_id` every [`POLL_INTERVAL`] until it is completed, feeding a progress bar
/// (drawn on standard error when it is a terminal and `show_bar`). Returns the completed run,
/// or `None` when `timeout` passed first.
/// How a wait for a run ended.
#[derive(Debug)]
pub enum Waited {
    /// The run completed.
    Completed(RunView),
    /// The run paused (and the wait stops at pauses).
    Paused(RunView),
    /// The timeout passed first.
    TimedOut,
}

/// Polls run `run_id` (with a progress bar when `show_bar`) until it completes, `timeout`
/// passes or — when `stop_at_pause` — it pauses.
pub async fn wait_for_run(
    ctx: &AppContext,
    run_id: i64,
    timeout: Option<Duration>,
    show_bar: bool,
    stop_at_pause: bool,
) -> anyhow::Result<Waited> {
    let deadline = timeout.map(|t| Instant::now() + t);
    let bar = if show_bar {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} run #{prefix} [{elapsed_precise}] {bar:30} {pos}/{len} tenants  {msg}",
    ) {
        bar.set_style(style);
    }
    bar.set_prefix(run_id.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    let result = loop {
        let model = query::find(&ctx.db, run_id)
            .await?
            .with_context(|| format!("run #{run_id} disappeared"))?;
        let view = query::view(&ctx.db, &ctx.runbooks, model, ctx.now()).await?;
        let counts = view.counts;
        bar.set_length(counts.total.max(0) as u64);
        bar.set_position(counts.processed.max(0) as u64);
        bar.set_message(format!(
            "{}  {} failed  {} findings changed",
            view.status, counts.failed, counts.findings_changed
        ));
        if view.status == RunStatus::Completed {
            break Waited::Completed(view);
        }
        if stop_at_pause && view.status == RunStatus::Paused {
            break Waited::Paused(view);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break Waited::TimedOut;
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    };
    bar.finish_and_clear();
    Ok(result)
}

/// The name of rule `key` of `runbook` (`first_seen` for `R1`), from the runbook itself.
fn rule_name(runbook: &str, key: &str) -> &'static str {
    crate::app::runbooks()
        .find(runbook)
        .and_then(|r| r.rules().iter().find(|rule| rule.key == key))
        .map_or("", |rule| rule.name)
}

/// Prints a preflight as a readable table on standard output.
pub fn print_preflight(pf: &PreflightResult) {
    println!("Preflight of {} over {}", pf.runbook, pf.scope.label());
    println!("  preflight id         {}", pf.preflight_id);
    println!("  expires at           {}", pf.expires_at.to_rfc3339());
    println!("  tenants in scope     {}", pf.tenants_in_scope);
    println!("  tenants with changes {}", pf.tenants_with_changes);
    println!("  findings examined    {}", pf.findings_examined);
    println!("  findings to change   {}", pf.findings_to_change);
    println!("  estimated duration   ~{} s", pf.estimated_seconds);
    if pf.parameters.as_object().is_some_and(|p| !p.is_empty()) {
        println!("  parameters           {}", pf.parameters);
    }
    println!();
    println!("  {:<4} {:<20} {:>8}", "rule", "name", "changes");
    for (code, n) in &pf.changes_by_rule {
        println!("  {code:<4} {:<20} {n:>8}", rule_name(&pf.runbook, code));
    }
    if !pf.sample.is_empty() {
        println!();
        println!(
            "  sample ({} of {} findings to change):",
            pf.sample.len(),
            pf.findings_to_change
        );
        for change in &pf.sample {
            print_sample(change);
        }
    }
    if let Some(phrase) = &pf.confirmation.phrase {
        println!();
        println!("  confirmation phrase  {phrase}");
    }
    println!();
}

/// Prints a revert preflight as a readable table on standard output.
pub fn print_revert_preflight(pf: &RevertPreflight) {
    println!(
        "Revert preflight of run #{} ({}) over {}",
        pf.reverts_run_id,
        pf.runbook,
        pf.scope.label()
    );
    println!("  preflight id           {}", pf.preflight_id);
    println!("  expires at             {}", pf.expires_at.to_rfc3339());
    println!("  tenants in scope       {}", pf.tenants_in_scope);
    println!("  rows in the change log {}", pf.rows_logged);
    println!("  rows to restore        {}", pf.rows_to_restore);
    println!("  rows already restored  {}", pf.rows_already_restored);
    println!(
        "  conflicts              {} (changed by the application since: left alone)",
        pf.conflicts
    );
    if !pf.sample.is_empty() {
        println!();
        println!(
            "  sample ({} of {} rows to restore):",
            pf.sample.len(),
            pf.rows_to_restore
        );
        for change in &pf.sample {
            print_sample(change);
        }
    }
    if !pf.conflict_sample.is_empty() {
        println!();
        println!(
            "  conflicts ({} of {}, left alone):",
            pf.conflict_sample.len(),
            pf.conflicts
        );
        for conflict in &pf.conflict_sample {
            println!(
                "    finding {} (tenant {}):",
                conflict["finding_id"], conflict["tenant_id"]
            );
            let Some(written) = conflict["written"].as_object() else {
                continue;
            };
            for (field, value) in written {
                match conflict["after"].as_object() {
                    Some(now) => println!(
                        "      {field}: the run wrote {value}, it holds {} now",
                        now.get(field).unwrap_or(&serde_json::Value::Null)
                    ),
                    None => println!("      {field}: the run wrote {value}; the row is deleted"),
                }
            }
        }
    }
    if let Some(phrase) = &pf.confirmation.phrase {
        println!();
        println!("  confirmation phrase    {phrase}");
    }
    println!();
}

fn print_sample(change: &serde_json::Value) {
    let rules: Vec<String> = change["rules"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| r.as_str().map_or_else(|| r.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    println!(
        "    finding {} (tenant {}): {}",
        change["finding_id"],
        change["tenant_id"],
        rules.join(", ")
    );
    let (Some(before), Some(after)) = (change["before"].as_object(), change["after"].as_object())
    else {
        return;
    };
    for (field, new) in after {
        let old = before.get(field).unwrap_or(&serde_json::Value::Null);
        if old != new {
            println!("      {field}: {old} -> {new}");
        }
    }
}

/// Prints a completed run's summary (and its failed tenants) on standard output.
pub async fn print_summary(ctx: &AppContext, run: &RunView) -> anyhow::Result<()> {
    let c = run.counts;
    println!(
        "run #{} completed: {}",
        run.id,
        run.outcome.map_or("unknown", Outcome::as_str)
    );
    println!(
        "  tenants            {} total, {} succeeded, {} failed, {} skipped",
        c.total, c.succeeded, c.failed, c.skipped
    );
    println!("  findings changed   {}", c.findings_changed);
    if let (Some(started), Some(completed)) = (run.started_at, run.completed_at) {
        let ms = (completed - started).num_milliseconds().max(0);
        println!("  duration           {:.1} s", ms as f64 / 1000.0);
    }
    if let Some(error) = &run.error_summary {
        println!("  error              {error}");
    }
    if c.failed > 0 {
        let (failed, total) =
            query::items(&ctx.db, run.id, Some(ItemStatus::Failed), 1, 10, ctx.now()).await?;
        println!("  failed tenants ({total}):");
        for item in failed {
            println!(
                "    {} ({}): {}",
                item.tenant_name,
                item.tenant_external_id,
                item.error.as_deref().unwrap_or("")
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::runs::preflight::Confirmation;

    /// A scripted prompt: fixed answers, records the questions.
    struct Scripted {
        interactive: bool,
        answers: VecDeque<&'static str>,
        asked: Vec<String>,
    }

    impl Scripted {
        fn new(interactive: bool, answers: &[&'static str]) -> Self {
            Self {
                interactive,
                answers: answers.iter().copied().collect(),
                asked: Vec::new(),
            }
        }
    }

    impl Prompt for Scripted {
        fn interactive(&self) -> bool {
            self.interactive
        }

        fn ask(&mut self, question: &str) -> std::io::Result<Option<String>> {
            self.asked.push(question.to_owned());
            Ok(self.answers.pop_front().map(str::to_owned))
        }
    }

    /// The confirmation of an all-tenants preflight (`all`) or a single tenant's.
    fn pf(all: bool) -> Confirmation {
        Confirmation {
            required: all,
            phrase: all.then(|| "REBUILD 6 TENANTS".to_owned()),
        }
    }

    #[test]
    fn all_tenants_on_a_terminal_needs_the_exact_phrase() {
        let mut p = Scripted::new(true, &["REBUILD 6 TENANTS"]);
        assert_eq!(
            confirm(&pf(true), "all", None, false, &mut p),
            Ok(Some("REBUILD 6 TENANTS".into()))
        );
        assert_eq!(p.asked.len(), 1);
        assert!(p.asked[0].contains("Type \"REBUILD 6 TENANTS\""));

        let mut p = Scripted::new(true, &["rebuild 6 tenants"]);
        let err = confirm(&pf(true), "all", None, false, &mut p).expect_err("wrong phrase");
        assert!(err.contains("did not match"), "{err}");

        let mut p = Scripted::new(true, &["REBUILD 6 TENANTS "]);
        assert!(confirm(&pf(true), "all", None, false, &mut p).is_err());

        let mut p = Scripted::new(true, &[]);
        assert!(
            confirm(&pf(true), "all", None, false, &mut p).is_err(),
            "EOF"
        );
    }

    #[test]
    fn one_tenant_on_a_terminal_asks_yes_or_no() {
        for (answer, ok) in [("y", true), ("YES", true), ("n", false), ("", false)] {
            let mut p = Scripted::new(true, &[answer]);
            let got = confirm(&pf(false), "tenant t", None, false, &mut p);
            assert_eq!(got.is_ok(), ok, "answer {answer:?}");
            if ok {
                assert_eq!(got, Ok(None), "no phrase for one tenant");
            }
            assert!(p.asked[0].contains("[y/N]"));
        }
    }

    #[test]
    fn flags_confirm_without_asking() {
        let mut p = Scripted::new(true, &[]);
        assert_eq!(
            confirm(&pf(true), "all", None, true, &mut p),
            Ok(Some("REBUILD 6 TENANTS".into()))
        );
        assert_eq!(
            confirm(&pf(true), "all", Some("REBUILD 5 TENANTS"), false, &mut p),
            Ok(Some("REBUILD 5 TENANTS".into())),
            "--confirm is passed as given; start() checks it"
        );
        assert_eq!(confirm(&pf(false), "t", None, true, &mut p), Ok(None));
        assert!(p.asked.is_empty());
    }

    #[test]
    fn without_a_terminal_or_flag_it_refuses() {
        let mut p = Scripted::new(false, &["REBUILD 6 TENANTS"]);
        let err = confirm(&pf(true), "all", None, false, &mut p).expect_err("refused");
        assert!(err.contains("--confirm \"REBUILD 6 TENANTS\""), "{err}");
        assert!(confirm(&pf(false), "t", None, false, &mut p).is_err());
        assert!(p.asked.is_empty(), "never asks without a terminal");
    }

    #[test]
    fn rule_names_come_from_the_runbook() {
        let v1 = findings_lifecycle::KEY;
        assert_eq!(rule_name(v1, "R1"), "first_seen");
        assert_eq!(rule_name(v1, "R7"), "terminal_timestamps");
        assert_eq!(rule_name(v1, "R9"), "");
        assert_eq!(rule_name("findings.stale.close", "S1"), "close_stale");
        assert_eq!(rule_name("no.such.runbook", "S1"), "");
    }

    #[test]
    fn params_are_typed_by_the_runbook_schema() {
        let schema = crate::runbooks::Runbook::parameters_schema(
            &crate::runbooks::findings_stale::CloseStaleFindings,
        );
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let p = parse_params(
            &schema,
            &[
                "severities=high, critical".into(),
                "last_seen_before=30d".into(),
            ],
            now,
        )
        .expect("params");
        assert_eq!(
            p,
            serde_json::json!({"severities": ["high", "critical"], "last_seen_before": "2026-10-31T12:00:00Z"})
        );
        let exact = parse_params(
            &schema,
            &["last_seen_before=2026-01-01T00:00:00Z".into()],
            now,
        )
        .expect("params");
        assert_eq!(exact["last_seen_before"], "2026-01-01T00:00:00Z");
        assert!(parse_params(&schema, &["nonsense".into()], now).is_err());
        assert!(
            parse_params(
                &schema,
                &["severities=low".into(), "severities=high".into()],
                now
            )
            .is_err()
        );
        // Unknown names pass through for the runbook to refuse by name.
        assert_eq!(
            parse_params(&schema, &["colour=red".into()], now).expect("params"),
            serde_json::json!({"colour": "red"})
        );
    }
}
