//! Cleaning of free text typed by a person or a barcode scanner, so every stored string is trimmed,
//! bounded and free of control characters that would corrupt exports and certificates, and of
//! invisible or direction-changing characters that would make a name read as something it is not.

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
    let trimmed = normalized.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    if trimmed.is_empty() {
        return match normalized.trim().is_empty() {
            true => Ok(None),
            false => Err(CoreError::invalid(field, Problem::Invisible)),
        };
    }
    if trimmed.chars().any(is_direction_control) {
        return Err(CoreError::invalid(field, Problem::DirectionControls));
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

/// Unicode's explicit direction marks, embeddings, overrides and isolates (Bidi_Control).
fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that draw nothing and are not spaces: zero-width spaces and joiners, the word joiner
/// and invisible operators, the byte-order mark, soft hyphen, and the fillers of Hangul and Braille.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
    )
}

/// Like [`optional`], but blank is an error.
pub fn required(raw: &str, field: Field, max: usize, lines: Lines) -> CoreResult<String> {
    optional(raw, field, max, lines)?.ok_or(CoreError::invalid(field, Problem::Empty))
}

/// Identifiers printed on labels (serials, part numbers): ASCII letters, digits and `-_./`, no spaces.
/// Typed on a Chinese keyboard they may arrive full-width (`１６５４９`): those read as the ASCII they show.
pub fn label_code(raw: &str, field: Field, max: usize) -> CoreResult<Option<String>> {
    let Some(value) = optional(&half_width(raw), field, max, Lines::Single)? else {
        return Ok(None);
    };
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) {
        return Err(CoreError::invalid(field, Problem::DisallowedCharacters));
    }
    Ok(Some(value))
}

/// Full-width ASCII forms (U+FF01–U+FF5E) and the ideographic space as their plain ASCII.
pub fn half_width(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// Full-width digits, Latin letters and hyphens as their ASCII, for text searched in records where
/// they are stored plain (serials, tickets); Chinese punctuation such as `，` stays as typed, since
/// notes hold it so.
pub fn half_width_alphanumerics(raw: &str) -> String {
    raw.chars()
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' | '－' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        })
        .collect()
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
    fn text_of_invisible_characters_only_is_refused() {
        for raw in ["\u{200B}", " \u{200B}\u{200B} ", "\u{FEFF}", "\u{3164}", "\u{2060}\u{200D}"] {
            let err = optional(raw, Field::CustomerName, 100, Lines::Single).unwrap_err();
            assert!(matches!(err, CoreError::Invalid { problem: Problem::Invisible, .. }), "{raw:?}");
        }
        // Invisible characters around a real name go, the name stays; joiners inside it stay too.
        assert_eq!(required("\u{200B}王芳\u{FEFF}", Field::CustomerName, 10, Lines::Single).unwrap(), "王芳");
        assert_eq!(required("👨\u{200D}🔧", Field::CustomerName, 10, Lines::Single).unwrap(), "👨\u{200D}🔧");
    }

    #[test]
    fn direction_controls_are_refused_anywhere() {
        // "José" followed by a right-to-left override would display the rest of the line backwards.
        for raw in ["José\u{202E}gnp.exe", "\u{202E}深圳华强北", "A\u{2066}B\u{2069}", "a\u{200F}b", "x\u{061C}y"]
        {
            let err = optional(raw, Field::CustomerName, 100, Lines::Single).unwrap_err();
            assert!(matches!(err, CoreError::Invalid { problem: Problem::DirectionControls, .. }), "{raw:?}");
        }
        let alone = required("\u{202E}", Field::CustomerName, 10, Lines::Single).unwrap_err();
        assert!(matches!(alone, CoreError::Invalid { problem: Problem::DirectionControls, .. }));
    }

    #[test]
    fn label_codes_refuse_spaces_and_symbols() {
        assert_eq!(label_code("1654922012345", Field::BoardSerial, 64).unwrap().unwrap(), "1654922012345");
        assert!(label_code("16549 22012345", Field::BoardSerial, 64).is_err());
        assert!(label_code("=cmd|calc", Field::BoardSerial, 64).is_err());
        assert_eq!(label_code("１６５４９２２０１２３４５", Field::BoardSerial, 64).unwrap().unwrap(), "1654922012345");
        assert_eq!(label_code("ＰＧ５２０－Ａ", Field::BoardPartNumber, 64).unwrap().unwrap(), "PG520-A");
    }

    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(like_pattern("50%_a\\"), "%50\\%\\_a\\\\%");
    }
}
