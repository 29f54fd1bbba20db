//! `kycdesk demo seed`: fills an empty database with customers at every
//! step of onboarding, so the console has something to show. Documents go
//! through the same checks and store as real uploads; no email is sent (the
//! addresses are under the reserved `example.com`), and every row is audited
//! as the system's doing.

use diesel::prelude::*;
use serde_json::json;

use crate::accounts::billing::{self, Billing};
use crate::accounts::hashing::PasswordHasher;
use crate::audit::{self, Actor, Event, Origin};
use crate::db::schema::{customers, kyc_submissions};
use crate::db::{self, Db};
use crate::domain::{Country, Email, Gstin, IndianState, Line, Pan, Password};
use crate::kyc::storage::DocumentStore;
use crate::kyc::submissions::{self, record_event};
use crate::kyc::upload::{Upload, UploadError};
use crate::kyc::{EntityTypes, KycStatus};

/// How far a demo customer got.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    SignedUp,
    Verified,
    Details,
    Submitted,
    Approved,
}

struct DemoCustomer {
    email: &'static str,
    first: &'static str,
    last: &'static str,
    company: Option<&'static str>,
    step: Step,
    /// Entity type and documents (key, file name) for those past details.
    kyc: Option<(&'static str, &'static [(&'static str, &'static str)])>,
}

const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        email: "neha.signup@example.com",
        first: "Neha",
        last: "Kapoor",
        company: None,
        step: Step::SignedUp,
        kyc: None,
    },
    DemoCustomer {
        email: "arjun.verified@example.com",
        first: "Arjun",
        last: "Mehta",
        company: None,
        step: Step::Verified,
        kyc: None,
    },
    DemoCustomer {
        email: "kavya.draft@example.com",
        first: "Kavya",
        last: "Iyer",
        company: None,
        step: Step::Details,
        kyc: Some(("individual", &[("pan_card", "pan-card.pdf")])),
    },
    DemoCustomer {
        email: "rahul.individual@example.com",
        first: "Rahul",
        last: "Verma",
        company: None,
        step: Step::Submitted,
        kyc: Some(("individual", &[("pan_card", "pan-card.pdf"), ("passport", "passport.png")])),
    },
    DemoCustomer {
        email: "finance@sundaram-textiles.example.com",
        first: "Meera",
        last: "Sundaram",
        company: Some("Sundaram Textiles Private Limited"),
        step: Step::Submitted,
        kyc: Some((
            "company",
            &[
                ("pan_card", "company-pan.pdf"),
                ("certificate_of_incorporation", "incorporation.pdf"),
                ("moa_aoa", "moa-aoa.pdf"),
                ("board_resolution", "board-resolution.pdf"),
                ("signatory_passport", "signatory-passport.png"),
            ],
        )),
    },
    DemoCustomer {
        email: "accounts@uday-associates.example.com",
        first: "Uday",
        last: "Rao",
        company: Some("Uday & Associates"),
        step: Step::Approved,
        kyc: Some((
            "partnership_firm",
            &[
                ("pan_card", "firm-pan.pdf"),
                ("partnership_deed", "deed.pdf"),
                ("partner_passport", "partner-passport.png"),
            ],
        )),
    },
];

/// A one-page PDF and a 2×2 PNG: small, but real enough for every check.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n\
trailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a, 0x73, 0x00, 0x00, 0x00, 0x11, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x90, 0x8f, 0xfb, 0x0f, 0x44, 0x0c, 0xff, 0xc1, 0x00, 0x00, 0x32, 0x65, 0x08,
    0xf3, 0xbc, 0x80, 0x3b, 0x2e, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Seeds the demo customers, all with `password`. Refuses a database that
