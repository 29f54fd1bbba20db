//! Argon2id password hashing on blocking threads, a few at a time, so a
//! flood of logins cannot starve the rest of the application.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use tokio::sync::Semaphore;

use crate::domain::Password;

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Checked when the account does not exist, so an unknown email costs the
    /// same time as a known one.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub fn new() -> PasswordHasher {
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        let dummy = crate::tokens::random_token();
        let dummy_hash = hash_blocking(&dummy).expect("hashing a random string works");
        PasswordHasher { permits: Arc::new(Semaphore::new(parallel)), dummy_hash: dummy_hash.into() }
    }

    /// Argon2id with the crate's defaults (m = 19 MiB, t = 2, p = 1: OWASP's
    /// recommendation) and a fresh salt.
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        let password = password.clone();
        tokio::task::spawn_blocking(move || hash_blocking(password.expose())).await?
    }

    /// Whether `password` matches `stored`; with no stored hash the work is
    /// done anyway and the answer is no.
    pub async fn verify(&self, password: &Password, stored: Option<&str>) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await?;
        let password = password.clone();
        let (hash, real) = match stored {
            Some(hash) => (hash.to_string(), true),
            None => (self.dummy_hash.to_string(), false),
        };
        let matches = tokio::task::spawn_blocking(move || {
            Argon2::default().verify_password(password.expose().as_bytes(), hash.as_str()).is_ok()
        })
        .await?;
        Ok(real && matches)
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        PasswordHasher::new()
    }
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hasher = PasswordHasher::new();
        let password = Password::typed("Kestrel-Orbit-42");
        let hash = hasher.hash(&password).await.unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(hasher.verify(&password, Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&Password::typed("kestrel-orbit-42"), Some(&hash)).await.unwrap());
        assert!(!hasher.verify(&password, None).await.unwrap());
    }
}
