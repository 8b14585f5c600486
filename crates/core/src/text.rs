//! Cleaning of free text typed by a person or a barcode scanner, so every stored string is trimmed,
//! bounded and free of control characters that would corrupt exports and certificates.

use crate::error::{CoreError, CoreResult, Field, Problem};

/// Where line breaks are acceptable.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Trims `raw` and checks its length (in characters) and characters; `Ok(None)` when blank.
pub fn optional(raw: &str, field: Field, max: usize, lines: Lines) -> CoreResult<Option<String>> {
    let normalized = if lines == Lines::Multi { raw.replace("\r\n", "\n") } else { raw.to_owned() };
    let trimmed = normalized.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > max {
        return Err(CoreError::invalid(field, Problem::TooLong { max: max as u64 }));
    }
    let allowed_control = |c: char| lines == Lines::Multi && (c == '\n' || c == '\t');
    if trimmed.chars().any(|c| c.is_control() && !allowed_control(c)) {
        return Err(CoreError::invalid(field, Problem::ControlCharacters));
    }
    Ok(Some(trimmed.to_owned()))
}

/// Like [`optional`], but blank is an error.
pub fn required(raw: &str, field: Field, max: usize, lines: Lines) -> CoreResult<String> {
    optional(raw, field, max, lines)?.ok_or(CoreError::invalid(field, Problem::Empty))
}

/// Identifiers printed on labels (serials, part numbers): ASCII letters, digits and `-_./`, no spaces.
pub fn label_code(raw: &str, field: Field, max: usize) -> CoreResult<Option<String>> {
    let Some(value) = optional(raw, field, max, Lines::Single)? else {
        return Ok(None);
    };
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) {
        return Err(CoreError::invalid(field, Problem::DisallowedCharacters));
    }
    Ok(Some(value))
}

/// Escapes `%`, `_` and the escape character itself for a `LIKE ... ESCAPE '\'` pattern.
pub fn like_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_accepts_plain_text() {
        assert_eq!(required("  ACME  ", Field::CustomerName, 10, Lines::Single).unwrap(), "ACME");
    }

    #[test]
    fn blank_is_empty() {
        let err = required(" \t ", Field::CustomerName, 10, Lines::Single).unwrap_err();
        assert!(matches!(err, CoreError::Invalid { problem: Problem::Empty, .. }));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(required("显卡显卡显卡", Field::CustomerName, 6, Lines::Single).is_ok());
        let err = required("显卡显卡显卡显", Field::CustomerName, 6, Lines::Single).unwrap_err();
        assert!(matches!(err, CoreError::Invalid { problem: Problem::TooLong { max: 6 }, .. }));
    }

    #[test]
    fn control_characters_are_refused_but_multiline_keeps_newlines() {
        assert!(required("a\u{0}b", Field::ConditionNote, 10, Lines::Multi).is_err());
        assert!(required("a\nb", Field::CustomerName, 10, Lines::Single).is_err());
        assert_eq!(required("a\r\nb", Field::ConditionNote, 10, Lines::Multi).unwrap(), "a\nb");
    }

    #[test]
    fn label_codes_refuse_spaces_and_symbols() {
        assert_eq!(label_code("1654922012345", Field::BoardSerial, 64).unwrap().unwrap(), "1654922012345");
        assert!(label_code("16549 22012345", Field::BoardSerial, 64).is_err());
        assert!(label_code("=cmd|calc", Field::BoardSerial, 64).is_err());
    }

    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(like_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }
}
