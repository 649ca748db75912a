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

/// The fewest bytes a token secret may have.
pub const MIN_SECRET_BYTES: usize = 32;

/// Secrets this project ever showed as examples: whoever copies one can compute every link.
const PLACEHOLDERS: &[&str] = &[
    "change-me-to-a-long-random-secret",
    "change-me",
    "changeme",
    "test token secret",
    "secret",
];

/// Whether a secret is mostly one character repeated or counted through: fewer than eight
/// different characters, or at most half of its neighbouring characters differing by more
/// than one (a random hex secret differs so in about four pairs of five).
fn monotonous(secret: &str) -> bool {
    let chars: Vec<char> = secret.chars().collect();
    let distinct: std::collections::BTreeSet<&char> = chars.iter().collect();
    let leaps = chars
        .windows(2)
        .filter(|pair| (pair[0] as i64 - pair[1] as i64).abs() > 1)
        .count();
    distinct.len() < 8 || leaps * 2 < chars.len()
}

/// How to make a secret, said with every refusal.
const HOW: &str = "make one with `openssl rand -hex 32`, or leave token_secret unset to have a random one kept in <data_dir>/token-secret";

/// Why a secret cannot key the participant links.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakSecret {
    #[error("the token secret is empty; {HOW}")]
    Empty,
    #[error("the token secret has {0} bytes, fewer than {MIN_SECRET_BYTES}; {HOW}")]
    Short(usize),
    #[error("the token secret is an example this project once showed; {HOW}")]
    Placeholder,
    #[error(
        "the token secret repeats or counts through its characters (`aaaa...`, `abcd...`, \
         `0123...`) and is guessed as easily as a short one; {HOW}"
    )]
    Monotonous,
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
    /// The key of a secret (white space around it ignored): refused when it is empty,
    /// shorter than [`MIN_SECRET_BYTES`] or a known example; derived with HKDF-SHA256.
    pub fn from_secret(secret: &str) -> Result<Self, WeakSecret> {
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(WeakSecret::Empty);
        }
        if PLACEHOLDERS
            .iter()
            .any(|known| known.eq_ignore_ascii_case(secret))
        {
            return Err(WeakSecret::Placeholder);
        }
        if secret.len() < MIN_SECRET_BYTES {
            return Err(WeakSecret::Short(secret.len()));
        }
        if monotonous(secret) {
            return Err(WeakSecret::Monotonous);
        }
        let mut key = [0u8; 32];
        hkdf::Hkdf::<Sha256>::new(Some(b"followup token key"), secret.as_bytes())
            .expand(b"invitation links", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Ok(Self(Arc::new(key)))
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

    /// The check of a mailing's bounce address (16 hex digits, 64 bits), so that nobody
    /// who does not hold the key can make up a bounce for a mailing.
    pub fn bounce_mac(&self, mailing_id: i32) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.as_slice())
            .expect("HMAC takes a key of any length");
        mac.update(format!("bounce:{mailing_id}").as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..8])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_in_43_url_safe_characters() {
        let key = TokenKey::from_secret(&TokenKey::new_secret()).unwrap();
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
        let secret = |word: &str| {
            TokenKey::from_secret(&format!("{word}: the links of the survey office")).unwrap()
        };
        let key = secret("one");
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
        assert_ne!(key.token(1, 1), secret("two").token(1, 1));
    }

    #[test]
    fn weak_secrets_are_refused_with_how_to_make_one() {
        for (secret, refusal) in [
            ("", WeakSecret::Empty),
            ("   \n", WeakSecret::Empty),
            ("short but not empty", WeakSecret::Short(19)),
            ("change-me-to-a-long-random-secret", WeakSecret::Placeholder),
            (&"x".repeat(32), WeakSecret::Monotonous),
            ("abcdefghijklmnopqrstuvwxyzabcdefgh", WeakSecret::Monotonous),
            ("0123456789abcdef0123456789abcdef", WeakSecret::Monotonous),
            ("abababababababababababababababab", WeakSecret::Monotonous),
            ("aabbccddeeffgghhiijjkkllmmnnoopp", WeakSecret::Monotonous),
        ] {
            let error = TokenKey::from_secret(secret).unwrap_err();
            assert_eq!(error, refusal, "{secret:?}");
            assert!(error.to_string().contains("openssl rand -hex 32"));
        }
    }

    #[test]
    fn random_secrets_are_taken() {
        for _ in 0..1000 {
            assert!(TokenKey::from_secret(&TokenKey::new_secret()).is_ok());
        }
        assert!(TokenKey::from_secret("a test token secret of more than thirty-two bytes").is_ok());
    }

    #[test]
    fn the_key_is_derived_with_hkdf() {
        let secret = "3f9a0c71d2e84b6a95c0e7f1a2b3c4d5";
        let mut expected = [0u8; 32];
        hkdf::Hkdf::<Sha256>::new(Some(b"followup token key"), secret.as_bytes())
            .expand(b"invitation links", &mut expected)
            .unwrap();
        assert_eq!(*TokenKey::from_secret(secret).unwrap().0, expected);
        assert_ne!(
            expected,
            <[u8; 32]>::from(Sha256::digest(secret.as_bytes()))
        );
    }
}
