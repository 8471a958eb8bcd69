//! `serve`, `migrate` and `demo seed`.

use anyhow::Context;

use crate::config::Settings;
use crate::demo::{self, SeedOutcome, SeedShape};
use crate::{db, http};
use tokio_util::sync::CancellationToken;

/// Opens the database of `settings` with a pool sized for the server and its workers.
pub async fn open(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let pool = (settings.workers as u32 + 8).max(10);
    db::connect(&settings.database_url, pool)
        .await
        .with_context(|| "cannot open the database (DATABASE_URL)")
}

/// `atlas-ops migrate`.
pub async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let conn = open(&settings).await?;
    let applied = db::migrate(&conn).await?;
    if applied == 0 {
        println!("database schema is up to date; nothing to apply");
    } else {
        println!("applied {applied} migration(s)");
    }
    Ok(())
}

/// The shape of `atlas-ops demo seed`'s data; every flag defaults to [`SeedShape::default`]
/// (3 workspaces, 25 tenants, 800 findings each). `--tenants 1000 --findings-per-tenant 5` is
/// the console's 1,000-tenant e2e (docs/spec.md §18).
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// Tenants to create (besides the platform tenant), spread over the workspaces.
    #[arg(long, default_value_t = SeedShape::default().tenants)]
    pub tenants: usize,
    /// Legacy findings per tenant.
    #[arg(long, default_value_t = SeedShape::default().findings_per_tenant)]
    pub findings_per_tenant: usize,
    /// Workspaces to create (at least 1).
    #[arg(long, default_value_t = SeedShape::default().workspaces,
          value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u32).range(1..), |n| n as usize))]
    pub workspaces: usize,
}

impl From<&SeedArgs> for SeedShape {
    fn from(args: &SeedArgs) -> Self {
        SeedShape {
            workspaces: args.workspaces,
            tenants: args.tenants,
            findings_per_tenant: args.findings_per_tenant,
        }
    }
}

/// `atlas-ops demo seed [--tenants N] [--findings-per-tenant N] [--workspaces N]`.
pub async fn demo_seed(settings: Settings, args: SeedArgs) -> anyhow::Result<()> {
    let conn = open(&settings).await?;
    db::migrate(&conn).await?;
    let password = std::env::var("DEMO_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let base = format!("http://{}", settings.bind);
    print_seed(
        demo::seed(&conn, SeedShape::from(&args), password).await?,
        &base,
    );
    Ok(())
}

/// Prints what seeding did; new credentials with the console URLs under `base`.
fn print_seed(outcome: SeedOutcome, base: &str) {
    match outcome {
        SeedOutcome::AlreadySeeded => {
            println!("demo data already present; nothing changed");
        }
        SeedOutcome::Seeded {
            tenants,
            findings,
            credentials,
        } => {
            println!("seeded {tenants} tenants (+ the platform tenant) and {findings} findings");
            println!("these credentials are shown once:");
            println!(
                "  operator  {base}/system  {} / {}",
                credentials.operator_username, credentials.operator_password
            );
            println!(
                "  customer  {base}/admin   {} / {}",
                credentials.customer_username, credentials.customer_password
            );
        }
    }
}

/// `atlas-ops serve [--seed-demo]`.
pub async fn serve(settings: Settings, seed_demo: bool) -> anyhow::Result<()> {
    for name in &settings.generated_secrets {
        match &settings.kept_secrets_file {
            Some(file) => tracing::warn!(
                "{name} is not set: generated a random one and kept it in {} (demo mode; never in production)",
                file.display()
            ),
            None => tracing::warn!(
                "{name} is not set: generated a random one for this process (demo mode); sessions and tokens will not survive a restart"
            ),
        }
    }
    if !settings.cookie_secure {
        tracing::warn!(
            "COOKIE_SECURE=false: session cookies are sent over plain http (make run's local demo); never in production"
        );
    }
    let conn = open(&settings).await?;
    if settings.auto_migrate {
        let applied = db::migrate(&conn).await?;
        tracing::info!(applied, "migrations checked");
    } else {
        anyhow::ensure!(
            db::is_up_to_date(&conn).await?,
            "the database schema is behind; run `atlas-ops migrate` (AUTO_MIGRATE=false)"
        );
    }
    let ctx = crate::app::context(conn, settings);
    // Bound before seeding, so the printed URLs name the address really listened on.
    let app = http::Application::build(ctx.clone())?;
    if seed_demo {
        let password = std::env::var("DEMO_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty());
        print_seed(
            demo::seed(&ctx.db, SeedShape::default(), password).await?,
            &app.base_url(),
        );
    }
    let shutdown = CancellationToken::new();
    let workers = crate::app::spawn_workers(&ctx, ctx.settings.workers, &shutdown);
    tracing::info!(
        workers = workers.len(),
        "serving on {}/system (bound to {})",
        app.base_url(),
        ctx.settings.bind
    );
    // actix stops the server gracefully on SIGTERM/SIGINT; then the workers finish the tenant
    // job they hold (or, if killed, their leases expire and another worker takes over).
    let served = app.run_until_stopped().await;
    shutdown.cancel();
    for worker in workers {
        let _ = worker.await;
    }
    tracing::info!("server stopped");
    Ok(served?)
}

/// `atlas-ops worker [--count N]`: job workers only, for scale-out.
pub async fn worker(settings: Settings, count: Option<usize>) -> anyhow::Result<()> {
    let conn = open(&settings).await?;
    anyhow::ensure!(
        db::is_up_to_date(&conn).await?,
        "the database schema is behind; run `atlas-ops migrate` first"
    );
    let count = count.unwrap_or(settings.workers).max(1);
    let ctx = crate::app::context(conn, settings);
    let shutdown = CancellationToken::new();
    let workers = crate::app::spawn_workers(&ctx, count, &shutdown);
    tracing::info!(
        workers = count,
        "workers running; SIGTERM or Ctrl-C stops them gracefully"
    );
    wait_for_signal().await;
    shutdown.cancel();
    for worker in workers {
        let _ = worker.await;
    }
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
