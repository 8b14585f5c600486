//! What a technician fills in when a GPU arrives, and its validation into a clean record.

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::models::ModelCatalog;
use crate::money::Money;
use crate::text::{self, Lines};

pub const MAX_NAME: usize = 200;
pub const MAX_CODE: usize = 64;
pub const MAX_SYMPTOM: usize = 2_000;
pub const MAX_NOTE: usize = 4_000;
pub const MAX_LOCATION: usize = 32;

/// Visual condition at intake, from the shop's checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    BentPins,
    MissingPins,
    BurntComponents,
    CrackedPcb,
    MissingScrews,
    MissingSeals,
    WarrantySealBroken,
}

impl Condition {
    pub const ALL: [Condition; 7] = [
        Condition::BentPins,
        Condition::MissingPins,
        Condition::BurntComponents,
        Condition::CrackedPcb,
        Condition::MissingScrews,
        Condition::MissingSeals,
        Condition::WarrantySealBroken,
    ];

    fn parse(id: &str) -> CoreResult<Condition> {
        use serde::de::IntoDeserializer;
        let id: serde::de::value::StrDeserializer<'_, serde::de::value::Error> = id.into_deserializer();
        Condition::deserialize(id).map_err(|_| CoreError::invalid(Field::Condition, Problem::Unknown))
    }
}

/// The intake form exactly as typed; every field is text so that nothing is rejected before the
/// core can say precisely what is wrong with it.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(default, rename_all = "camelCase")]
pub struct IntakeForm {
    pub customer_name: String,
    pub customer_contact: String,
    pub model_id: String,
    pub board_serial: String,
    pub gpu_uuid: String,
    pub board_part_number: String,
    pub symptom_observed: String,
    pub symptom_when: String,
    pub symptom_how: String,
    pub symptom_frequency: String,
    pub symptom_changes: String,
    pub conditions: Vec<String>,
    pub condition_note: String,
    pub quote_amount: String,
    pub quote_currency: String,
    pub bench_location: String,
}

/// NVIDIA's incident questions: what, when, how, how often / how widely, what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Symptoms {
    pub observed: String,
    pub when: Option<String>,
    pub how: Option<String>,
    pub frequency: Option<String>,
    pub changes: Option<String>,
}

/// A validated intake, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Intake {
    pub customer_name: String,
    pub customer_contact: String,
    pub model_id: String,
    pub board_serial: String,
    pub gpu_uuid: Option<String>,
    pub board_part_number: Option<String>,
    pub symptoms: Symptoms,
    pub conditions: Vec<Condition>,
    pub condition_note: Option<String>,
    pub quote: Money,
    pub bench_location: Option<String>,
}

impl IntakeForm {
    pub fn validate(&self, models: &ModelCatalog) -> CoreResult<Intake> {
        let symptom = |raw: &str, field| text::optional(raw, field, MAX_SYMPTOM, Lines::Multi);
        let board_serial = text::label_code(&self.board_serial, Field::BoardSerial, MAX_CODE)?
            .ok_or(CoreError::invalid(Field::BoardSerial, Problem::Empty))?;
        Ok(Intake {
            customer_name: text::required(&self.customer_name, Field::CustomerName, MAX_NAME, Lines::Single)?,
            customer_contact: text::optional(&self.customer_contact, Field::CustomerContact, MAX_NAME, Lines::Single)?
                .unwrap_or_default(),
            model_id: models.get(self.model_id.trim())?.id.clone(),
            board_serial,
            gpu_uuid: gpu_uuid(&self.gpu_uuid)?,
            board_part_number: text::label_code(&self.board_part_number, Field::BoardPartNumber, MAX_CODE)?,
            symptoms: Symptoms {
                observed: text::required(&self.symptom_observed, Field::SymptomObserved, MAX_SYMPTOM, Lines::Multi)?,
                when: symptom(&self.symptom_when, Field::SymptomWhen)?,
                how: symptom(&self.symptom_how, Field::SymptomHow)?,
                frequency: symptom(&self.symptom_frequency, Field::SymptomFrequency)?,
                changes: symptom(&self.symptom_changes, Field::SymptomChanges)?,
            },
            conditions: conditions(&self.conditions)?,
            condition_note: text::optional(&self.condition_note, Field::ConditionNote, MAX_NOTE, Lines::Multi)?,
            quote: Money::parse(&self.quote_amount, &self.quote_currency, Field::QuoteAmount)?,
            bench_location: text::optional(&self.bench_location, Field::BenchLocation, MAX_LOCATION, Lines::Single)?,
        })
    }
}

