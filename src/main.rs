use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kycdesk::accounts::hashing::PasswordHasher;
use kycdesk::config::{Config, LogFormat, Sources};
use kycdesk::domain::{Email, Password, PersonName};
use kycdesk::jobs::{self, JobName, Ran, Trigger};
use kycdesk::staff::Role;
use kycdesk::staff::admin::{self, NewStaff};
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
    /// Manage staff accounts.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Background jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Demo data for trying kycdesk out.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Fill an empty database with customers at every onboarding step. Their
    /// password comes from KYCDESK_DEMO_PASSWORD, or is made up and printed.
    Seed,
}

#[derive(Subcommand)]
enum JobsCommand {
    /// List the jobs and their schedules.
    List,
    /// Run a job now, whatever its schedule; exit 1 if it fails.
    Run { name: String },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create a staff member. The password comes from KYCDESK_STAFF_PASSWORD
    /// or is asked for; it is never a command-line argument.
    Add {
        email: String,
        #[arg(long)]
        name: String,
        /// support_agent, reviewer, senior_reviewer, auditor or admin; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
    },
    /// Disable a staff member at once (for emergencies); their sessions end.
    Disable { email: String },
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
        Command::Staff { command } => staff_command(command, config).await,
        Command::Jobs { command } => jobs_command(command, config).await,
        Command::Demo { command: DemoCommand::Seed } => demo_seed(config).await,
        Command::Audit { command: AuditCommand::Verify } => {
            let db = open_database(&config).await?;
            let outcome = db.run(|conn| kycdesk::audit::verify::verify(conn).map_err(anyhow::Error::from)).await?;
            println!("{outcome}");
            Ok(if outcome.is_intact() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

async fn staff_command(command: StaffCommand, config: Config) -> anyhow::Result<ExitCode> {
    let db = open_database(&config).await?;
    match command {
        StaffCommand::Add { email, name, roles } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("email: {e}"))?;
            let name = PersonName::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let roles = roles
                .iter()
                .map(|r| Role::parse(r).ok_or_else(|| anyhow::anyhow!("--role: unknown role `{r}`")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let typed = match std::env::var("KYCDESK_STAFF_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    let first = rpassword::prompt_password(format!("Password for {email}: "))?;
                    let second = rpassword::prompt_password("Repeat the password: ")?;
                    anyhow::ensure!(first == second, "the passwords do not match");
                    first
                }
            };
            let password = Password::parse(&typed, Some(&email)).map_err(|e| anyhow::anyhow!("password: {e}"))?;
            let hash = PasswordHasher::new().hash(&password).await?;
            let id = admin::create(&db, NewStaff { email: email.clone(), name, roles }, hash).await?;
            println!("staff member {email} created (id {id}); they set up an authentication app at first login");
        }
        StaffCommand::Disable { email } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("email: {e}"))?;
            admin::disable_by_email(&db, email.clone()).await?;
            println!("staff member {email} disabled; their sessions have ended");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn jobs_command(command: JobsCommand, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        JobsCommand::List => {
            let schedule = jobs::Schedule::load(config.jobs_dir.as_deref())?;
            for job in JobName::ALL {
                match schedule.entries.iter().find(|e| e.job == job) {
                    Some(entry) => println!("{}\t{} (UTC)", job.as_str(), entry.schedule),
                    None => println!("{}\tnot scheduled", job.as_str()),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        JobsCommand::Run { name } => {
            let known = || JobName::ALL.iter().map(|j| j.as_str()).collect::<Vec<_>>().join(", ");
            let job =
                JobName::parse(&name).ok_or_else(|| anyhow::anyhow!("unknown job `{name}` (known: {})", known()))?;
            let context = kycdesk::job_context(config).await?;
            match jobs::run(&context, job, Trigger::CommandLine).await? {
                Ran::Finished { run_id, summary } => println!("{name} finished (run {run_id}): {summary}"),
                Ran::SlotTaken => anyhow::bail!("another run of {name} holds the same slot"),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn demo_seed(config: Config) -> anyhow::Result<ExitCode> {
    let typed = std::env::var("KYCDESK_DEMO_PASSWORD")
        .unwrap_or_else(|_| format!("Kyc-{}-7a", &kycdesk::tokens::random_token()[..12]));
    let password = Password::parse(&typed, None).map_err(|e| anyhow::anyhow!("KYCDESK_DEMO_PASSWORD: {e}"))?;
    let db = open_database(&config).await?;
    let store = kycdesk::open_document_store(&config)?;
    let types = kycdesk::kyc::EntityTypes::load(config.policy_dir.as_deref())?;
    let seeded = kycdesk::demo::seed(&db, &store, &types, &password).await?;
    println!("demo customers created, each with the password {typed}");
    for email in seeded {
        println!("  {email}");
    }
    println!("review them in the console: kycdesk staff add you@example.com --name \"Your Name\" --role reviewer");
    Ok(ExitCode::SUCCESS)
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info,tokio_cron_scheduler=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
