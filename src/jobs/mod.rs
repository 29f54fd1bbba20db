//! Background jobs: what each one does, running a run once per time slot
//! across instances, and the tokio-cron-scheduler that fires them.

mod cleanup;
pub mod reminders;
pub mod schedule;

use std::sync::Arc;

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::{Value, json};
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::audit::{self, Actor, Event, Origin};
use crate::config::Config;
use crate::db::schema::job_runs;
use crate::db::{self, Db, DbConnection};
use crate::kyc::storage::DocumentStore;
use crate::mail::Mailer;

pub use reminders::Reminders;
pub use schedule::Schedule;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobName {
    Cleanup,
    Reminders,
}

impl JobName {
    pub const ALL: [JobName; 2] = [JobName::Cleanup, JobName::Reminders];

    pub fn parse(name: &str) -> Option<JobName> {
        JobName::ALL.into_iter().find(|j| j.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobName::Cleanup => "cleanup",
            JobName::Reminders => "reminders",
        }
    }
}

/// What a job needs from the application.
#[derive(Clone)]
pub struct JobContext {
    pub db: Db,
    pub documents: DocumentStore,
    pub mailer: Mailer,
    pub config: Arc<Config>,
    pub reminders: Arc<Reminders>,
}

/// Why a run happened.
#[derive(Clone, Debug)]
pub enum Trigger {
    /// The schedule fired for this slot (a scheduled time, RFC 3339).
    Schedule(String),
    /// Someone ran `kycdesk jobs run`.
    CommandLine,
    /// A staff member pressed "Run now" in the console.
    Console { staff_id: i64 },
}

impl Trigger {
    /// The run's slot (a scheduled time, or a fresh one for a run on
    /// request), how it was triggered, and by which staff member.
    fn describe(&self) -> (String, &'static str, Option<i64>) {
        let fresh = || format!("requested-{}", hex::encode(rand::random::<[u8; 8]>()));
        match self {
            Trigger::Schedule(slot) => (slot.clone(), "schedule", None),
            Trigger::CommandLine => (fresh(), "command_line", None),
            Trigger::Console { staff_id } => (fresh(), "console", Some(*staff_id)),
        }
    }
}

/// One run as the console lists it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = job_runs)]
pub struct JobRun {
    pub id: i64,
    pub job: String,
    pub triggered_by: String,
    pub requested_by: Option<i64>,
    pub state: String,
    pub summary: Option<String>,
    pub error: Option<String>,
    pub started_at: time::PrimitiveDateTime,
    pub finished_at: Option<time::PrimitiveDateTime>,
}

/// The newest `limit` runs of every job.
pub fn recent_runs(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<JobRun>> {
    job_runs::table.select(JobRun::as_select()).order(job_runs::id.desc()).limit(limit).load(conn)
}

/// What asking for a run came to.
#[derive(Debug)]
pub enum Ran {
    /// This instance ran it; the summary says what it did.
    Finished { run_id: i64, summary: Value },
    /// Another instance had already claimed the slot.
    SlotTaken,
}

/// Runs `job` once for `trigger`: claims the slot (a scheduled slot only
/// once across every instance), does the work, and records the outcome in
/// `job_runs` and the audit log together. A failed run is recorded and
/// returned as the error.
pub async fn run(ctx: &JobContext, job: JobName, trigger: Trigger) -> anyhow::Result<Ran> {
    let (slot, triggered_by, requested_by) = trigger.describe();
    let claim = ctx
        .db
        .write(move |conn| {
            diesel::insert_into(job_runs::table)
                .values((
                    job_runs::job.eq(job.as_str()),
                    job_runs::slot.eq(&slot),
                    job_runs::triggered_by.eq(triggered_by),
                    job_runs::requested_by.eq(requested_by),
                    job_runs::state.eq("running"),
                    job_runs::started_at.eq(db::now()),
                ))
                .returning(job_runs::id)
                .get_result::<i64>(conn)
                .map_err(anyhow::Error::from)
        })
        .await;
    let run_id = match claim {
        Ok(id) => id,
        Err(e)
            if matches!(
                e.downcast_ref::<DieselError>(),
                Some(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
            ) =>
        {
            return Ok(Ran::SlotTaken);
        }
        Err(e) => return Err(e),
    };
    let outcome = match job {
        JobName::Cleanup => cleanup::run(ctx).await,
        JobName::Reminders => reminders::run(ctx).await,
    };
    let (state, summary, error) = match &outcome {
        Ok(summary) => ("succeeded", summary.clone(), None),
        Err(e) => ("failed", Value::Null, Some(format!("{e:#}"))),
    };
    let recorded_summary = summary.clone();
    ctx.db
        .write(move |conn| -> anyhow::Result<()> {
            diesel::update(job_runs::table.find(run_id))
                .set((
                    job_runs::state.eq(state),
                    job_runs::summary.eq((!recorded_summary.is_null()).then(|| recorded_summary.to_string())),
                    job_runs::error.eq(&error),
                    job_runs::finished_at.eq(db::now()),
                ))
                .execute(conn)?;
            audit::record(
                conn,
                Event::new(Actor::Job(job.as_str()), &format!("job.{state}"), &Origin::default())
                    .subject("job_run", run_id)
                    .details(json!({
                        "job": job.as_str(),
                        "trigger": triggered_by,
                        "requested_by": requested_by,
                        "summary": recorded_summary,
                        "error": error,
                    })),
            )?;
            Ok(())
        })
        .await?;
    outcome?;
    Ok(Ran::Finished { run_id, summary })
}

/// Starts the scheduler with every job in `schedule`. Each instance fires
/// every job; `run` lets one of them do each slot.
pub async fn start(schedule: &Schedule, ctx: JobContext) -> anyhow::Result<JobScheduler> {
    let scheduler = JobScheduler::new().await?;
    for entry in schedule.entries.clone() {
        let ctx = ctx.clone();
        let cron = entry.schedule.clone();
        scheduler
            .add(Job::new_async(cron.as_str(), move |_id, _scheduler| {
                let (ctx, entry) = (ctx.clone(), entry.clone());
                Box::pin(async move {
                    let Some(slot) = entry.slot_now() else {
                        tracing::error!(job = entry.job.as_str(), "cannot name the slot of a scheduled run");
                        return;
                    };
                    match run(&ctx, entry.job, Trigger::Schedule(slot.clone())).await {
                        Ok(Ran::Finished { summary, .. }) => {
                            tracing::info!(job = entry.job.as_str(), %slot, %summary, "job finished");
                        }
                        Ok(Ran::SlotTaken) => {
                            tracing::debug!(job = entry.job.as_str(), %slot, "another instance ran this slot");
                        }
                        Err(e) => tracing::error!(job = entry.job.as_str(), %slot, error = ?e, "job failed"),
                    }
                })
            })?)
            .await?;
    }
    scheduler.start().await?;
    Ok(scheduler)
}
