use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kycdesk::audit::verify::Outcome;
use kycdesk::config::{Config, LogFormat, Sources};
use kycdesk::{App, open_database};

/// Customer onboarding, KYC review and billing details, with a staff console.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Work with the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the hash chain; exit 1 naming the first bad row.
    Verify,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Sources::from_process().and_then(|sources| {
        let config = Config::load(&sources)?;
        Ok((config, sources.unknown_variables()))
    }) {
        Ok((config, unknown)) => {
            init_logging(config.log_format);
            for name in unknown {
                tracing::warn!(setting = %name, "ignoring an unknown KYCDESK_ setting");
            }
            config
        }
        Err(e) => {
            eprintln!("kycdesk: invalid configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("kycdesk: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config)) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(error = ?e, "kycdesk stopped");
            eprintln!("kycdesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => {
            let bind = config.bind;
            tracing::info!(?config, "starting");
            let app = App::build(config).await?;
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("cannot listen on {bind} (KYCDESK_BIND)"))?;
            tracing::info!(address = %bind, "listening");
            app.serve(listener).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            open_database(&config).await?;
            println!("migrations are up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let db = open_database(&config).await?;
            let outcome = db.run(|conn| kycdesk::audit::verify::verify(conn).map_err(anyhow::Error::from)).await?;
            Ok(match outcome {
                Outcome::Intact { rows } => {
                    println!("audit log intact: {rows} rows verified");
                    ExitCode::SUCCESS
                }
                Outcome::Broken { seq, reason } => {
                    println!("audit log broken at row {seq}: {reason}");
                    ExitCode::FAILURE
                }
            })
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
