//! The second factor: RFC 6238 codes (6 digits, 30 s, one step either way),
//! each step accepted once; secrets sealed with the server key; single-use
//! recovery codes kept hashed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::config::SecretKey;

const ISSUER: &str = "kycdesk";
pub const RECOVERY_CODES: usize = 10;

/// A fresh 160-bit secret.
pub fn new_secret() -> Vec<u8> {
    rand::random::<[u8; 20]>().to_vec()
}

fn totp(secret: &[u8], account: &str) -> anyhow::Result<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(Secret::from(secret.to_vec()))
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| anyhow::anyhow!("TOTP setup: {e}"))
}

/// The `otpauth://` URI an authenticator app scans.
pub fn otpauth_uri(secret: &[u8], account: &str) -> anyhow::Result<String> {
    totp(secret, account)?.to_url().map_err(|e| anyhow::anyhow!("TOTP URI: {e}"))
}

/// The URI as a QR code, an SVG drawing of plain rectangles.
pub fn qr_svg(uri: &str) -> anyhow::Result<String> {
    let code = qrcode::QrCode::new(uri.as_bytes())?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build())
}

/// The time step `code` belongs to, if it is right now (one step of clock
/// drift either way) and newer than `last_step`, the last one accepted.
pub fn accept(secret: &[u8], account: &str, code: &str, last_step: Option<i64>) -> anyhow::Result<Option<i64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let step = totp(secret, account)?.check_current(&code).map(|s| s as i64);
    Ok(step.filter(|step| last_step.is_none_or(|last| *step > last)))
}

fn cipher(key: &SecretKey) -> XChaCha20Poly1305 {
    let derived: [u8; 32] =
        Sha256::new().chain_update(b"kycdesk totp secret v1").chain_update(key.expose()).finalize().into();
    XChaCha20Poly1305::new(&derived.into())
}

/// Encrypts a secret for storage: a random nonce and the sealed bytes.
pub fn seal(key: &SecretKey, secret: &[u8]) -> String {
    let nonce_bytes = rand::random::<[u8; 24]>();
    let sealed = cipher(key).encrypt(XNonce::from_slice(&nonce_bytes), secret).expect("encryption cannot fail");
    format!("{}.{}", STANDARD_NO_PAD.encode(nonce_bytes), STANDARD_NO_PAD.encode(sealed))
}

pub fn open(key: &SecretKey, stored: &str) -> anyhow::Result<Vec<u8>> {
    let (nonce, sealed) = stored.split_once('.').ok_or_else(|| anyhow::anyhow!("malformed sealed secret"))?;
    let nonce = STANDARD_NO_PAD.decode(nonce)?;
    let sealed = STANDARD_NO_PAD.decode(sealed)?;
    if nonce.len() != 24 {
        anyhow::bail!("malformed sealed secret");
    }
    cipher(key)
        .decrypt(XNonce::from_slice(&nonce), sealed.as_slice())
        .map_err(|_| anyhow::anyhow!("the TOTP secret does not open with this key (was KYCDESK_SECRET_KEY changed?)"))
}

/// Ten recovery codes like `7KQ2-9XWD-M4`, shown once.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char).collect();
            format!("{}-{}-{}", &chars[..4], &chars[4..8], &chars[8..])
        })
        .collect()
}

/// What is stored for a recovery code; typing is forgiving about case and dashes.
pub fn recovery_hash(code: &str) -> String {
    let normal: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
    crate::tokens::hash_token(&normal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_accepted_once_per_step() {
        let secret = new_secret();
        let code = totp(&secret, "a@example.com").unwrap().generate_current().to_string();
        let step = accept(&secret, "a@example.com", &code, None).unwrap().expect("the current code works");
        assert_eq!(accept(&secret, "a@example.com", &code, Some(step)).unwrap(), None, "replayed");
        assert_eq!(accept(&secret, "a@example.com", "000000x", None).unwrap(), None);
    }

    #[test]
    fn secrets_are_sealed_with_the_key() {
        let key = SecretKey::for_tests("0123456789abcdef0123456789abcdef");
        let secret = new_secret();
        let sealed = seal(&key, &secret);
        assert!(!sealed.contains(&STANDARD_NO_PAD.encode(&secret)));
        assert_eq!(open(&key, &sealed).unwrap(), secret);
        assert!(open(&SecretKey::for_tests("another-key-another-key-another-key"), &sealed).is_err());
    }

    #[test]
    fn recovery_codes_are_distinct_and_forgiving() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(recovery_hash(&codes[0]), recovery_hash(&codes[0].to_lowercase().replace('-', " ")));
        assert_ne!(recovery_hash(&codes[0]), recovery_hash(&codes[1]));
    }

    #[test]
    fn the_uri_and_qr_code_carry_the_secret() {
        let secret = vec![1u8; 20];
        let uri = otpauth_uri(&secret, "a@example.com").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/kycdesk:a%40example.com?secret=AEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIB"),
            "{uri}"
        );
        assert!(qr_svg(&uri).unwrap().starts_with("<?xml"));
    }
}
