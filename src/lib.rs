//! kycdesk: customer onboarding, KYC review and billing details, with a
//! role-gated staff console.

pub mod accounts;
pub mod audit;
pub mod authz;
pub mod captcha;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod jobs;
pub mod kyc;
pub mod lockout;
pub mod mail;
pub mod policy;
pub mod sms;
pub mod staff;
pub mod templates;
pub mod tokens;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_cron_scheduler::JobScheduler;

use crate::config::Config;
use crate::db::Db;
use crate::mail::{Mailer, Transport};
use crate::templates::Templates;
use crate::web::AppState;

/// A ready application: migrated database, state, router, the mail worker
/// and the job scheduler. Dropping it stops both.
pub struct App {
    pub state: AppState,
    mail_worker: JoinHandle<()>,
    scheduler: JobScheduler,
}

impl Drop for App {
    fn drop(&mut self) {
        self.mail_worker.abort();
        let mut scheduler = self.scheduler.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = scheduler.shutdown().await {
                    tracing::warn!(error = %e, "stopping the job scheduler failed");
                }
            });
        }
    }
}

impl App {
    /// Prepares the data directory and database, checks the policy and
    /// schedule files, and starts the mail delivery worker and the job
    /// scheduler.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
        let db = open_database(&config).await?;
        let templates = Templates::new();
        let mailer = Mailer::new(templates.clone(), config.mail_from.clone());
        let transport = Transport::new(&config.mail_transport).context("cannot set up the mail transport")?;
        let sms =
            sms::FileSms::new(config.data_dir.join("outbox").join("sms")).context("cannot create the SMS outbox")?;
        let entity_types = kyc::EntityTypes::load(config.policy_dir.as_deref())?;
        let documents = open_document_store(&config)?;
        let authz = authz::Authz::load(config.policy_dir.as_deref()).await?;
        let schedule = jobs::Schedule::load(config.jobs_dir.as_deref())?;
        let reminders = jobs::Reminders::load(config.jobs_dir.as_deref())?;
        let captcha = captcha::Altcha::new(config.secret_key.clone(), config.captcha_max_number);
        let state = AppState {
            config: Arc::new(config),
            db,
            templates,
            mailer,
            metrics: Arc::new(web::metrics::Metrics::new()),
            captcha: Arc::new(captcha),
            hasher: accounts::hashing::PasswordHasher::new(),
            sms: Arc::new(sms),
            entity_types: Arc::new(entity_types),
            documents,
            authz: Arc::new(authz),
            schedule: Arc::new(schedule),
            reminders: Arc::new(reminders),
        };
        let mail_worker = tokio::spawn(mail::delivery::run(
            state.db.clone(),
            transport,
            state.config.mail_from.clone(),
            state.config.outbox.clone(),
        ));
        let scheduler =
            jobs::start(&state.schedule, state.job_context()).await.context("cannot start the job scheduler")?;
        Ok(App { state, mail_worker, scheduler })
    }

    pub fn router(&self) -> axum::Router {
        web::router(self.state.clone())
    }

    /// Serves HTTP on `listener` until the process is asked to stop.
    pub async fn serve(self, listener: TcpListener) -> anyhow::Result<()> {
        let service = self.router().into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service).with_graceful_shutdown(shutdown_signal()).await?;
        Ok(())
    }
}

/// What a job run from the command line needs: the database, the document
/// store, the mailer (its mail is delivered by the running app) and the
/// reminder stages.
pub async fn job_context(config: Config) -> anyhow::Result<jobs::JobContext> {
    Ok(jobs::JobContext {
        db: open_database(&config).await?,
        documents: open_document_store(&config)?,
        mailer: Mailer::new(Templates::new(), config.mail_from.clone()),
        reminders: Arc::new(jobs::Reminders::load(config.jobs_dir.as_deref())?),
        config: Arc::new(config),
    })
}

/// The KYC document store under the data directory.
pub fn open_document_store(config: &Config) -> anyhow::Result<kyc::storage::DocumentStore> {
    kyc::storage::DocumentStore::local(&config.data_dir.join("documents")).context("cannot open the document store")
}

/// Opens the pool and applies pending migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    if let config::DatabaseUrl::Sqlite(path) = &config.database_url
        && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let db = Db::new(&config.database_url, config.database_pool_size)?;
    let applied = db
        .run(|conn| db::migrations::run(conn).map_err(|e| anyhow::anyhow!(e)))
        .await
        .with_context(|| format!("cannot migrate the database at {:?}", config.database_url))?;
    for name in applied {
        tracing::info!(migration = %name, "applied migration");
    }
    Ok(db)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