fn conditions(ids: &[String]) -> CoreResult<Vec<Condition>> {
    let mut parsed = Vec::new();
    for id in ids {
        let condition = Condition::parse(id)?;
        if parsed.contains(&condition) {
            return Err(CoreError::invalid(Field::Condition, Problem::Duplicate));
        }
        parsed.push(condition);
    }
    Ok(parsed)
}

/// NVML prints UUIDs as `GPU-` + 8-4-4-4-12 hex; accept it with or without the prefix, in any case.
fn gpu_uuid(raw: &str) -> CoreResult<Option<String>> {
    let Some(value) = text::optional(raw, Field::GpuUuid, MAX_CODE, Lines::Single)? else {
        return Ok(None);
    };
    let lower = value.to_ascii_lowercase();
    let hex = lower.strip_prefix("gpu-").unwrap_or(&lower);
    let groups: Vec<&str> = hex.split('-').collect();
    let shape_ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
    if !shape_ok {
        return Err(CoreError::invalid(Field::GpuUuid, Problem::BadFormat));
    }
    Ok(Some(format!("GPU-{hex}")))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn valid_form() -> IntakeForm {
        IntakeForm {
            customer_name: "Deep Compute Ltd".into(),
            customer_contact: "ops@deepcompute.example".into(),
            model_id: "h100-sxm5-80gb".into(),
            board_serial: "1654922012345".into(),
            gpu_uuid: "GPU-5B0C1E6A-2F3D-4A1B-9C8D-7E6F5A4B3C2D".into(),
            board_part_number: "692-2G520-0200-000".into(),
            symptom_observed: "Xid 63 then Xid 64 under training load".into(),
            symptom_when: "Since 2026-11-02".into(),
            symptom_how: "".into(),
            symptom_frequency: "Every run, 1 of 8 GPUs".into(),
            symptom_changes: "".into(),
            conditions: vec!["bent_pins".into(), "warranty_seal_broken".into()],
            condition_note: "Heatsink scratched".into(),
            quote_amount: "12,000".into(),
            quote_currency: "CNY".into(),
            bench_location: "B-03".into(),
        }
    }

    fn problem_of(form: IntakeForm) -> (Field, Problem) {
        match form.validate(&crate::workshop::Catalogs::built_in().unwrap().models).unwrap_err() {
            CoreError::Invalid { field, problem } => (field, problem),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn valid_form_is_cleaned() {
        let intake = valid_form().validate(&crate::workshop::Catalogs::built_in().unwrap().models).unwrap();
        assert_eq!(intake.gpu_uuid.as_deref(), Some("GPU-5b0c1e6a-2f3d-4a1b-9c8d-7e6f5a4b3c2d"));
        assert_eq!(intake.conditions, [Condition::BentPins, Condition::WarrantySealBroken]);
        assert_eq!(intake.quote.minor, 1_200_000);
        assert_eq!(intake.symptoms.how, None);
    }

    #[test]
    fn each_bad_field_is_named() {
        type Breakage = fn(&mut IntakeForm);
        let cases: Vec<(Breakage, Field, Problem)> = vec![
            (|f| f.board_serial = "   ".into(), Field::BoardSerial, Problem::Empty),
            (|f| f.board_serial = "165\u{7}49".into(), Field::BoardSerial, Problem::ControlCharacters),
            (|f| f.customer_name = String::new(), Field::CustomerName, Problem::Empty),
            (|f| f.model_id = "h100-ultra".into(), Field::Model, Problem::Unknown),
            (|f| f.gpu_uuid = "GPU-1234".into(), Field::GpuUuid, Problem::BadFormat),
            (|f| f.symptom_observed = " ".into(), Field::SymptomObserved, Problem::Empty),
            (
                |f| f.condition_note = "x".repeat(1_000_000),
                Field::ConditionNote,
                Problem::TooLong { max: MAX_NOTE as u64 },
            ),
            (|f| f.conditions = vec!["on_fire".into()], Field::Condition, Problem::Unknown),
            (|f| f.conditions = vec!["bent_pins".into(), "bent_pins".into()], Field::Condition, Problem::Duplicate),
            (|f| f.quote_amount = "-1".into(), Field::QuoteAmount, Problem::Negative),
            (|f| f.quote_amount = "5000000".into(), Field::QuoteAmount, Problem::TooLarge { max: 1_000_000 }),
            (|f| f.quote_currency = "BTC".into(), Field::QuoteCurrency, Problem::Unknown),
            (|f| f.bench_location = "A".repeat(33), Field::BenchLocation, Problem::TooLong { max: 32 }),
        ];
        for (break_it, field, problem) in cases {
            let mut form = valid_form();
            break_it(&mut form);
            assert_eq!(problem_of(form), (field, problem));
        }
    }
}
