//! Parts, labour and the job's total against its quote.

mod common;

use common::{take_in_h100, TECH};
use revive_core::jobs::costs::{add_part, adjust_labor, for_job, remove_part, LaborAdjustmentForm, PartForm};
use revive_core::settings::{Settings, SettingsForm};
use revive_core::store::Store;
use revive_core::{CoreError, Field, Problem};

fn part(number: &str, quantity: &str, cost: &str) -> PartForm {
    PartForm {
        part_number: number.into(),
        description: "Power stage".into(),
        quantity: quantity.into(),
        unit_cost: cost.into(),
    }
}

fn minutes(value: &str, reason: &str) -> LaborAdjustmentForm {
    LaborAdjustmentForm { minutes: value.into(), reason: reason.into() }
}

fn rate(store: &Store, amount: &str, currency: &str) {
    let form = SettingsForm {
        language: "en".into(),
        technicians: vec![TECH.into()],
        current_technician: TECH.into(),
        labor_rate: amount.into(),
        labor_currency: currency.into(),
        ..Default::default()
    };
    Settings::save(store, &form).unwrap();
}

#[test]
fn parts_and_labour_add_up_against_the_quote() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    let job = take_in_h100(&store); // quoted CNY 12,000
    rate(&store, "300", "CNY");
    add_part(&store, job, &part("TDA21490", "2", "85.50"), TECH).unwrap();
    let costs = add_part(&store, job, &part("GRM31CR60J", "10", "1.20"), TECH).unwrap();
    assert_eq!(costs.parts_total.minor, 2 * 8_550 + 10 * 120);

    let costs = adjust_labor(&store, job, &minutes("90", "Reflow under the microscope, not timed"), TECH).unwrap();
    assert_eq!(costs.labor_seconds, 90 * 60);
    assert_eq!(costs.labor_total.unwrap().minor, 45_000, "1.5 h at CNY 300");
    assert_eq!(costs.total.minor, 18_300 + 45_000);
    assert_eq!(costs.over_quote, 63_300 - 1_200_000);

    let costs = adjust_labor(&store, job, &minutes("-30", "Counted twice"), TECH).unwrap();
    assert_eq!(costs.labor_seconds, 60 * 60);
    assert_eq!(costs.adjustments.len(), 2);

    let first = costs.parts[0].id;
    let costs = remove_part(&store, job, first, TECH).unwrap();
    assert_eq!(costs.parts.len(), 1);
    let kinds: Vec<String> = revive_core::jobs::Jobs::new(&store)
        .unwrap()
        .get(job)
        .unwrap()
        .events
        .iter()
        .map(|e| e.event.to_columns().unwrap().0)
        .collect();
    assert!(
        kinds.contains(&"part_added".into())
            && kinds.contains(&"part_removed".into())
            && kinds.contains(&"labor_adjusted".into())
    );
}

#[test]
fn labour_in_another_currency_is_left_unpriced() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    let job = take_in_h100(&store);
    rate(&store, "45", "USD");
    let costs = adjust_labor(&store, job, &minutes("60", "Bench time"), TECH).unwrap();
    assert_eq!((costs.labor_rate, costs.labor_total), (None, None));
}

#[test]
fn bad_parts_and_adjustments_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    let job = take_in_h100(&store);
    let problem = |result: Result<_, CoreError>| match result.unwrap_err() {
        CoreError::Invalid { field, problem } => (field, problem),
        other => panic!("{other:?}"),
    };
    assert_eq!(problem(add_part(&store, job, &part(" ", "1", "1"), TECH)), (Field::PartNumber, Problem::Empty));
    assert_eq!(
        problem(add_part(&store, job, &part("P1", "0", "1"), TECH)),
        (Field::Quantity, Problem::OutOfRange { min: 1, max: 10_000 })
    );
    assert_eq!(problem(add_part(&store, job, &part("P1", "two", "1"), TECH)), (Field::Quantity, Problem::BadFormat));
    assert_eq!(problem(add_part(&store, job, &part("P1", "1", "-5"), TECH)), (Field::UnitCost, Problem::Negative));
    assert_eq!(problem(adjust_labor(&store, job, &minutes("15", " "), TECH)), (Field::Reason, Problem::Empty));
    assert_eq!(
        problem(adjust_labor(&store, job, &minutes("0", "x"), TECH)),
        (Field::Minutes, Problem::OutOfRange { min: 1, max: 2_400 })
    );
    assert_eq!(problem(remove_part(&store, job, 42, TECH)), (Field::Part, Problem::Unknown));
    assert!(matches!(add_part(&store, 99, &part("P1", "1", "1"), TECH), Err(CoreError::JobNotFound(99))));
    let costs = for_job(&store, job).unwrap();
    assert!(costs.parts.is_empty() && costs.adjustments.is_empty());
    assert_eq!(costs.total.minor, 0);
}
