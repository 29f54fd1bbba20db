//! `jobs/schedules.toml`: which job runs when, read and checked at start-up.

use std::ops::Range;
use std::path::Path;

use croner::Cron;
use croner::parser::{CronParser, Seconds};
use serde::Deserialize;
use toml::Spanned;

use super::JobName;
use crate::policy::{self, PolicyError, TomlFile};

const BUILT_IN: &str = include_str!("../../jobs/schedules.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    job: Vec<RawJob>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    name: Spanned<String>,
    schedule: Spanned<String>,
}

/// One scheduled job.
#[derive(Clone, Debug)]
pub struct Entry {
    pub job: JobName,
    pub schedule: String,
    cron: Cron,
}

impl Entry {
    /// The slot a run starting now belongs to: the latest scheduled time, a
    /// little ahead of now so a scheduler that fires a moment early still
    /// names the slot it fires for. Instances agree on it, so the first
    /// claim wins and the others skip.
    pub fn slot_now(&self) -> Option<String> {
        let now = chrono::Utc::now() + chrono::Duration::seconds(2);
        let at = self.cron.find_previous_occurrence(&now, true).ok()?;
        Some(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }
}

/// The parser the scheduler uses, so what passes here runs there.
fn parser() -> CronParser {
    CronParser::builder().seconds(Seconds::Required).dom_and_dow(true).build()
}

#[derive(Clone, Debug)]
pub struct Schedule {
    pub entries: Vec<Entry>,
}

impl Schedule {
    pub fn load(dir: Option<&Path>) -> Result<Schedule, PolicyError> {
        let (file, text) = policy::read(dir, policy::JOBS, "schedules.toml", BUILT_IN)?;
        Schedule::parse(&file, &text)
    }

    fn parse(file: &str, text: &str) -> Result<Schedule, PolicyError> {
        let toml = TomlFile { file, text };
        let line_of = |span: Range<usize>| toml.line_of(span);
        let error = |line: usize, message: String| toml.error(line, message);
        let raw: RawFile = toml.parse()?;
        let mut entries: Vec<Entry> = Vec::new();
        for raw_job in raw.job {
            let line = line_of(raw_job.name.span());
            let name = raw_job.name.get_ref();
            let job = JobName::parse(name).ok_or_else(|| {
                let known: Vec<&str> = JobName::ALL.iter().map(|j| j.as_str()).collect();
                error(line, format!("unknown job `{name}` (known: {})", known.join(", ")))
            })?;
            if entries.iter().any(|e| e.job == job) {
                return Err(error(line, format!("job `{name}` is scheduled twice")));
            }
            let schedule = raw_job.schedule.get_ref().trim().to_string();
            let cron = parser().parse(&schedule).map_err(|e| {
                error(
                    line_of(raw_job.schedule.span()),
                    format!("`{schedule}` is not a six-field cron schedule (seconds first): {e}"),
                )
            })?;
            entries.push(Entry { job, schedule, cron });
        }
        Ok(Schedule { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_schedule_is_valid() {
        let schedule = Schedule::parse("schedules.toml", BUILT_IN).unwrap();
        assert_eq!(schedule.entries.len(), JobName::ALL.len(), "every job has a shipped schedule");
    }

    #[test]
    fn mistakes_name_their_line() {
        let unknown = Schedule::parse("s.toml", "[[job]]\nname = \"cleanup\"\nschedule = \"0 * * * * *\"\n\n[[job]]\nname = \"backup\"\nschedule = \"0 * * * * *\"\n").unwrap_err();
        assert_eq!((unknown.line, unknown.message.starts_with("unknown job `backup`")), (6, true), "{unknown}");
        let five_fields =
            Schedule::parse("s.toml", "[[job]]\nname = \"cleanup\"\nschedule = \"*/10 * * * *\"\n").unwrap_err();
        assert_eq!(five_fields.line, 3, "{five_fields}");
        let twice = Schedule::parse(
            "s.toml",
            "[[job]]\nname = \"cleanup\"\nschedule = \"0 * * * * *\"\n[[job]]\nname = \"cleanup\"\nschedule = \"0 * * * * *\"\n",
        )
        .unwrap_err();
        assert_eq!(twice.line, 5);
        assert!(Schedule::parse("s.toml", "[[job]]\nname = \"cleanup\"\nevery = \"1h\"\n").is_err());
    }

    #[test]
    fn a_slot_is_the_latest_scheduled_time() {
        let schedule = Schedule::parse("s.toml", "[[job]]\nname = \"cleanup\"\nschedule = \"0 0 0 1 1 *\"\n").unwrap();
        let slot = schedule.entries[0].slot_now().unwrap();
        assert!(slot.ends_with("-01-01T00:00:00Z"), "{slot}");
    }
}
