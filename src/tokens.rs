//! Secret tokens: 256 random bits for the holder, their SHA-256 for storage.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A fresh token from the operating system's CSPRNG, URL-safe.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What is stored in place of a token: a lookup needs only the hash, and a
/// leaked table reveals no usable token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
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
