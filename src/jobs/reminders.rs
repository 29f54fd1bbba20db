//! The `reminders` job: emails customers whose onboarding stopped part-way,
//! by the stages of `jobs/reminders.toml`. Each step of a stage goes to an
//! account at most once (its row in `reminder_sends` is written in the same
//! transaction as the email), a customer overdue for several steps gets only
//! the latest, and a customer gets at most one reminder per run.

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use diesel::dsl::not;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};
use time::PrimitiveDateTime;
use toml::Spanned;

use super::JobContext;
use crate::accounts::email_tokens::{self, Purpose};
use crate::accounts::{Customer, recovery};
use crate::audit::{self, Actor, Event, Origin};
use crate::config::{Config, SecretKey};
use crate::db::schema::{billing_details, customers, kyc_submissions, reminder_sends};
use crate::db::{self, DbConnection, is_unique_violation};
use crate::kyc::KycStatus;
use crate::mail::outbox;
use crate::policy::{self, PolicyError, TomlFile};
use crate::tokens::{keyed_hash, keyed_hash_matches, random_token};

const BUILT_IN: &str = include_str!("../../jobs/reminders.toml");

/// How many customers one query of a run takes; the rest wait for the next run.
const BATCH: i64 = 500;

/// Where a customer's onboarding stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    UnverifiedEmail,
    DetailsMissing,
    KycNotSubmitted,
    ChangesRequested,
    BillingMissing,
}

impl Gap {
    pub const ALL: [Gap; 5] =
        [Gap::UnverifiedEmail, Gap::DetailsMissing, Gap::KycNotSubmitted, Gap::ChangesRequested, Gap::BillingMissing];

    fn parse(raw: &str) -> Option<Gap> {
        Gap::ALL.into_iter().find(|g| g.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Gap::UnverifiedEmail => "unverified_email",
            Gap::DetailsMissing => "details_missing",
            Gap::KycNotSubmitted => "kyc_not_submitted",
            Gap::ChangesRequested => "changes_requested",
            Gap::BillingMissing => "billing_missing",
        }
    }

