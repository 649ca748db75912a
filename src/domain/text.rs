/// Trims `value` and checks it is present, printable and at most `max_chars` long.
pub fn required_text(value: &str, max_chars: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    check_printable(trimmed, max_chars)?;
    Ok(trimmed.to_owned())
}

/// Like [`required_text`], but an absent or blank value is `None`.
pub fn optional_text(value: Option<&str>, max_chars: usize) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(trimmed) => {
            check_printable(trimmed, max_chars)?;
            Ok(Some(trimmed.to_owned()))
        }
    }
}

fn check_printable(value: &str, max_chars: usize) -> Result<(), String> {
    // PostgreSQL rejects NUL in text; other control characters are never wanted either.
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err("must not contain control characters".into());
    }
    if value.chars().count() > max_chars {
        return Err(format!("must be at most {max_chars} characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed() {
        assert_eq!(required_text("  AEO  ", 10).unwrap(), "AEO");
    }

    #[test]
    fn blank_required_text_is_rejected() {
        assert!(required_text("   ", 10).is_err());
    }

    #[test]
    fn nul_is_rejected() {
        assert!(required_text("a\0b", 10).is_err());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(required_text("ééé", 3).is_ok());
        assert!(required_text("éééé", 3).is_err());
    }

    #[test]
    fn blank_optional_text_is_none() {
        assert_eq!(optional_text(Some("  "), 5).unwrap(), None);
    }
}
