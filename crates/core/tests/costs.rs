//! Parts, labour and the job's total against its quote.

use crate::common::{open_shop, take_in_h100, tech, TECH};
use revive_core::jobs::costs::{LaborAdjustmentForm, PartForm};
use revive_core::settings::SettingsForm;
use revive_core::workshop::Workshop;
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

fn rate(shop: &Workshop, amount: &str, currency: &str) {
    let form = SettingsForm {
        language: "en".into(),
        technicians: vec![TECH.into()],
        current_technician: TECH.into(),
        labor_rate: amount.into(),
        labor_currency: currency.into(),
        ..Default::default()
    };
    shop.save_settings(&form).unwrap();
}

#[test]
fn parts_and_labour_add_up_against_the_quote() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop); // quoted CNY 12,000
    rate(&shop, "300", "CNY");
    shop.costs().add_part(job, &part("TDA21490", "2", "85.50"), &tech(&shop)).unwrap();
    let costs = shop.costs().add_part(job, &part("GRM31CR60J", "10", "1.20"), &tech(&shop)).unwrap();
    assert_eq!(costs.parts_total.minor, 2 * 8_550 + 10 * 120);

    let costs =
        shop.costs().adjust_labor(job, &minutes("90", "Reflow under the microscope, not timed"), &tech(&shop)).unwrap();
    assert_eq!(costs.labor_seconds, 90 * 60);
    assert_eq!(costs.labor_total.unwrap().minor, 45_000, "1.5 h at CNY 300");
    assert_eq!(costs.total.minor, 18_300 + 45_000);
    assert_eq!(costs.over_quote, 63_300 - 1_200_000);

    let costs = shop.costs().adjust_labor(job, &minutes("-30", "Counted twice"), &tech(&shop)).unwrap();
    assert_eq!(costs.labor_seconds, 60 * 60);
    assert_eq!(costs.adjustments.len(), 2);

    let first = costs.parts[0].id;
    let costs = shop.costs().remove_part(job, first, &tech(&shop)).unwrap();
    assert_eq!(costs.parts.len(), 1);
    let kinds: Vec<String> =
        shop.jobs().get(job).unwrap().events.iter().map(|e| e.event.to_columns().unwrap().0).collect();
    assert!(
        kinds.contains(&"part_added".into())
            && kinds.contains(&"part_removed".into())
            && kinds.contains(&"labor_adjusted".into())
    );
}

#[test]
fn labour_in_another_currency_is_left_unpriced() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    rate(&shop, "45", "USD");
    let costs = shop.costs().adjust_labor(job, &minutes("60", "Bench time"), &tech(&shop)).unwrap();
    assert_eq!((costs.labor_rate, costs.labor_total), (None, None));
}

#[test]
fn bad_parts_and_adjustments_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in_h100(&shop);
    let problem = |result: Result<_, CoreError>| match result.unwrap_err() {
        CoreError::Invalid { field, problem } => (field, problem),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        problem(shop.costs().add_part(job, &part(" ", "1", "1"), &tech(&shop))),
        (Field::PartNumber, Problem::Empty)
    );
    assert_eq!(
        problem(shop.costs().add_part(job, &part("P1", "0", "1"), &tech(&shop))),
        (Field::Quantity, Problem::OutOfRange { min: 1, max: 10_000 })
    );
    assert_eq!(
        problem(shop.costs().add_part(job, &part("P1", "two", "1"), &tech(&shop))),
        (Field::Quantity, Problem::BadFormat)
    );
    assert_eq!(
        problem(shop.costs().add_part(job, &part("P1", "1", "-5"), &tech(&shop))),
        (Field::UnitCost, Problem::Negative)
    );
    assert_eq!(
        problem(shop.costs().adjust_labor(job, &minutes("15", " "), &tech(&shop))),
        (Field::Reason, Problem::Empty)
    );
    assert_eq!(
        problem(shop.costs().adjust_labor(job, &minutes("0", "x"), &tech(&shop))),
        (Field::Minutes, Problem::OutOfRange { min: 1, max: 2_400 })
    );
    assert_eq!(problem(shop.costs().remove_part(job, 42, &tech(&shop))), (Field::Part, Problem::Unknown));
    assert!(matches!(shop.costs().add_part(99, &part("P1", "1", "1"), &tech(&shop)), Err(CoreError::JobNotFound(99))));
    let costs = shop.costs().for_job(job).unwrap();
    assert!(costs.parts.is_empty() && costs.adjustments.is_empty());
    assert_eq!(costs.total.minor, 0);
}