    /// Where the reminder's button leads (unverified emails get a fresh
    /// verification link instead).
    fn page(self) -> &'static str {
        match self {
            Gap::UnverifiedEmail => "/resend-verification",
            Gap::DetailsMissing => "/account/details",
            Gap::KycNotSubmitted | Gap::ChangesRequested => "/settings/kyc",
            Gap::BillingMissing => "/settings/billing",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Stage {
    pub gap: Gap,
    /// Hours after the gap opened, ascending.
    pub after_hours: Vec<u32>,
    pub subject: String,
    pub message: String,
    pub action: String,
}

#[derive(Clone, Debug)]
pub struct Reminders {
    pub stages: Vec<Stage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    stage: Vec<RawStage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    key: Spanned<String>,
    after: Spanned<Vec<u32>>,
    subject: Spanned<String>,
    message: Spanned<String>,
    action: Spanned<String>,
}

impl Reminders {
    pub fn load(dir: Option<&Path>) -> Result<Reminders, PolicyError> {
        let (file, text) = policy::read(dir, policy::JOBS, "reminders.toml", BUILT_IN)?;
        Reminders::parse(&file, &text)
    }

    fn parse(file: &str, text: &str) -> Result<Reminders, PolicyError> {
        let toml = TomlFile { file, text };
        let line_of = |span: Range<usize>| toml.line_of(span);
        let error = |line: usize, message: String| toml.error(line, message);
        let raw: RawFile = toml.parse()?;
        let mut stages: Vec<Stage> = Vec::new();
        for raw_stage in raw.stage {
            let line = line_of(raw_stage.key.span());
            let key = raw_stage.key.get_ref();
            let gap = Gap::parse(key).ok_or_else(|| {
                let known: Vec<&str> = Gap::ALL.iter().map(|g| g.as_str()).collect();
                error(line, format!("unknown stage `{key}` (known: {})", known.join(", ")))
            })?;
            if stages.iter().any(|s| s.gap == gap) {
                return Err(error(line, format!("stage `{key}` is listed twice")));
            }
            let mut after_hours = raw_stage.after.get_ref().clone();
            after_hours.sort_unstable();
            after_hours.dedup();
            if after_hours.is_empty() || after_hours[0] == 0 || after_hours.len() != raw_stage.after.get_ref().len() {
                return Err(error(
                    line_of(raw_stage.after.span()),
                    "`after` lists distinct hours, each at least 1, e.g. [24, 72]".into(),
                ));
            }
            let text_field = |field: Spanned<String>, name: &str| -> Result<String, PolicyError> {
                let value = crate::mail::single_line(field.get_ref());
                if value.is_empty() {
                    return Err(error(line_of(field.span()), format!("`{name}` must not be empty")));
                }
                Ok(value)
            };
            stages.push(Stage {
                gap,
                after_hours,
                subject: text_field(raw_stage.subject, "subject")?,
                message: text_field(raw_stage.message, "message")?,
                action: text_field(raw_stage.action, "action")?,
            });
        }
        Ok(Reminders { stages })
    }
}

/// What a customer's "stop reminders" link signs.
fn stop_message(customer_id: i64) -> String {
    format!("reminders-stop:{customer_id}")
}

/// The signature in a customer's "stop reminders" link.
fn stop_signature(key: &SecretKey, customer_id: i64) -> String {
    keyed_hash(key, &stop_message(customer_id))
}

pub fn stop_link(config: &Config, customer_id: i64) -> String {
    config.link(&format!("/reminders/stop?c={customer_id}&t={}", stop_signature(&config.secret_key, customer_id)))
}

pub fn stop_link_is_genuine(key: &SecretKey, customer_id: i64, signature: &str) -> bool {
    keyed_hash_matches(key, &stop_message(customer_id), signature)
}

/// Customers in `gap` since at least `cutoff` who have not had step `step`
/// of its stage or a later one.
fn due(conn: &mut DbConnection, gap: Gap, step: i32, cutoff: PrimitiveDateTime) -> QueryResult<Vec<Customer>> {
    let reminded = || {
        reminder_sends::table
            .filter(reminder_sends::stage.eq(gap.as_str()))
            .filter(reminder_sends::step.ge(step))
            .select(reminder_sends::customer_id)
    };
    let open = || {
        customers::table
            .filter(customers::reminders_stopped_at.is_null())
            .filter(not(customers::id.eq_any(reminded())))
            .order(customers::id.asc())
            .limit(BATCH)
    };
    match gap {
        Gap::UnverifiedEmail => open()
            .filter(customers::email_verified_at.is_null())
            .filter(customers::created_at.le(cutoff))
            .select(Customer::as_select())
            .load(conn),
        Gap::DetailsMissing => open()
            .filter(customers::details_saved_at.is_null())
            .filter(customers::email_verified_at.le(cutoff))
            .select(Customer::as_select())
            .load(conn),
        Gap::KycNotSubmitted => open()
            .filter(customers::details_saved_at.le(cutoff))
            .filter(not(customers::id.eq_any(
                kyc_submissions::table
                    .filter(kyc_submissions::status.ne(KycStatus::Draft.as_str()))
                    .select(kyc_submissions::customer_id),
            )))
            .select(Customer::as_select())
            .load(conn),
        Gap::ChangesRequested => kyc_submissions::table
            .inner_join(customers::table)
            .filter(kyc_submissions::status.eq(KycStatus::ChangesRequested.as_str()))
            .filter(kyc_submissions::decided_at.le(cutoff))
            .filter(customers::reminders_stopped_at.is_null())
            .filter(not(customers::id.eq_any(reminded())))
            .order(customers::id.asc())
            .limit(BATCH)
            .select(Customer::as_select())
            .load(conn),
        Gap::BillingMissing => open()
            .filter(customers::details_saved_at.le(cutoff))
            .filter(not(customers::id.eq_any(billing_details::table.select(billing_details::customer_id))))
            .select(Customer::as_select())
            .load(conn),
    }
}

/// Sends `customer` step `step` of `stage`, unless an overlapping run just did.
fn send(
    conn: &mut DbConnection,
    ctx: &JobContext,
    stage: &Stage,
    step: i32,
    customer: &Customer,
) -> anyhow::Result<bool> {
    let recorded = diesel::insert_into(reminder_sends::table)
        .values((
            reminder_sends::customer_id.eq(customer.id),
            reminder_sends::stage.eq(stage.gap.as_str()),
            reminder_sends::step.eq(step),
            reminder_sends::sent_at.eq(db::now()),
        ))
        .execute(conn);
    match recorded {
        Err(e) if is_unique_violation(&e) => return Ok(false),
        other => other?,
    };
    let link = if stage.gap == Gap::UnverifiedEmail {
        let token = random_token();
        email_tokens::issue(conn, customer.id, Purpose::VerifyEmail, &token)?;
        recovery::link(&ctx.config, Purpose::VerifyEmail, &token)
    } else {
        ctx.config.link(stage.gap.page())
    };
    let email = ctx.mailer.compose(
        "reminder",
        customer.recipient(),
        &json!({
            "subject": stage.subject,
            "name": customer.display_name(),
            "message": stage.message,
            "action": stage.action,
            "link": link,
            "stop_link": stop_link(&ctx.config, customer.id),
        }),
        stage.gap == Gap::UnverifiedEmail,
    )?;
    outbox::enqueue(conn, &email)?;
    audit::record(
        conn,
        Event::new(Actor::Job("reminders"), "reminder.sent", &Origin::default())
            .subject("customer", customer.id)
            .details(json!({ "stage": stage.gap.as_str(), "after_hours": step })),
    )?;
    Ok(true)
}

pub async fn run(ctx: &JobContext) -> anyhow::Result<Value> {
    let mut reminded: HashSet<i64> = HashSet::new();
    let mut sent = serde_json::Map::new();
    for stage in ctx.reminders.stages.clone() {
        let mut count = 0;
        // The latest step first: whoever is overdue for it gets it and is
        // then past the earlier ones.
        for &hours in stage.after_hours.iter().rev() {
            let step = i32::try_from(hours)?;
            let cutoff = db::now() - time::Duration::hours(i64::from(hours));
            let gap = stage.gap;
            let candidates = ctx.db.run(move |conn| due(conn, gap, step, cutoff).map_err(anyhow::Error::from)).await?;
            for customer in candidates {
                if !reminded.insert(customer.id) {
                    continue;
                }
                let (ctx_for_send, stage_for_send) = (ctx.clone(), stage.clone());
                let delivered =
                    ctx.db.write(move |conn| send(conn, &ctx_for_send, &stage_for_send, step, &customer)).await?;
                count += usize::from(delivered);
            }
        }
        sent.insert(stage.gap.as_str().to_string(), json!(count));
    }
    Ok(json!({ "sent": sent }))
}

/// Stops reminder emails for the customer; audited when it changes anything
/// (a second press of the button does not).
pub async fn stop(db: &crate::db::Db, customer_id: i64, origin: Origin) -> anyhow::Result<()> {
    db.write(move |conn| -> anyhow::Result<()> {
        let stopped = diesel::update(
            customers::table.filter(customers::id.eq(customer_id)).filter(customers::reminders_stopped_at.is_null()),
        )
        .set(customers::reminders_stopped_at.eq(db::now()))
        .execute(conn)?;
        if stopped == 1 {
            audit::record(
                conn,
                Event::new(Actor::Customer(customer_id), "customer.reminders_stopped", &origin)
                    .subject("customer", customer_id),
            )?;
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_reminders_are_valid() {
        let reminders = Reminders::parse("reminders.toml", BUILT_IN).unwrap();
        assert_eq!(reminders.stages.len(), Gap::ALL.len());
        assert_eq!(reminders.stages[0].after_hours, [24, 72]);
    }

    #[test]
    fn mistakes_name_their_line() {
        let stage = |key: &str, after: &str| {
            format!("[[stage]]\nkey = \"{key}\"\nafter = {after}\nsubject = \"s\"\nmessage = \"m\"\naction = \"a\"\n")
        };
        let unknown = Reminders::parse("r.toml", &stage("nagging", "[24]")).unwrap_err();
        assert_eq!(unknown.line, 2);
        assert!(unknown.message.starts_with("unknown stage `nagging`"), "{unknown}");
        let zero = Reminders::parse("r.toml", &stage("billing_missing", "[0, 24]")).unwrap_err();
        assert_eq!(zero.line, 3, "{zero}");
        assert!(Reminders::parse("r.toml", &stage("billing_missing", "[24, 24]")).is_err());
        assert!(Reminders::parse("r.toml", &stage("billing_missing", "[]")).is_err());
        let twice = format!("{}{}", stage("billing_missing", "[24]"), stage("billing_missing", "[48]"));
        assert_eq!(Reminders::parse("r.toml", &twice).unwrap_err().line, 8);
        assert!(Reminders::parse("r.toml", "[[stage]]\nkey = \"billing_missing\"\nafter = [1]\n").is_err());
    }

    #[test]
    fn stop_links_are_signed_per_customer() {
        let key = SecretKey::for_tests("0123456789abcdef0123456789abcdef");
        let signature = stop_signature(&key, 7);
        assert!(stop_link_is_genuine(&key, 7, &signature));
        assert!(!stop_link_is_genuine(&key, 8, &signature));
        assert!(!stop_link_is_genuine(&key, 7, "forged"));
    }
}
