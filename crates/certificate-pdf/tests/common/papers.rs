//! A realistic ticket label, intake receipt and hand-over slip, for the paper tests and the samples
//! in docs/.

use revive_core::diagnostics::Text;
use revive_core::jobs::customer_papers::{
    CardOnPaper, CustomerOnPaper, HandOverSlip, IntakeReceipt, PartOnPaper, ShopOnPaper, WorkDone,
};
use revive_core::jobs::intake::{Condition, Symptoms};
use revive_core::jobs::label::{label_code, TicketLabel};
use revive_core::jobs::status::Status;
use revive_core::procedures::Outcome;
use revive_core::settings::{LabelSize, Language};

pub const TICKET: &str = "RV-2026-A-000123";
pub const SERIAL: &str = "1654922012345";

pub fn label(size: LabelSize, language: Language, customer: &str) -> TicketLabel {
    TicketLabel {
        ticket: TICKET.into(),
        code: label_code(TICKET, SERIAL),
        model: "H100 SXM5 80GB".into(),
        serial: SERIAL.into(),
        customer: customer.into(),
        received: "2026-12-02".into(),
        language,
        size,
    }
}

fn text(en: &str, zh_cn: &str) -> Text {
    Text { en: en.into(), zh_cn: zh_cn.into() }
}

fn shop() -> ShopOnPaper {
    ShopOnPaper {
        name: "深圳芯复活 GPU 维修中心".into(),
        address: "深圳市福田区华强北路 1019 号 3 楼 · 3F, 1019 Huaqiang N. Rd, Futian, Shenzhen".into(),
    }
}

fn customer() -> CustomerOnPaper {
    CustomerOnPaper {
        name: "王芳（北京智算云科技有限公司）".into(),
        contact: "138 0013 8000 · wangfang@zhisuan.example".into(),
    }
}

fn card() -> CardOnPaper {
    CardOnPaper {
        model: "NVIDIA H100 SXM5 80GB".into(),
        serial: SERIAL.into(),
        gpu_uuid: Some("GPU-5b0c1e6a-2f3d-4a1b-9c8d-7e6f5a4b3c2d".into()),
        part_number: Some("692-2G520-0200-000".into()),
    }
}

/// Terms as the shipped rules file words them.
fn terms(paper: &str) -> Vec<Text> {
    let file: serde_json::Value =
        serde_json::from_str(include_str!("../../../../rules/paper-terms.json")).expect("rules/paper-terms.json");
    file[paper]
        .as_array()
        .unwrap()
        .iter()
        .map(|term| text(term["en"].as_str().unwrap(), term["zh-CN"].as_str().unwrap()))
        .collect()
}

/// What 王芳 brought in; `observed` is what she says is wrong.
pub fn receipt(observed: &str) -> IntakeReceipt {
    IntakeReceipt {
        shop: shop(),
        ticket: TICKET.into(),
        code: label_code(TICKET, SERIAL),
        received_at: "2026-12-02 10:05".into(),
        received_by: "José Martínez".into(),
        customer: customer(),
        card: card(),
        conditions: vec![Condition::BentPins, Condition::WarrantySealBroken],
        condition_note: Some("散热器有划痕；Heatsink scratched on the left edge.".into()),
        symptoms: Symptoms {
            observed: observed.into(),
            when: Some("2026-11-02 起 · since".into()),
            how: None,
            frequency: Some("每次训练，8 卡中 1 张".into()),
            changes: Some("换了机房".into()),
        },
        quote: "12,000.00 CNY".into(),
        terms: terms("intake_receipt"),
    }
}

/// The card going back: repaired with two power stages, or scrapped with the reason.
pub fn slip(status: Status) -> HandOverSlip {
    let repaired = status != Status::Scrapped;
    HandOverSlip {
        shop: shop(),
        ticket: TICKET.into(),
        code: label_code(TICKET, SERIAL),
        received_on: "2026-12-02".into(),
        handed_over_at: "2026-12-09 16:40".into(),
        handed_over_by: "José Martínez".into(),
        customer: customer(),
        card: card(),
        status,
        reason: (!repaired).then(|| "HBM 堆栈损坏，无法修复".into()),
        work: vec![WorkDone {
            procedure: text("Replace a failed power stage", "更换损坏的功率级"),
            outcome: if repaired { Outcome::Repaired } else { Outcome::Scrap },
        }],
        parts: if repaired {
            vec![PartOnPaper {
                part_number: "TDA21490".into(), description: "功率级 Power stage".into(), quantity: 2
            }]
        } else {
            Vec::new()
        },
        certificate: repaired.then(|| "RC-2026-000042".into()),
        quote: "12,000.00 CNY".into(),
        parts_total: if repaired { "171.00 CNY" } else { "0.00 CNY" }.into(),
        labor: repaired.then(|| "9,000.00 CNY".into()),
        total: if repaired { "9,171.00 CNY" } else { "0.00 CNY" }.into(),
        terms: terms("hand_over_slip"),
    }
}
