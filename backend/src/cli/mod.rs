//! The `atlas-ops` command line: every subcommand calls the same services as the HTTP API.

pub mod accounts;
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
