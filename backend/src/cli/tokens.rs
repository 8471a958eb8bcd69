//! `atlas-ops token create`: mints an API token through the same service as the HTTP API and
//! prints the JWT alone on standard output (so scripts can capture it).

use crate::auth::tokens;
use crate::cli::server::open;
use crate::config::Settings;
use crate::domain::capability::Capability;

/// `atlas-ops token create --operator USERNAME --name N [--expires-in-days D] [--capabilities ...]`.
pub async fn create(
    settings: Settings,
    operator: &str,
    name: &str,
    expires_in_days: i64,
    capabilities: Option<&str>,
) -> anyhow::Result<()> {
    let caps = capabilities.map(Capability::parse_list).transpose()?;
    let conn = open(&settings).await?;
    let ctx = crate::app::context(conn, settings);
    let meta = crate::cli::cli_meta();
    let created =
        tokens::create_for_username(&ctx, operator, name, expires_in_days, caps, &meta).await?;
    eprintln!(
        "token {} ({}) expires {}; it is shown only now",
        created.id, created.name, created.expires_at
    );
    println!("{}", created.token);
    Ok(())
}
