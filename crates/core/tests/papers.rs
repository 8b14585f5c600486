//! The customer's papers: the intake receipt says what came in as the job records it, the
//! hand-over slip what became of the card; each goes into the job's log the first time it is
//! printed or saved, and from then on every copy is that paper, whatever changes after. A slip is
//! only for a card going back to its customer, and an edit to a paper in the log shows.

use revive_core::certificates::CertificateLanguage;
use revive_core::error::CoreError;
use revive_core::jobs::costs::PartForm;
use revive_core::jobs::intake::{Condition, IntakeForm};
use revive_core::jobs::label::label_code;
use revive_core::jobs::papers::{Paper, PaperKind};
use revive_core::jobs::status::Status;
use revive_core::jobs::StatusChange;
use revive_core::settings::SettingsForm;
use revive_core::store::DATABASE_FILE;
use revive_core::workshop::{Workshop, SHOP_RULES_FOLDER};

use crate::common::{open_shop, repaired_job, seat, tech, TECH};

fn shanghai() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()
}

fn name_the_shop(shop: &Workshop, name: &str) {
    let settings = shop.settings().unwrap();
    let form = SettingsForm {
        shop_name: name.into(),
        shop_address: "深圳市福田区华强北路 1019 号".into(),
        language: "zh-CN".into(),
        technicians: settings.technicians.clone(),
        current_technician: settings.current_technician.clone().unwrap_or_default(),
        ..Default::default()
    };
    shop.save_settings(&form).unwrap();
}

/// 王芳 brings in an H100 with bent pins, typed on a Chinese keyboard.
fn take_in(shop: &Workshop) -> i64 {
    let form = IntakeForm {
        customer_name: "王芳".into(),
        customer_contact: "１３８ ００１３ ８０００".into(),
        model_id: "h100-sxm5-80gb".into(),
        board_serial: "１６５４９２２０１２３４５".into(),
        symptom_observed: "训练中掉卡，Xid 79".into(),
        symptom_frequency: "每次".into(),
        conditions: vec!["bent_pins".into()],
        condition_note: "José 看到散热器有划痕".into(),
        quote_amount: "１２，０００．５".into(),
        quote_currency: "CNY".into(),
        ..Default::default()
    };
    shop.jobs().intake(&form, &tech(shop)).unwrap().id
}

fn receipt_of(shop: &Workshop, job: i64, issue: bool) -> (revive_core::jobs::customer_papers::IntakeReceipt, bool) {
    let on_file = if issue {
        shop.papers().issue(job, PaperKind::IntakeReceipt, &shanghai(), &tech(shop)).unwrap()
    } else {
        shop.papers().paper(job, PaperKind::IntakeReceipt, &shanghai()).unwrap()
    };
    match on_file.paper {
        Paper::IntakeReceipt(receipt) => (receipt, on_file.issued.is_some()),
        other => panic!("not a receipt: {other:?}"),
    }
}

#[test]
fn the_receipt_is_the_intake_and_once_issued_it_never_changes() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in(&shop);
    name_the_shop(&shop, "深圳芯复活 GPU 维修中心");

    let (draft, issued) = receipt_of(&shop, job, false);
    assert!(!issued, "looking at it records nothing");
    let ticket = shop.jobs().get(job).unwrap().ticket;
    assert_eq!(draft.ticket, ticket);
    assert_eq!(draft.code, label_code(&ticket, "1654922012345"));
    assert_eq!((draft.customer.name.as_str(), draft.customer.contact.as_str()), ("王芳", "１３８ ００１３ ８０００"));
    assert_eq!(draft.card.serial, "1654922012345", "typed full-width, printed as the card says");
    assert_eq!(draft.card.model, "H100 SXM5 80GB");
    assert_eq!(draft.conditions, [Condition::BentPins]);
    assert_eq!(draft.symptoms.observed, "训练中掉卡，Xid 79");
    assert_eq!(draft.quote, "12,000.50 CNY");
    assert_eq!(draft.received_by, TECH);
    assert_eq!(draft.shop.name, "深圳芯复活 GPU 维修中心");
    assert!(draft.terms.len() >= 2 && draft.terms.iter().all(|t| !t.en.is_empty() && !t.zh_cn.is_empty()));
    // The time on the clock of a bench in Shenzhen, eight hours ahead of the stored UTC.
    let created: jiff::Timestamp = shop.jobs().get(job).unwrap().created_at.parse().unwrap();
    assert_eq!(draft.received_at, shanghai().to_datetime(created).strftime("%Y-%m-%d %H:%M").to_string());
    assert_ne!(draft.received_at, created.strftime("%Y-%m-%d %H:%M").to_string());

    let (issued_receipt, issued) = receipt_of(&shop, job, true);
    assert!(issued);
    assert_eq!(issued_receipt, draft);
    let log = shop.jobs().get(job).unwrap().events;
    assert_eq!(log.iter().filter(|e| e.event.to_columns().unwrap().0 == "intake_receipt_issued").count(), 1);

    // The shop renames itself and 王芳 takes the bench: the receipt she signed stays what it was,
    // and printing it again writes nothing new.
    name_the_shop(&shop, "华强北 GPU 修复");
    seat(&shop, "王芳");
    let (again, _) = receipt_of(&shop, job, true);
    assert_eq!(again, draft);
    assert_eq!(shop.jobs().get(job).unwrap().events.len(), log.len());
    let on_file = shop.papers().paper(job, PaperKind::IntakeReceipt, &shanghai()).unwrap();
    assert_eq!(on_file.issued.unwrap().by, TECH);
    assert_eq!(shop.jobs().get(job).unwrap().history_intact, Some(true));
}

