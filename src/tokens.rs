//! Secret tokens: 256 random bits for the holder, their SHA-256 for storage.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::config::SecretKey;

/// A fresh token from the operating system's CSPRNG, URL-safe.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What is stored in place of a token: a lookup needs only the hash, and a
/// leaked table reveals no usable token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// HMAC-SHA256 of `message` under the server secret, hex: for values that
/// must not be forged or brute-forced offline without the secret.
pub fn keyed_hash(key: &SecretKey, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose()).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `given` is `keyed_hash(key, message)`, compared in constant time.
pub fn keyed_hash_matches(key: &SecretKey, message: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    keyed_hash(key, message).as_bytes().ct_eq(given.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_are_stored_hashed() {
        let token = random_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_ne!(random_token(), token);
        assert_eq!(hash_token(&token).len(), 64);
        assert_eq!(hash_token(&token), hash_token(&token));
    }
}
