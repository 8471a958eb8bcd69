//! The `atlas-ops` command line: every subcommand calls the same services as the HTTP API.

pub mod accounts;
pub mod deploy;
pub mod runbooks;
pub mod runs;
pub mod server;
pub mod tokens;

use std::io::Read;

/// Reads a password from standard input (first line, without its newline).
pub fn read_password_stdin() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let password = input.lines().next().unwrap_or_default().to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

/// The audit facts of a CLI command (no IP, no request id).
pub fn cli_meta() -> crate::auth::RequestMeta {
    crate::auth::RequestMeta {
        source: Some("cli".into()),
        ..Default::default()
    }
}

/// The operator named by `--operator`, with their capabilities; `Err((exit, kind, message))`
/// when there is none by that name (usage) or they are disabled (refused).
pub async fn operator(
    ctx: &crate::context::AppContext,
    username: &str,
) -> anyhow::Result<Result<crate::runs::Initiator, (Exit, &'static str, String)>> {
    use crate::auth::operators;
    Ok(match operators::find_operator(&ctx.db, username).await {
        Ok(op) if op.disabled => Err((
            Exit::Refused,
            "forbidden",
            format!("operator {} is disabled", op.username),
        )),
        Ok(op) => Ok(crate::runs::Initiator {
            operator_id: op.id,
            capabilities: operators::capabilities_of(&ctx.db, op.id).await?,
            username: op.username,
        }),
        Err(operators::AccountError::NotFound(name)) => Err((
            Exit::Usage,
            "unknown_operator",
            format!("no operator named {name:?}"),
        )),
        Err(e) => return Err(e.into()),
    })
}

/// The exit status of the runbook, deploy-hook and run commands (docs/spec.md §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: the run (or every run) succeeded, or there was nothing to do.
    Succeeded,
    /// 1: a run failed, partially succeeded or was cancelled; a wait timed out; or an
    /// unexpected error (the database is unreachable...).
    Failed,
    /// 2: usage error (bad flags, unknown tenant or operator).
    Usage,
    /// 3: refused (conflict, stale preflight, wrong or missing phrase or reason, platform
    /// tenant, missing capability, declined at the prompt).
    Refused,
    /// 4: with `--wait`, the run paused (its failure budget, a wave gate, or an operator) and
    /// waits for a resume (docs/spec.md §13).
    Paused,
}

impl Exit {
    /// The numeric process exit code.
    pub const fn code(self) -> u8 {
        match self {
            Exit::Succeeded => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Refused => 3,
            Exit::Paused => 4,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}