#[test]
fn a_receipt_edited_in_the_store_breaks_the_jobs_history() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in(&shop);
    receipt_of(&shop, job, true);
    drop(shop);
    // Someone lowers the quote on the receipt with a SQLite tool, guards dropped first.
    let conn = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
    conn.execute_batch("DROP TRIGGER IF EXISTS job_events_no_update").unwrap();
    let changed = conn
        .execute(
            "UPDATE job_events SET detail = replace(detail, '12,000.50 CNY', '1,000.00 CNY')
             WHERE kind = 'intake_receipt_issued'",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let shop = open_shop(dir.path());
    assert_eq!(receipt_of(&shop, job, false).0.quote, "1,000.00 CNY");
    assert_eq!(shop.jobs().get(job).unwrap().history_intact, Some(false), "the edit shows");
}

#[test]
fn a_slip_is_for_a_card_going_back_and_says_what_became_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let (shop, job) = repaired_job(dir.path());
    let by = tech(&shop);
    shop.costs()
        .add_part(
            job,
            &PartForm {
                part_number: "TDA21490".into(),
                description: "功率级".into(),
                quantity: "２".into(),
                unit_cost: "85.50".into(),
            },
            &by,
        )
        .unwrap();
    let first = shop.certificates().issue(job, 90, CertificateLanguage::Both, &by).unwrap();
    let second = shop.certificates().issue(job, 180, CertificateLanguage::Both, &by).unwrap();

    let slip = match shop.papers().paper(job, PaperKind::HandOverSlip, &shanghai()).unwrap().paper {
        Paper::HandOverSlip(slip) => slip,
        other => panic!("not a slip: {other:?}"),
    };
    assert_eq!(slip.status, Status::Ready);
    assert_eq!(slip.certificate.as_deref(), Some(second.number.as_str()), "not {}: superseded", first.number);
    assert_eq!(slip.parts.len(), 1);
    assert_eq!((slip.parts[0].part_number.as_str(), slip.parts[0].quantity), ("TDA21490", 2));
    assert!(slip.work.iter().any(|done| done.procedure.en.contains("QA")), "{:?}", slip.work);
    assert_eq!(slip.quote, "12,000.00 CNY");
    assert_eq!((slip.parts_total.as_str(), slip.labor.as_deref()), ("171.00 CNY", None), "no labour rate set");
    assert_eq!(slip.total, "171.00 CNY");
    assert_eq!(slip.handed_over_by, TECH);
    assert_eq!(slip.reason, None);

    let issued = shop.papers().issue(job, PaperKind::HandOverSlip, &shanghai(), &by).unwrap();
    shop.jobs().change_status(job, &StatusChange { to: "returned".into(), reason: String::new() }, &by).unwrap();
    let later = shop.papers().paper(job, PaperKind::HandOverSlip, &shanghai()).unwrap();
    assert_eq!(later, issued, "the slip the customer signed, not one redrawn as returned");
}

