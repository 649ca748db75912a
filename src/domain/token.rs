//! Participant tokens: the secret part of an invitation link. 256 random bits,
//! URL-safe; only the SHA-256 digest is stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};

/// A freshly issued token; shown once, in the link, then only its digest remains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::rng().random();
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> String {
        digest(&self.0)
    }
}

/// The stored form of a token as a client presents it.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_in_43_url_safe_characters() {
        let token = Token::generate();
        assert_eq!(token.as_str().len(), 43);
        assert!(
            token
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(token, Token::generate());
    }
}
