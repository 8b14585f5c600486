//! What a person types to start a stress run — on the Bench's form or on the command line —
//! turned into a request, with digits from a Chinese keyboard read as digits.

use serde::Deserialize;

use super::memtest::MemoryTestPlan;
use super::patterns::Pattern;
use super::supervise::StressRequest;
use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::text::half_width;

/// The Bench's stress form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct StressForm {
    pub gpus: Vec<u32>,
    pub memory_test: bool,
    /// Memory-test passes.
    pub passes: String,
    /// Minutes bit fade waits; empty for no bit fade.
    pub bit_fade_minutes: String,
    /// Minutes of burn-in; empty for none.
    pub burn_in_minutes: String,
}

impl StressForm {
    /// The request the form asks for; `seed` seeds the random pattern.
    pub fn request(&self, seed: u64) -> CoreResult<StressRequest> {
        let minutes = |text: &str, field| -> CoreResult<Option<u64>> {
            let text = half_width(text);
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text.parse().map(Some).map_err(|_| CoreError::invalid(field, Problem::BadFormat))
        };
        let burn_in_seconds = minutes(&self.burn_in_minutes, Field::BurnInDuration)?.map(|m| m.saturating_mul(60));
        let memory = if self.memory_test {
            let passes = minutes(&self.passes, Field::MemoryPasses)?.unwrap_or(1);
            let fade = minutes(&self.bit_fade_minutes, Field::MemoryPatterns)?.map(|m| m.saturating_mul(60));
            Some(memory_plan(u32::try_from(passes).unwrap_or(u32::MAX), fade, seed))
        } else {
            None
        };
        Ok(StressRequest { gpus: self.gpus.clone(), burn_in_seconds, memory })
    }
}

/// Every standard pattern, plus bit fade waiting `fade_wait_seconds` when asked for.
pub fn memory_plan(passes: u32, fade_wait_seconds: Option<u64>, seed: u64) -> MemoryTestPlan {
    let mut patterns = Pattern::STANDARD.to_vec();
    patterns.extend(fade_wait_seconds.map(|_| Pattern::BitFade));
    MemoryTestPlan { patterns, passes, fade_wait_seconds: fade_wait_seconds.unwrap_or(0), seed }
}

/// `90s`, `45m`, `2h`, `1h30m` in seconds, a unit after every number; full-width forms count.
pub fn parse_duration(text: &str) -> CoreResult<u64> {
    let wrong = || CoreError::invalid(Field::BurnInDuration, Problem::BadFormat);
    let text = half_width(text).trim().to_ascii_lowercase();
    let (mut total, mut digits) = (0u64, String::new());
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(wrong()),
        };
        let value: u64 = digits.parse().map_err(|_| wrong())?;
        total = value.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(wrong)?;
        digits.clear();
    }
    if !digits.is_empty() || total == 0 {
        return Err(wrong());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_type_them() {
        assert_eq!(parse_duration("60m").unwrap(), 3600);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400);
        assert_eq!(parse_duration("90s").unwrap(), 90);
        assert_eq!(parse_duration("２ｈ").unwrap(), 7200);
        assert_eq!(parse_duration(" 1H ").unwrap(), 3600);
        for wrong in ["", "60", "m", "1x", "-5m", "0m", "99999999999999999999h", "１.5h", "二小时"] {
            assert!(parse_duration(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn the_form_takes_full_width_digits_and_refuses_words() {
        let form = StressForm {
            gpus: vec![0, 3],
            memory_test: true,
            passes: "２".into(),
            bit_fade_minutes: "".into(),
            burn_in_minutes: " １２０ ".into(),
        };
        let request = form.request(9).unwrap();
        assert_eq!((request.burn_in_seconds, request.gpus.clone()), (Some(7200), vec![0, 3]));
        let memory = request.memory.unwrap();
        assert_eq!((memory.passes, memory.patterns.len(), memory.seed), (2, Pattern::STANDARD.len(), 9));
        let faded = StressForm { bit_fade_minutes: "10".into(), ..form.clone() }.request(1).unwrap().memory.unwrap();
        assert_eq!((faded.fade_wait_seconds, faded.patterns.last()), (600, Some(&Pattern::BitFade)));
        let words = StressForm { burn_in_minutes: "两小时".into(), ..form.clone() };
        assert!(matches!(
            words.request(1),
            Err(CoreError::Invalid { field: Field::BurnInDuration, problem: Problem::BadFormat })
        ));
        let none = StressForm { memory_test: false, burn_in_minutes: String::new(), ..form };
        let empty = none.request(1).unwrap();
        assert!(empty.memory.is_none() && empty.burn_in_seconds.is_none());
    }
}
