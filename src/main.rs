//! The `scopegate` binary: parses the command line, sets up logging, calls the library and
//! maps the outcome to an exit code (SPEC §2).

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use scopegate::cli::{self, AuditCommand, Cli, Command, GlgCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo prints a table on stdout; its log would only interleave with it.
    let default_level = match cli.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    };
    init_logging(default_level);
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(cli::EXIT_INVALID)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let code = match cli.command {
        Command::Check { config, at } => runtime.block_on(cli::check(&config, at, &mut out))?,
        Command::Decide {
            config,
            client,
            scope,
            url,
            at,
            json,
        } => runtime.block_on(cli::decide(
            &config, &client, &scope, &url, at, json, &mut out,
        ))?,
        Command::Glg {
            command: GlgCommand::Status { config, at, json },
        } => cli::glg_status(&config, at, json, &mut out)?,
        Command::Audit {
            command: AuditCommand::Verify { path },
        } => cli::audit_verify(&path, &mut out)?,
        Command::Serve { config } => runtime.block_on(scopegate::serve::run(&config))?,
        Command::Demo => runtime.block_on(scopegate::demo::run(&mut out))?,
    };
    out.flush()?;
    Ok(code)
}

/// Logs go to stderr as structured lines; `RUST_LOG` overrides the default level.
fn init_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
