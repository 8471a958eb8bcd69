//! `operator create|disable|grant|revoke|set-password` and `customer create`.

use crate::auth::operators;
use crate::cli::server::open;
use crate::cli::{cli_meta, read_password_stdin};
use crate::config::Settings;
use crate::domain::capability::Capability;

/// `atlas-ops operator create USERNAME --password-stdin [--display-name N] [--capabilities ...]`.
pub async fn create_operator(
    settings: Settings,
    username: &str,
    display_name: Option<&str>,
    capabilities: &str,
) -> anyhow::Result<()> {
    let caps = Capability::parse_list(capabilities)?;
    let password = read_password_stdin()?;
    let conn = open(&settings).await?;
    let op = operators::create_operator(&conn, username, display_name, &password, &caps).await?;
    println!(
        "created operator {} (id {}) with capabilities: {}",
        op.username,
        op.id,
        caps.iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// `atlas-ops operator disable USERNAME`.
pub async fn disable_operator(settings: Settings, username: &str) -> anyhow::Result<()> {
    let conn = open(&settings).await?;
    let op = operators::disable_operator(&conn, username).await?;
    println!("disabled operator {} (id {})", op.username, op.id);
    Ok(())
}

/// `atlas-ops operator grant USERNAME --capabilities CAP,CAP`.
pub async fn grant(settings: Settings, username: &str, capabilities: &str) -> anyhow::Result<()> {
    let caps = Capability::parse_list(capabilities)?;
    let conn = open(&settings).await?;
    let op = operators::grant(&conn, username, &caps).await?;
    println!("granted to {}: {}", op.username, capabilities);
    Ok(())
}

/// `atlas-ops operator revoke USERNAME --capabilities CAP,CAP`.
pub async fn revoke(settings: Settings, username: &str, capabilities: &str) -> anyhow::Result<()> {
    let caps = Capability::parse_list(capabilities)?;
    let conn = open(&settings).await?;
    let op = operators::revoke(&conn, username, &caps, &cli_meta()).await?;
    println!("revoked from {}: {}", op.username, capabilities);
    Ok(())
}

/// `atlas-ops operator set-password USERNAME --password-stdin`.
pub async fn set_password(settings: Settings, username: &str) -> anyhow::Result<()> {
    let password = read_password_stdin()?;
    let conn = open(&settings).await?;
    let (op, changed) =
        operators::set_password(&conn, username, &password, chrono::Utc::now(), &cli_meta())
            .await?;
    println!(
        "password of {} changed; {} session(s) ended, {} API token(s) revoked",
        op.username, changed.sessions_ended, changed.tokens_revoked
    );
    Ok(())
}

/// `atlas-ops customer create USERNAME --workspace ID --password-stdin`.
pub async fn create_customer(
    settings: Settings,
    username: &str,
    workspace: i64,
    display_name: Option<&str>,
) -> anyhow::Result<()> {
    let password = read_password_stdin()?;
    let conn = open(&settings).await?;
    let user =
        operators::create_customer(&conn, username, display_name, workspace, &password).await?;
    println!(
        "created customer user {} (id {}) in workspace {}",
        user.username, user.id, user.workspace_id
    );
    Ok(())
}
