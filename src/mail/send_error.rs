//! Why a mail was not sent, in two forms: a classified reason that names no one (for the
//! logs) and the server's own words, which may quote the address (kept with the mail for
//! staff, scrubbed on erasure, never logged).

use lettre::transport::smtp::Error as SmtpError;

/// Why a send failed, and whether trying again may help. Neither `Debug` nor anything
/// else formats `detail`: it is read only to be stored with the mail.
#[derive(Clone, PartialEq, Eq)]
pub struct SendError {
    /// Connection refused, a timeout, a 4xx reply: a later attempt may succeed.
    pub transient: bool,
    /// What went wrong in a few fixed words; safe to log.
    pub reason: &'static str,
    /// The SMTP reply code, when the server answered.
    pub code: Option<u16>,
    /// The server's or the system's own message; may quote addresses, so never logged.
    pub detail: String,
}

impl SendError {
    pub fn transient(reason: &'static str, detail: impl Into<String>) -> Self {
        Self {
            transient: true,
            reason,
            code: None,
            detail: detail.into(),
        }
    }

    pub fn permanent(reason: &'static str, detail: impl Into<String>) -> Self {
        Self {
            transient: false,
            ..Self::transient(reason, detail)
        }
    }

    /// Classifies an SMTP failure by its reply code or its kind.
    pub fn from_smtp(error: &SmtpError) -> Self {
        let code = error.status().map(u16::from);
        let reason = match code {
            Some(400..=499) => "the server refused for now (4xx)",
            Some(500..=599) => "the server refused (5xx)",
            Some(_) => "the server answered unexpectedly",
            None if error.is_timeout() => "the server did not answer in time",
            None if error.is_tls() => "the secure connection failed",
            None if error.is_client() => "the message could not be sent as built",
            None => "the server could not be reached",
        };
        Self {
            transient: !error.is_permanent(),
            reason,
            code,
            detail: error.to_string(),
        }
    }
}

impl std::fmt::Debug for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendError")
            .field("transient", &self.transient)
            .field("reason", &self.reason)
            .field("code", &self.code)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_names_no_one_and_the_detail_keeps_the_server_s_words() {
        let error = SendError::permanent(
            "the server refused (5xx)",
            "550 5.1.1 <someone@example.org>: user unknown",
        );
        assert!(!error.reason.contains('@'));
        assert!(error.detail.contains("someone@example.org"));
        assert!(
            !format!("{error:?}").contains('@'),
            "debug output names no one"
        );
        assert!(!error.transient);
        assert!(SendError::transient("x", "y").transient);
    }
}
