//! Signing per the Standard Webhooks scheme: HMAC-SHA256 over `id.timestamp.body` with the
//! endpoint's secret (`whsec_` and the base64 of the key), sent as `v1,<base64>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// A new secret: 24 random bytes.
pub fn new_secret() -> String {
    format!(
        "{PREFIX}{}",
        STANDARD.encode(rand::rng().random::<[u8; 24]>())
    )
}

/// Whether a secret given by an admin has the scheme's form (and a key of 24 to 64 bytes).
pub fn is_valid_secret(secret: &str) -> bool {
    key_of(secret).is_some_and(|key| (24..=64).contains(&key.len()))
}

fn key_of(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()
}

/// The `webhook-signature` value for one message.
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key_of(secret)?).ok()?;
    mac.update(format!("{message_id}.{timestamp}.{body}").as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn signs_the_specifications_example() {
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            signature.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn new_secrets_are_valid_and_differ() {
        let (a, b) = (new_secret(), new_secret());
        assert!(is_valid_secret(&a) && is_valid_secret(&b));
        assert_ne!(a, b);
        assert!(!is_valid_secret("whsec_short"));
        assert!(!is_valid_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    }
}
