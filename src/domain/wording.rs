//! Words that depend on the figures: plurals, articles and spans of time, so that texts
//! computed from data read as a person would write them ("1 reply", "an open round",
//! "seven months ago").

/// `count` with the noun that agrees with it: `1 reply`, `3 replies`, `0 replies`.
pub fn count(count: u64, singular: &str, plural: &str) -> String {
    format!("{count} {}", if count == 1 { singular } else { plural })
}

/// The indefinite article of `word`: `an` before a vowel sound as written, else `a`.
pub fn article(word: &str) -> &'static str {
    match word.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o') => "an",
        _ => "a",
    }
}

/// `word` with its article: `an open`, `a draft`.
pub fn with_article(word: &str) -> String {
    format!("{} {word}", article(word))
}

const SMALL_NUMBERS: [&str; 13] = [
    "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve",
];

/// How long ago something happened that many whole months back, as a sentence may say it:
/// `a few weeks ago`, `one month ago`, `seven months ago`, `a year ago`, `18 months ago`.
pub fn months_ago(months: u32) -> String {
    match months {
        0 => "a few weeks ago".into(),
        12 => "a year ago".into(),
        1 => "one month ago".into(),
        2..=11 => format!("{} months ago", SMALL_NUMBERS[months as usize]),
        24 => "two years ago".into(),
        _ => format!("{months} months ago"),
    }
}

/// Whole months from `from` to `to` (0 when `to` is earlier).
pub fn whole_months(from: chrono::NaiveDate, to: chrono::NaiveDate) -> u32 {
    use chrono::Datelike;
    if to <= from {
        return 0;
    }
    let mut months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    if to.day() < from.day() {
        months -= 1;
    }
    u32::try_from(months).unwrap_or_default()
}

/// A moment as people at `place` read it, never a zone id:
/// `09:00 on Monday 7 December 2026, Malaysia time (UTC+8)`.
pub fn moment(at: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz, place: &str) -> String {
    let local = at.with_timezone(&tz);
    format!(
        "{} on {}, {place} time ({})",
        local.format("%H:%M"),
        local.format("%A %-d %B %Y"),
        utc_offset(at, tz)
    )
}

/// The offset of `tz` at `at`: `UTC+8`, `UTC+5:45`, `UTC-10`, `UTC`.
pub fn utc_offset(at: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz) -> String {
    use chrono::Offset;
    let seconds = at.with_timezone(&tz).offset().fix().local_minus_utc();
    let sign = if seconds < 0 { '-' } else { '+' };
    let (hours, minutes) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
    match (hours, minutes) {
        (0, 0) => "UTC".into(),
        (_, 0) => format!("UTC{sign}{hours}"),
        _ => format!("UTC{sign}{hours}:{minutes:02}"),
    }
}

/// `text` with its first letter in capitals.
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn moments_read_with_the_place_and_the_offset_never_a_zone_id() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T01:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            moment(at, chrono_tz::Asia::Kuala_Lumpur, "Malaysia"),
            "09:00 on Monday 7 December 2026, Malaysia time (UTC+8)"
        );
        assert_eq!(utc_offset(at, chrono_tz::Asia::Kathmandu), "UTC+5:45");
        assert_eq!(utc_offset(at, chrono_tz::Pacific::Honolulu), "UTC-10");
        assert_eq!(utc_offset(at, chrono_tz::UTC), "UTC");
    }

    #[test]
    fn nouns_agree_with_their_count() {
        assert_eq!(count(1, "reply", "replies"), "1 reply");
        assert_eq!(count(3, "reply", "replies"), "3 replies");
        assert_eq!(count(0, "link", "links"), "0 links");
    }

    #[test]
    fn articles_follow_the_word() {
        assert_eq!(with_article("open"), "an open");
        assert_eq!(with_article("draft"), "a draft");
        assert_eq!(with_article("scheduled"), "a scheduled");
    }

    #[test]
    fn months_read_as_words() {
        assert_eq!(months_ago(0), "a few weeks ago");
        assert_eq!(months_ago(1), "one month ago");
        assert_eq!(months_ago(7), "seven months ago");
        assert_eq!(months_ago(12), "a year ago");
        assert_eq!(months_ago(18), "18 months ago");
        assert_eq!(capitalized(&months_ago(6)), "Six months ago");
    }

    #[test]
    fn whole_months_count_completed_months() {
        assert_eq!(whole_months(date(2019, 12, 12), date(2020, 7, 12)), 7);
        assert_eq!(whole_months(date(2019, 12, 12), date(2020, 7, 11)), 6);
        assert_eq!(whole_months(date(2019, 12, 12), date(2019, 12, 30)), 0);
        assert_eq!(whole_months(date(2020, 1, 1), date(2019, 1, 1)), 0);
    }
}
