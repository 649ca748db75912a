use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

/// An email address, bare and lower-cased so that one officer is one address: no display
/// name (`Name <a@b.org>`), no quoted local part, no domain literal (`a@[10.0.0.1]`), each
/// of which would let one mailbox be written in many ways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, String> {
        let trimmed = value.trim();
        if value.chars().count() > 254 {
            return Err("must be at most 254 characters".into());
        }
        if trimmed.contains(['<', '>']) {
            return Err("must be the bare address, without a name or angle brackets".into());
        }
        if trimmed.contains(['[', ']']) {
            return Err("must have a domain name, not an address in brackets".into());
        }
        if trimmed.contains(['"', '(', ')']) {
            return Err("must be a plain address, without quotes or comments".into());
        }
        let options = email_address::Options::default()
            .without_display_text()
            .without_domain_literal();
        let parsed = email_address::EmailAddress::parse_with_options(trimmed, options)
            .map_err(|_| "must be an email address, e.g. name@customs.gov".to_string())?;
        if !parsed.domain().contains('.') {
            return Err("must have a domain with a dot, e.g. customs.gov".into());
        }
        Ok(Self(parsed.as_str().to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl PartialSchema for Email {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .max_length(Some(254))
            .description(Some("Email address; stored lower-case."))
            .examples(["officer@customs.gov.my"])
            .into()
    }
}

impl ToSchema for Email {}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn addresses_are_lower_cased() {
        assert_eq!(
            Email::parse("Officer@Customs.GOV.my").unwrap().as_str(),
            "officer@customs.gov.my"
        );
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for bad in ["", "no-at-sign", "a@b", "a b@c.org", "@c.org", "a@\0.org"] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn one_mailbox_has_one_spelling() {
        for (other_spelling, says) in [
            ("x <a@customs.org>", "angle brackets"),
            ("<a@customs.org>", "angle brackets"),
            ("a@[10.0.0.1]", "brackets"),
            ("a@[IPv6:::1]", "brackets"),
            ("\"a\"@customs.org", "quotes"),
            ("(comment)a@customs.org", "comments"),
        ] {
            let error = Email::parse(other_spelling).unwrap_err();
            assert!(error.contains(says), "{other_spelling}: {error}");
        }
    }
}
