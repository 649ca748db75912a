//! Envelope senders that name their mailing (VERP): with `bounce_address` set to
//! `bounces@example.org`, the mail of mailing 42 leaves with the envelope sender
//! `bounces+42.<mac>@example.org`, so a bounce that comes back to that address says which
//! mail it is about. The MAC (keyed by the token secret, 64 bits) keeps anybody else from
//! making up a bounce that would mark an address undeliverable.

use lettre::Address;

use crate::domain::TokenKey;

/// The envelope sender of mailing `mailing_id`.
pub fn envelope_sender(bounce: &Address, mailing_id: i32, key: &TokenKey) -> Address {
    let local = format!(
        "{}+{mailing_id}.{}",
        bounce.user(),
        key.bounce_mac(mailing_id)
    );
    Address::new(local, bounce.domain()).unwrap_or_else(|_| bounce.clone())
}

/// The mailing an address returned to names, when it is one of ours with a valid MAC.
pub fn mailing_of(address: &str, bounce: &Address, key: &TokenKey) -> Option<i32> {
    let (local, domain) = address.trim_matches(['<', '>']).rsplit_once('@')?;
    if !domain.eq_ignore_ascii_case(bounce.domain()) {
        return None;
    }
    let tag = local.strip_prefix(bounce.user())?.strip_prefix('+')?;
    let (id, mac) = tag.split_once('.')?;
    let id: i32 = id.parse().ok()?;
    let expected = key.bounce_mac(id);
    // Compared in constant time: the MAC is what keeps a forged bounce out.
    let same = mac.len() == expected.len()
        && mac
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a.to_ascii_lowercase() ^ b))
            == 0;
    same.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(word: &str) -> TokenKey {
        TokenKey::from_secret(&format!("{word}: the bounces of the survey office")).unwrap()
    }

    #[test]
    fn a_bounce_address_names_its_mailing_and_nobody_can_make_one_up() {
        let bounce: Address = "bounces@rocb.example.org".parse().unwrap();
        let address = envelope_sender(&bounce, 42, &key("one")).to_string();
        assert!(address.starts_with("bounces+42."), "{address}");
        assert!(address.ends_with("@rocb.example.org"), "{address}");
        assert_eq!(mailing_of(&address, &bounce, &key("one")), Some(42));
        assert_eq!(
            mailing_of(&format!("<{address}>"), &bounce, &key("one")),
            Some(42)
        );
        // Another key, another mailing's MAC, another domain, no MAC: nothing.
        assert_eq!(mailing_of(&address, &bounce, &key("two")), None);
        let forged = address.replace("bounces+42.", "bounces+43.");
        assert_eq!(mailing_of(&forged, &bounce, &key("one")), None);
        let elsewhere = address.replace("rocb.example.org", "example.com");
        assert_eq!(mailing_of(&elsewhere, &bounce, &key("one")), None);
        assert_eq!(
            mailing_of("bounces+42@rocb.example.org", &bounce, &key("one")),
            None
        );
    }
}
