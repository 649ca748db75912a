//! Integers from JSON bodies. JSON Schema counts `3.0` as an integer, so clients and
//! fuzzers may send it; serde's integer types refuse it. These accept any number with no
//! fractional part within the target type's range. Use with `deserialize_with`.

use serde::Deserialize;
use serde::de::{Deserializer, Error};

fn to_int<T: TryFrom<i64>, E: Error>(number: serde_json::Number) -> Result<T, E> {
    let whole = number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    });
    whole
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| E::custom(format!("expected a whole number in range, got {number}")))
}

pub fn int<'de, D: Deserializer<'de>, T: TryFrom<i64>>(deserializer: D) -> Result<T, D::Error> {
    to_int(serde_json::Number::deserialize(deserializer)?)
}

pub fn optional_int<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    Option::<serde_json::Number>::deserialize(deserializer)?
        .map(to_int)
        .transpose()
}

pub fn int_list<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    Vec::<serde_json::Number>::deserialize(deserializer)?
        .into_iter()
        .map(to_int)
        .collect()
}

pub fn optional_int_list<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    deserializer: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Option::<Vec<serde_json::Number>>::deserialize(deserializer)?
        .map(|list| list.into_iter().map(to_int).collect())
        .transpose()
}

/// A field of a JSON merge patch (RFC 7396), with `#[serde(default)]`: left out is `None`,
/// `null` is `Some(None)`, a value is `Some(Some(value))`.
pub fn patch<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// [`patch`] of a whole number, read as [`optional_int`] reads it.
pub fn patch_int<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    optional_int(deserializer).map(Some)
}

/// [`patch`] of a list of whole numbers.
pub fn patch_int_list<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    deserializer: D,
) -> Result<Option<Option<Vec<T>>>, D::Error> {
    optional_int_list(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    struct Sample {
        #[serde(deserialize_with = "super::int")]
        n: i32,
        #[serde(default, deserialize_with = "super::optional_int")]
        m: Option<u8>,
    }

    #[test]
    fn whole_floats_are_integers() {
        let sample: Sample = serde_json::from_str(r#"{"n": 410.0, "m": 3}"#).unwrap();
        assert_eq!((sample.n, sample.m), (410, Some(3)));
    }

    #[test]
    fn fractions_and_overflow_are_refused() {
        assert!(serde_json::from_str::<Sample>(r#"{"n": 1.5}"#).is_err());
        assert!(serde_json::from_str::<Sample>(r#"{"n": 1, "m": 300}"#).is_err());
        assert!(serde_json::from_str::<Sample>(r#"{"n": 1e300}"#).is_err());
    }
}
