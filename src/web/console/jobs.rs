//! `/console/jobs`: the background jobs, their schedules and recent runs,
//! and "Run now" for an admin who cannot wait for the next slot.

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;
use serde_json::json;

use super::Staff;
use crate::audit::{self, Actor, Event};
use crate::authz::RunJobs;
use crate::jobs::{self, JobName, JobRun, Trigger};
use crate::staff;
use crate::web::AppState;
use crate::web::client::Client;
use crate::web::error::{AppError, AppResult};
use crate::web::session::FlashLevel;
use crate::web::view::{self, Console};

/// How many runs the page lists.
const RUNS_SHOWN: i64 = 50;

#[derive(Serialize)]
struct JobView {
    name: &'static str,
    schedule: Option<String>,
}

#[derive(Serialize)]
struct RunView {
    job: String,
    trigger: String,
    state: String,
    started: String,
    finished: Option<String>,
    outcome: Option<String>,
}

#[derive(Serialize)]
struct JobsPage {
    jobs: Vec<JobView>,
    runs: Vec<RunView>,
}

fn run_view(run: JobRun, names: &std::collections::HashMap<i64, String>) -> RunView {
    let trigger = match (run.triggered_by.as_str(), run.requested_by) {
        ("schedule", _) => "Schedule".to_string(),
        ("command_line", _) => "Command line".to_string(),
        (_, Some(id)) => format!("Console ({})", names.get(&id).map_or("a former staff member", String::as_str)),
        (other, None) => other.to_string(),
    };
    RunView {
        job: run.job,
        trigger,
        started: view::timestamp(run.started_at),
        finished: run.finished_at.map(view::timestamp),
        outcome: run.error.or(run.summary),
        state: run.state,
    }
}

pub async fn show(State(state): State<AppState>, me: Staff<RunJobs>) -> AppResult<Html<String>> {
    let (runs, names) = state
        .db
        .run(|conn| -> anyhow::Result<_> {
            let runs = jobs::recent_runs(conn, RUNS_SHOWN)?;
            let ids = runs.iter().filter_map(|r| r.requested_by).collect();
            Ok((runs, staff::names(conn, ids)?))
        })
        .await?;
    let page = JobsPage {
        jobs: JobName::ALL
            .iter()
            .map(|&job| JobView {
                name: job.as_str(),
                schedule: state.schedule.entries.iter().find(|e| e.job == job).map(|e| e.schedule.clone()),
            })
            .collect(),
        runs: runs.into_iter().map(|run| run_view(run, &names)).collect(),
    };
    let console = Console { name: &me.member.name, nav: &me.nav };
    view::render_console(&state, &me.session, &console, "console/jobs.html", &page)
}

/// Starts a run in the background and comes straight back: a job may take
/// longer than a request may.
pub async fn run_now(
    State(state): State<AppState>,
    me: Staff<RunJobs>,
    Client(origin): Client,
    Path(name): Path<String>,
) -> AppResult<Response> {
    let job = JobName::parse(&name).ok_or(AppError::NotFound)?;
    let staff_id = me.member.id;
    state
        .db
        .write(move |conn| {
            audit::record(
                conn,
                Event::new(Actor::Staff(staff_id), "job.run_requested", &origin)
                    .details(json!({ "job": job.as_str() })),
            )
            .map_err(AppError::from)
        })
        .await?;
    let context = state.job_context();
    tokio::spawn(async move {
        if let Err(e) = jobs::run(&context, job, Trigger::Console { staff_id }).await {
            tracing::error!(job = job.as_str(), error = ?e, "job run from the console failed");
        }
    });
    me.session
        .flash(FlashLevel::Success, format!("{} started. Its run is listed below; reload to follow it.", job.as_str()));
    Ok(Redirect::to("/console/jobs").into_response())
}
