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
}

impl Exit {
    /// The numeric process exit code.
    pub const fn code(self) -> u8 {
        match self {
            Exit::Succeeded => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Refused => 3,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}
