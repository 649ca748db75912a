//! Participant tokens: the secret part of an invitation link, 256 bits, URL-safe. Only
//! the SHA-256 digest is stored. A token is derived from the server's key, the invitation
//! and its link generation, so mail can carry the current link again without the link
//! being stored anywhere; issuing a new link (a new generation) retires the old one.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};

/// A token as it goes into a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
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

/// The server's secret for deriving tokens. Never logged.
#[derive(Clone)]
pub struct TokenKey(Arc<[u8; 32]>);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    /// A key from configured secret text of any length.
    pub fn from_secret(secret: &str) -> Self {
        Self(Arc::new(Sha256::digest(secret.as_bytes()).into()))
    }

    /// Fresh random secret text for a new installation.
    pub fn new_secret() -> String {
        hex::encode(rand::rng().random::<[u8; 32]>())
    }

    /// The token of `generation` of an invitation's link.
    pub fn token(&self, invitation_id: i32, generation: i32) -> Token {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes a key of any length");
        mac.update(format!("invitation:{invitation_id}:{generation}").as_bytes());
        Token(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_in_43_url_safe_characters() {
        let key = TokenKey::from_secret(&TokenKey::new_secret());
        let token = key.token(1, 1);
        assert_eq!(token.as_str().len(), 43);
        assert!(
            token
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn a_token_depends_on_key_invitation_and_generation() {
        let key = TokenKey::from_secret("one");
        assert_eq!(
            key.token(1, 1),
            key.token(1, 1),
            "mail can carry the link again"
        );
        assert_ne!(
            key.token(1, 1),
            key.token(1, 2),
            "a new link retires the old"
        );
        assert_ne!(key.token(1, 1), key.token(2, 1));
        assert_ne!(key.token(1, 1), TokenKey::from_secret("two").token(1, 1));
    }
}