#[test]
fn no_slip_while_the_card_is_on_the_bench_and_a_scrapped_card_goes_back_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let job = take_in(&shop);
    let by = tech(&shop);
    for kind in [None, Some("diagnosing")] {
        if let Some(to) = kind {
            shop.jobs().change_status(job, &StatusChange { to: to.into(), reason: String::new() }, &by).unwrap();
        }
        let refused = shop.papers().issue(job, PaperKind::HandOverSlip, &shanghai(), &by).unwrap_err();
        assert!(
            matches!(&refused, CoreError::HandOverNotDue(status) if status == kind.unwrap_or("intake")),
            "{refused:?}"
        );
    }
    assert!(shop
        .jobs()
        .get(job)
        .unwrap()
        .events
        .iter()
        .all(|e| e.event.to_columns().unwrap().0 != "hand_over_slip_issued"));

    let scrap = StatusChange { to: "scrapped".into(), reason: "HBM 堆栈损坏，无法修复".into() };
    shop.jobs().change_status(job, &scrap, &by).unwrap();
    let slip = match shop.papers().issue(job, PaperKind::HandOverSlip, &shanghai(), &by).unwrap().paper {
        Paper::HandOverSlip(slip) => slip,
        other => panic!("not a slip: {other:?}"),
    };
    assert_eq!((slip.status, slip.reason.as_deref()), (Status::Scrapped, Some("HBM 堆栈损坏，无法修复")));
    assert_eq!((slip.certificate, slip.parts.len(), slip.total.as_str()), (None, 0, "0.00 CNY"));
}

#[test]
fn a_shop_words_its_own_terms_and_a_bad_copy_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join(SHOP_RULES_FOLDER);
    std::fs::create_dir_all(&rules).unwrap();
    let own = serde_json::json!({
        "schema_version": 1,
        "intake_receipt": [{ "en": "Paid in advance, José.", "zh-CN": "王芳：费用需预付。" }],
        "hand_over_slip": [],
    });
    std::fs::write(rules.join("paper-terms.json"), own.to_string()).unwrap();
    let shop = open_shop(dir.path());
    let job = take_in(&shop);
    let (receipt, _) = receipt_of(&shop, job, false);
    assert_eq!(receipt.terms.len(), 1);
    assert_eq!(
        (receipt.terms[0].en.as_str(), receipt.terms[0].zh_cn.as_str()),
        ("Paid in advance, José.", "王芳：费用需预付。")
    );
    drop(shop);

    std::fs::write(
        rules.join("paper-terms.json"),
        r#"{"schema_version": 1, "intake_receipt": [{"en": "", "zh-CN": "预付"}], "hand_over_slip": []}"#,
    )
    .unwrap();
    let refused = Workshop::open(dir.path(), revive_core::paths::Shipped::resolve(None)).err().expect("refused");
    assert!(refused.to_string().contains("paper-terms.json"), "{refused}");
}

#[test]
fn a_slip_for_a_card_that_did_not_go_back_after_all_no_longer_stands() {
    let dir = tempfile::tempdir().unwrap();
    let (shop, job) = repaired_job(dir.path());
    let by = tech(&shop);
    let first = shop.papers().issue(job, PaperKind::HandOverSlip, &shanghai(), &by).unwrap();
    assert!(first.issued.is_some());

    // The customer phones before collecting: the card is held, and the slip no longer stands.
    let hold = StatusChange { to: "on_hold".into(), reason: "客户要求再做一次老化测试".into() };
    shop.jobs().change_status(job, &hold, &by).unwrap();
    let refused = shop.papers().issue(job, PaperKind::HandOverSlip, &shanghai(), &by).unwrap_err();
    assert!(matches!(refused, CoreError::HandOverNotDue(_)), "{refused:?}");
    shop.jobs().change_status(job, &StatusChange { to: "ready".into(), reason: String::new() }, &by).unwrap();
    assert_eq!(shop.papers().paper(job, PaperKind::HandOverSlip, &shanghai()).unwrap().issued, None, "a draft");

    // Ready again: a new slip goes on file beside the old one, and it is the one that stands.
    let second = shop.papers().issue(job, PaperKind::HandOverSlip, &shanghai(), &by).unwrap();
    let slips = shop
        .jobs()
        .get(job)
        .unwrap()
        .events
        .into_iter()
        .filter(|e| e.event.to_columns().unwrap().0 == "hand_over_slip_issued");
    assert_eq!(slips.count(), 2);
    assert_eq!(shop.papers().paper(job, PaperKind::HandOverSlip, &shanghai()).unwrap(), second);
    assert_eq!(shop.jobs().get(job).unwrap().history_intact, Some(true));
}
