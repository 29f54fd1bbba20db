//! The human check on public forms. Built in: an ALTCHA proof-of-work
//! challenge, signed with the secret key, short-lived and single use. The
//! `Captcha` trait lets a hosted provider take its place.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use altcha_lib_rs::algorithm::AltchaAlgorithm;
use altcha_lib_rs::{Challenge, ChallengeOptions, Payload};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::prelude::*;
use serde::Serialize;

use crate::config::SecretKey;
use crate::db::schema::captcha_spent;
use crate::db::{self, Db, DbError, is_unique_violation};

/// How long a challenge may be answered after it was issued.
const LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The form field that carries the response.
pub const FIELD: &str = "altcha";

#[derive(Debug, thiserror::Error)]
pub enum CaptchaError {
    #[error("Tick “I'm not a robot” and wait for the check to finish.")]
    Missing,
    #[error("The check failed or expired. Tick “I'm not a robot” again.")]
    Failed,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// What a form needs to show the check.
#[derive(Clone, Debug, Serialize)]
pub struct Widget {
    /// Which template block renders it (`altcha`, or a hosted provider's name).
    pub kind: &'static str,
    /// Where the page's script fetches a challenge.
    pub challenge_url: &'static str,
}

pub type VerifyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), CaptchaError>> + Send + 'a>>;

pub trait Captcha: Send + Sync {
    fn widget(&self) -> Widget;

    /// A fresh challenge for the page's script, for checks that issue their own.
    fn challenge(&self) -> Option<serde_json::Value>;

    /// Checks the response a form carried; a response counts once, whatever
    /// the rest of the form turns out to hold.
    fn verify<'a>(&'a self, db: &'a Db, response: &'a str) -> VerifyFuture<'a>;
}

pub struct Altcha {
    key: SecretKey,
    max_number: u64,
}

impl Altcha {
    pub fn new(key: SecretKey, max_number: u64) -> Altcha {
        Altcha { key, max_number }
    }

    /// A fresh challenge: `sha256(salt + number) == challenge` for a secret
    /// `number` up to `maxnumber`, with the challenge signed by our key.
    pub fn challenge(&self) -> Challenge {
        let expires = chrono::Utc::now() + LIFETIME;
        altcha_lib_rs::create_challenge(ChallengeOptions {
            algorithm: Some(AltchaAlgorithm::Sha256),
            max_number: Some(self.max_number),
            hmac_key: self.key.expose_str(),
            expires: Some(expires),
            ..Default::default()
        })
        .expect("a challenge with a valid maximum is always created")
    }

    fn check(&self, response: &str) -> Result<Payload, CaptchaError> {
        let json = STANDARD.decode(response.trim()).map_err(|_| CaptchaError::Failed)?;
        let payload: Payload = serde_json::from_slice(&json).map_err(|_| CaptchaError::Failed)?;
        if !matches!(payload.algorithm, AltchaAlgorithm::Sha256) || !payload.salt.contains("expires=") {
            return Err(CaptchaError::Failed);
        }
        altcha_lib_rs::verify_solution(&payload, self.key.expose_str(), true).map_err(|_| CaptchaError::Failed)?;
        Ok(payload)
    }
}

impl Captcha for Altcha {
    fn widget(&self) -> Widget {
        Widget { kind: "altcha", challenge_url: "/captcha/challenge" }
    }

    fn challenge(&self) -> Option<serde_json::Value> {
        serde_json::to_value(Altcha::challenge(self)).ok()
    }

    fn verify<'a>(&'a self, db: &'a Db, response: &'a str) -> VerifyFuture<'a> {
        Box::pin(async move {
            if response.trim().is_empty() {
                return Err(CaptchaError::Missing);
            }
            let payload = self.check(response)?;
            let expires_at = db::now() + LIFETIME;
            db.write(move |conn| {
                match diesel::insert_into(captcha_spent::table)
                    .values((captcha_spent::challenge.eq(&payload.challenge), captcha_spent::expires_at.eq(expires_at)))
                    .execute(conn)
                {
                    Ok(_) => Ok(()),
                    Err(e) if is_unique_violation(&e) => Err(CaptchaError::Failed),
                    Err(e) => Err(e.into()),
                }
            })
            .await
        })
    }
}

/// Forgets spent challenges that could no longer be replayed anyway.
pub fn delete_expired(conn: &mut db::DbConnection) -> QueryResult<usize> {
    diesel::delete(captcha_spent::table.filter(captcha_spent::expires_at.lt(db::now()))).execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn altcha() -> Altcha {
        let key = crate::config::SecretKey::for_tests("0123456789abcdef0123456789abcdef");
        Altcha::new(key, 1000)
    }

    fn solve(challenge: &Challenge) -> String {
        let number = altcha_lib_rs::solve_challenge(
            &challenge.challenge,
            &challenge.salt,
            Some(challenge.algorithm),
            Some(challenge.maxnumber),
            0,
        )
        .unwrap();
        answer(challenge, number)
    }

    fn answer(challenge: &Challenge, number: u64) -> String {
        let payload = serde_json::json!({
            "algorithm": "SHA-256",
            "challenge": challenge.challenge,
            "number": number,
            "salt": challenge.salt,
            "signature": challenge.signature,
        });
        STANDARD.encode(payload.to_string())
    }

    #[test]
    fn a_solved_challenge_checks_out() {
        let captcha = altcha();
        let challenge = captcha.challenge();
        assert_eq!(serde_json::to_value(&challenge).unwrap()["algorithm"], "SHA-256");
        assert!(captcha.check(&solve(&challenge)).is_ok());
    }

    #[test]
    fn forged_or_foreign_answers_fail() {
        let captcha = altcha();
        let challenge = captcha.challenge();
        let right = altcha_lib_rs::solve_challenge(&challenge.challenge, &challenge.salt, None, Some(1000), 0).unwrap();
        assert!(captcha.check(&answer(&challenge, right + 1)).is_err());
        let mut forged = challenge.clone();
        forged.signature = "00".repeat(32);
        assert!(captcha.check(&answer(&forged, right)).is_err());
        let other_key = Altcha::new(crate::config::SecretKey::for_tests("another-key-another-key-another-key"), 1000);
        assert!(captcha.check(&solve(&other_key.challenge())).is_err());
        assert!(captcha.check("not base64 at all").is_err());
    }

    #[test]
    fn an_expired_challenge_fails() {
        let captcha = altcha();
        let expired = altcha_lib_rs::create_challenge(ChallengeOptions {
            algorithm: Some(AltchaAlgorithm::Sha256),
            max_number: Some(1000),
            hmac_key: "0123456789abcdef0123456789abcdef",
            expires: Some(chrono::Utc::now() - chrono::TimeDelta::seconds(1)),
            ..Default::default()
        })
        .unwrap();
        assert!(captcha.check(&solve(&expired)).is_err());
    }
}
