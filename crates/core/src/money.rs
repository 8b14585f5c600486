//! Quotes are kept in minor units (fen, cents) so sums and exports never suffer float rounding.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, Field, Problem};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub enum Currency {
    #[serde(rename = "CNY")]
    Cny,
    #[serde(rename = "USD")]
    Usd,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Cny => "CNY",
            Currency::Usd => "USD",
        }
    }

    pub fn parse(code: &str) -> CoreResult<Self> {
        match code.trim() {
            "CNY" => Ok(Currency::Cny),
            "USD" => Ok(Currency::Usd),
            "" => Err(CoreError::invalid(Field::QuoteCurrency, Problem::Empty)),
            _ => Err(CoreError::invalid(Field::QuoteCurrency, Problem::Unknown)),
        }
    }
}

/// A repair quote above this (in major units) is a typo, not a price: a new H100 costs less.
pub const MAX_QUOTE_MAJOR: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    /// Parses what a person typed: digits, an optional `.` with up to two decimals, and `,` or
    /// spaces as thousands separators (`12,000.50`), also typed full-width on a Chinese keyboard
    /// (`１２，０００．５０`). A wrong amount is reported against `field`.
    pub fn parse(amount: &str, currency: &str, field: Field) -> CoreResult<Money> {
        let currency = Currency::parse(currency)?;
        let typed = crate::text::half_width(amount);
        let typed = typed.trim();
        if typed.is_empty() {
            return Err(CoreError::invalid(field, Problem::Empty));
        }
        if typed.starts_with('-') {
            return Err(CoreError::invalid(field, Problem::Negative));
        }
        let (grouped, fraction) = typed.split_once('.').unwrap_or((typed, ""));
        let digits_only = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        // Separators only between groups of three (`12,000`): `12,50` is a decimal comma, not 1250.
        let groups: Vec<&str> = grouped.split([',', ' ']).collect();
        let grouped_right =
            groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|group| group.len() == 3));
        if !groups.iter().all(|group| digits_only(group))
            || !grouped_right
            || !(fraction.is_empty() || digits_only(fraction))
            || typed.ends_with('.')
        {
            return Err(CoreError::invalid(field, Problem::BadFormat));
        }
        let whole = groups.concat();
        if fraction.len() > 2 {
            return Err(CoreError::invalid(field, Problem::TooManyDecimals));
        }
        let too_large = || CoreError::invalid(field, Problem::TooLarge { max: MAX_QUOTE_MAJOR });
        let major: u64 = whole.parse().map_err(|_| too_large())?;
        if major > MAX_QUOTE_MAJOR {
            return Err(too_large());
        }
        let cents: u64 = format!("{fraction:0<2}").parse().unwrap_or(0);
        let minor = major * 100 + cents;
        if minor > MAX_QUOTE_MAJOR * 100 {
            return Err(too_large());
        }
        Ok(Money { minor: minor as i64, currency })
    }

    /// The amount as a paper prints it, grouped by thousands with its currency: `12,000.50 CNY`.
    pub fn printed(self) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let minor = self.minor.unsigned_abs();
        let major = (minor / 100).to_string();
        let mut grouped = String::new();
        for (index, digit) in major.chars().enumerate() {
            if index > 0 && (major.len() - index).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        format!("{sign}{grouped}.{:02} {}", minor % 100, self.currency.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(amount: &str) -> Problem {
        match Money::parse(amount, "CNY", Field::QuoteAmount).unwrap_err() {
            CoreError::Invalid { problem, .. } => problem,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn an_amount_prints_grouped_with_its_currency() {
        let printed = |minor, currency| Money { minor, currency }.printed();
        assert_eq!(printed(1_200_050, Currency::Cny), "12,000.50 CNY");
        assert_eq!(printed(100_000_000, Currency::Usd), "1,000,000.00 USD");
        assert_eq!(printed(5, Currency::Cny), "0.05 CNY");
        assert_eq!(printed(-99_900, Currency::Cny), "-999.00 CNY");
    }

    #[test]
    fn parses_typed_amounts_into_minor_units() {
        assert_eq!(Money::parse("12000", "CNY", Field::QuoteAmount).unwrap().minor, 1_200_000);
        assert_eq!(
            Money::parse(" 12,000.5 ", "USD", Field::QuoteAmount).unwrap(),
            Money { minor: 1_200_050, currency: Currency::Usd }
        );
        // From a Chinese keyboard in full-width mode.
        assert_eq!(Money::parse("１２，０００．５", "CNY", Field::QuoteAmount).unwrap().minor, 1_200_050);
        assert_eq!(
            Money::parse("－５", "CNY", Field::QuoteAmount).unwrap_err().to_string(),
            "invalid QuoteAmount: Negative"
        );
        assert_eq!(Money::parse("0.07", "CNY", Field::QuoteAmount).unwrap().minor, 7);
        assert_eq!(Money::parse("1000000", "CNY", Field::QuoteAmount).unwrap().minor, 100_000_000);
    }

    #[test]
    fn refuses_bad_amounts() {
        assert_eq!(problem(""), Problem::Empty);
        assert_eq!(problem("-5"), Problem::Negative);
        assert_eq!(problem("abc"), Problem::BadFormat);
        assert_eq!(problem("1e9"), Problem::BadFormat);
        assert_eq!(problem(".5"), Problem::BadFormat);
        assert_eq!(problem("NaN"), Problem::BadFormat);
        assert_eq!(problem("1.005"), Problem::TooManyDecimals);
        assert_eq!(problem("1000000.01"), Problem::TooLarge { max: MAX_QUOTE_MAJOR });
        assert_eq!(problem("99999999999999999999999"), Problem::TooLarge { max: MAX_QUOTE_MAJOR });
        // A decimal comma, or separators in the wrong places, are not thousands.
        for typed in ["12,50", "1,2345", "1234,567", "12,,000", ",500", "12,000,", "１２，５０", "5."] {
            assert_eq!(problem(typed), Problem::BadFormat, "{typed}");
        }
        assert_eq!(Money::parse("234 567", "CNY", Field::QuoteAmount).unwrap().minor, 23_456_700);
        assert_eq!(Money::parse("１，２３４．５０", "CNY", Field::QuoteAmount).unwrap().minor, 123_450);
    }

    #[test]
    fn refuses_unknown_currency() {
        assert!(matches!(
            Money::parse("1", "EUR", Field::QuoteAmount).unwrap_err(),
            CoreError::Invalid { field: Field::QuoteCurrency, problem: Problem::Unknown }
        ));
    }
}
