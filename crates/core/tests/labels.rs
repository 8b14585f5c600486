//! The ticket label a job prints, and a scanned label opening its job: the label's code names the
//! ticket and the card, so a label from another shop or stuck on another card is refused, never
//! opened as if it were right.

use revive_core::error::{CoreError, ErrorCode, Field, Problem};
use revive_core::jobs::intake::IntakeForm;
use revive_core::jobs::label::label_code;
use revive_core::settings::{LabelSize, Language, SettingsForm};

use crate::common::{open_shop, tech, TECH};

fn take_in(shop: &revive_core::workshop::Workshop, serial: &str, customer: &str) -> i64 {
    let form = IntakeForm {
        customer_name: customer.into(),
        model_id: "h100-sxm5-80gb".into(),
        board_serial: serial.into(),
        symptom_observed: "Xid 79，掉卡".into(),
        quote_amount: "１２０００".into(),
        quote_currency: "CNY".into(),
        ..Default::default()
    };
    shop.jobs().intake(&form, &tech(shop)).unwrap().id
}

#[test]
fn a_job_prints_its_label_in_the_shops_language_size_and_day() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let id = take_in(&shop, "1654922012345", "深圳市南山区算力科技有限公司华南维修中心");
    let form = SettingsForm {
        language: "zh-CN".into(),
        technicians: vec![TECH.into()],
        current_technician: TECH.into(),
        label_size: "label100x150".into(),
        ..Default::default()
    };
    let settings = shop.save_settings(&form).unwrap();
    let job = shop.jobs().get(id).unwrap();
    let shanghai = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();

    let label = shop.jobs().label(id, &settings, &shanghai).unwrap();
    assert_eq!(label.ticket, job.ticket);
    assert_eq!(label.code, label_code(&job.ticket, "1654922012345"));
    assert_eq!(label.model, "H100 SXM5 80GB");
    assert_eq!((label.language, label.size), (Language::SimplifiedChinese, LabelSize::Label100x150));
    assert_eq!(label.customer, "深圳市南山区算…");
    // Taken in "now": the day is Shanghai's, whatever UTC says.
    let today = shanghai.to_datetime(jiff::Timestamp::now()).date().to_string();
    assert_eq!(label.received, today);

    let bad = SettingsForm { label_size: "a4".into(), ..form };
    let refused = shop.save_settings(&bad).unwrap_err();
    assert!(matches!(refused, CoreError::Invalid { field: Field::LabelSize, problem: Problem::Unknown }), "{refused}");
    assert_eq!(shop.settings().unwrap().label_size, LabelSize::Label100x150, "nothing was saved");
}

#[test]
fn a_scanned_label_opens_its_job_and_a_wrong_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let first = take_in(&shop, "1654922012345", "王芳");
    let second = take_in(&shop, "1654922099999", "José Müller");
    let ticket = |id| shop.jobs().get(id).unwrap().ticket;
    let jobs = shop.jobs();

    assert_eq!(jobs.for_label(&label_code(&ticket(first), "1654922012345")).unwrap(), Some(first));
    assert_eq!(jobs.for_label(&label_code(&ticket(second), "1654922099999")).unwrap(), Some(second));
    // A scanner typing through a Chinese keyboard in full-width mode.
    let full_width: String = label_code(&ticket(second), "1654922099999")
        .chars()
        .map(|c| if c.is_ascii_graphic() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c })
        .collect();
    assert_eq!(jobs.for_label(&full_width).unwrap(), Some(second));

    // Not a label: the search goes on as typed.
    for search in ["1654922012345", &ticket(first), "王芳", ""] {
        assert_eq!(jobs.for_label(search).unwrap(), None, "{search}");
    }
    // The first job's label stuck on the second card's bag (its serial is the second card's).
    let swapped = jobs.for_label(&label_code(&ticket(first), "1654922099999")).unwrap_err();
    assert_eq!(swapped.code(), ErrorCode::LabelForAnotherCard);
    // Another shop's ticket.
    let elsewhere = jobs.for_label(&label_code("RV-2026-Z-000001", "1654922012345")).unwrap_err();
    assert_eq!(elsewhere.code(), ErrorCode::LabelNotHere);
}
