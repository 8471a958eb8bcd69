//! The `atlas-ops` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use atlas_ops::cli::{accounts, deploy, runbooks, runs, server, tokens};
use atlas_ops::config::Settings;
use atlas_ops::telemetry;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "atlas-ops",
    version,
    about = "TenantAtlas Ops: safe, audited data repairs across tenants"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// HTTP server, in-process workers and the built SPA.
    Serve {
        /// Seed the demo data first when the database is empty.
        #[arg(long)]
        seed_demo: bool,
    },
    /// Job workers only (scale-out); the HTTP server runs its own workers too.
    Worker {
        /// Number of workers (default: WORKERS).
        #[arg(long)]
        count: Option<usize>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Demo data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Platform operators.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// Customer-plane users.
    Customer {
        #[command(subcommand)]
        command: CustomerCommand,
    },
    /// Operator API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Runbooks: the catalogue, and running any of them (preflight, confirm, start, wait).
    Runbooks {
        #[command(subcommand)]
        command: runbooks::RunbooksCommand,
    },
    /// Findings runbooks (preflight, confirm, start, wait).
    Findings {
        #[command(subcommand)]
        command: runbooks::FindingsCommand,
    },
    /// The deploy hook: runs every run-on-deploy runbook over all tenants and waits.
    DeployRunbooks(deploy::DeployArgs),
    /// Operation runs: list and show.
    Runs {
        #[command(subcommand)]
        command: runs::RunsCommand,
    },
    /// Print a plane's OpenAPI contract as YAML (what `make openapi` commits under openapi/).
    Openapi {
        /// `system` (the operator plane) or `admin` (the customer plane).
        #[arg(long, default_value = "system", value_parser = ["system", "admin"])]
        plane: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Mint an API token for an operator; prints the JWT alone on standard output.
    Create {
        /// The operator's username.
        #[arg(long)]
        operator: String,
        /// A label for the token.
        #[arg(long)]
        name: String,
        /// Lifetime in days (1-90).
        #[arg(long, default_value_t = 30)]
        expires_in_days: i64,
        /// `all`, or a comma-separated subset of the operator's capabilities (default: all they hold).
        #[arg(long)]
        capabilities: Option<String>,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Demo workspaces, tenants, legacy findings, a demo operator and a customer user.
    Seed(server::SeedArgs),
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create an operator; the password is read from standard input.
    Create {
        username: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long)]
        display_name: Option<String>,
        /// `all`, or a comma-separated list of capabilities.
        #[arg(long, default_value = "ops.runbooks.view,ops.runs.view")]
        capabilities: String,
    },
    /// Disable an operator (their sessions end and their API tokens are revoked).
    Disable { username: String },
    /// Grant capabilities to an operator.
    Grant {
        username: String,
        /// `all`, or a comma-separated list of capabilities.
        #[arg(long)]
        capabilities: String,
    },
    /// Withdraw capabilities from an operator (audited; open event streams end within seconds).
    Revoke {
        username: String,
        /// `all`, or a comma-separated list of capabilities.
        #[arg(long)]
        capabilities: String,
    },
    /// Set an operator's password, read from standard input; every session and API token of
    /// the operator ends (audited).
    SetPassword {
        username: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum CustomerCommand {
    /// Create a customer user in a workspace; the password is read from standard input.
    Create {
        username: String,
        #[arg(long)]
        workspace: i64,
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long)]
        display_name: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Needs no configuration or database: the contract is generated from the code alone.
    if let Command::Openapi { plane } = &cli.command {
        return match atlas_ops::http::openapi::yaml(plane) {
            Ok(yaml) => {
                print!("{yaml}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    // Dropped when `main` returns, after the runtime: queued spans are exported then (a
    // graceful stop of `serve` or `worker`, or the end of a CLI command).
    let _telemetry = telemetry::init(&settings.log_level, settings.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Runbook, deploy-hook and run commands report their own exit codes (docs/spec.md §7).
    let command = match cli.command {
        Command::Findings { command } => {
            return exit_code(runtime.block_on(runbooks::run(settings, command)));
        }
        Command::Runbooks { command } => {
            return exit_code(runtime.block_on(runbooks::runbooks(settings, command)));
        }
        Command::DeployRunbooks(args) => {
            return exit_code(runtime.block_on(deploy::run(settings, args)));
        }
        Command::Runs { command } => {
            return exit_code(runtime.block_on(runs::run(settings, command)));
        }
        other => other,
    };
    let result = runtime.block_on(async move {
        match command {
            Command::Findings { .. }
            | Command::Runbooks { .. }
            | Command::DeployRunbooks(_)
            | Command::Runs { .. }
            | Command::Openapi { .. } => unreachable!("dispatched above"),
            Command::Serve { seed_demo } => server::serve(settings, seed_demo).await,
            Command::Worker { count } => server::worker(settings, count).await,
            Command::Migrate => server::migrate(settings).await,
            Command::Demo {
                command: DemoCommand::Seed(args),
            } => server::demo_seed(settings, args).await,
            Command::Operator { command } => match command {
                OperatorCommand::Create {
                    username,
                    display_name,
                    capabilities,
                    ..
                } => {
                    accounts::create_operator(
                        settings,
                        &username,
                        display_name.as_deref(),
                        &capabilities,
                    )
                    .await
                }
                OperatorCommand::Disable { username } => {
                    accounts::disable_operator(settings, &username).await
                }
                OperatorCommand::Grant {
                    username,
                    capabilities,
                } => accounts::grant(settings, &username, &capabilities).await,
                OperatorCommand::Revoke {
                    username,
                    capabilities,
                } => accounts::revoke(settings, &username, &capabilities).await,
                OperatorCommand::SetPassword { username, .. } => {
                    accounts::set_password(settings, &username).await
                }
            },
            Command::Customer {
                command:
                    CustomerCommand::Create {
                        username,
                        workspace,
                        display_name,
                        ..
                    },
            } => {
                accounts::create_customer(settings, &username, workspace, display_name.as_deref())
                    .await
            }
            Command::Token {
                command:
                    TokenCommand::Create {
                        operator,
                        name,
                        expires_in_days,
                        capabilities,
                    },
            } => {
                tokens::create(
                    settings,
                    &operator,
                    &name,
                    expires_in_days,
                    capabilities.as_deref(),
                )
                .await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The exit code of a command that reports its own (errors, e.g. an unreachable database, exit 1).
fn exit_code(result: anyhow::Result<atlas_ops::cli::Exit>) -> ExitCode {
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