/// already has customers, so it cannot mix demo data into real data.
pub async fn seed(
    db: &Db,
    store: &DocumentStore,
    types: &EntityTypes,
    password: &Password,
) -> anyhow::Result<Vec<&'static str>> {
    let existing: i64 = db.run(|conn| customers::table.count().get_result(conn).map_err(anyhow::Error::from)).await?;
    anyhow::ensure!(existing == 0, "the database already has {existing} customers; demo seed only fills an empty one");
    let hash = PasswordHasher::new().hash(password).await?;
    let origin = Origin::default();
    let mut seeded = Vec::new();
    for (n, demo) in CUSTOMERS.iter().enumerate() {
        let id = create(db, demo, &hash, n).await?;
        if let Some((entity_type, documents)) = demo.kyc {
            submissions::choose_entity_type(
                db,
                types,
                id,
                if demo.company.is_some() {
                    crate::domain::AccountType::Company
                } else {
                    crate::domain::AccountType::Individual
                },
                entity_type.to_string(),
                origin.clone(),
            )
            .await?;
            for (key, name) in documents {
                let spec = submissions::check_upload(db, types, id, key).await?;
                let bytes = if name.ends_with(".png") { PNG } else { PDF };
                let mut upload = Upload::begin(store, spec.max_bytes).await?;
                upload.write(bytes).await.map_err(UploadError::Refused)?;
                let stored = upload.finish(&spec.accepted, None, name).await?;
                submissions::add_document(db, id, key.to_string(), stored, name.to_string(), u64::MAX, origin.clone())
                    .await?;
            }
            if matches!(demo.step, Step::Submitted | Step::Approved) {
                submissions::submit(db, types, id, origin.clone()).await?;
            }
        }
        if demo.step == Step::Approved {
            approve(db, id).await?;
            billing::save(db, id, demo_billing()?, origin.clone()).await?;
        }
        seeded.push(demo.email);
    }
    Ok(seeded)
}

async fn create(db: &Db, demo: &'static DemoCustomer, hash: &str, n: usize) -> anyhow::Result<i64> {
    let email = Email::parse(demo.email)?;
    let hash = hash.to_string();
    db.write(move |conn| -> anyhow::Result<i64> {
        let now = db::now();
        let past = |hours: i64| now - time::Duration::hours(hours);
        let verified = demo.step != Step::SignedUp;
        let detailed = !matches!(demo.step, Step::SignedUp | Step::Verified);
        let id: i64 = diesel::insert_into(customers::table)
            .values((
                customers::email.eq(email.as_str()),
                customers::password_hash.eq(&hash),
                customers::password_changed_at.eq(past(72)),
                customers::terms_version.eq(crate::accounts::TERMS_VERSION),
                customers::terms_accepted_at.eq(past(72)),
                customers::created_at.eq(past(72)),
                customers::email_verified_at.eq(verified.then(|| past(70))),
            ))
            .returning(customers::id)
            .get_result(conn)?;
        if detailed {
            let account_type = if demo.company.is_some() { "company" } else { "individual" };
            diesel::update(customers::table.find(id))
                .set((
                    customers::account_type.eq(account_type),
                    customers::first_name.eq(demo.first),
                    customers::last_name.eq(demo.last),
                    customers::company_name.eq(demo.company),
                    customers::sector.eq(if demo.company.is_some() { "retail" } else { "it" }),
                    customers::phone_type.eq("mobile"),
                    customers::phone.eq(format!("+9198765432{n:02}")),
                    customers::phone_verified_at.eq(past(69)),
                    customers::details_saved_at.eq(past(69)),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            Event::new(Actor::System, "demo.customer_created", &Origin::default())
                .subject("customer", id)
                .details(json!({ "email": email.as_str() })),
        )?;
        Ok(id)
    })
    .await
}

/// Marks the customer's submitted KYC approved, as the system: a demo has no
/// reviewer yet.
async fn approve(db: &Db, customer_id: i64) -> anyhow::Result<()> {
    db.write(move |conn| -> anyhow::Result<()> {
        let submission = submissions::current(conn, customer_id)?.ok_or_else(|| anyhow::anyhow!("no submission"))?;
        diesel::update(kyc_submissions::table.find(submission.id))
            .set((kyc_submissions::status.eq(KycStatus::Approved.as_str()), kyc_submissions::decided_at.eq(db::now())))
            .execute(conn)?;
        record_event(conn, submission.id, KycStatus::Approved, Actor::System, Some("Demo data"))?;
        audit::record(
            conn,
            Event::new(Actor::System, "demo.kyc_approved", &Origin::default()).subject("kyc_submission", submission.id),
        )?;
        Ok(())
    })
    .await
}

fn demo_billing() -> anyhow::Result<Billing> {
    let pan = Pan::parse("AAPFU0939F")?;
    let state = IndianState::parse("27")?;
    let line = |text: &str| Line::parse(text, 200, "missing");
    Ok(Billing {
        billing_name: line("Uday & Associates")?,
        address_line1: line("14 Marine Drive")?,
        address_line2: None,
        city: line("Mumbai")?,
        state: line(state.name)?,
        postal_code: line("400002")?,
        country: Country::parse("IN")?,
        gstin: Some(Gstin::parse("27AAPFU0939F1ZV", Some(&pan), Some(state))?),
        pan: Some(pan),
    })
}
