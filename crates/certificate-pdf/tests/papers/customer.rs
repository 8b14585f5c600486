//! The papers the customer signs, on A4 in both languages: the intake receipt says everything the
//! shop took in and the customer said, however long; the hand-over slip what became of the card;
//! a barcode reader decodes the QR on each to the label code that opens the job when scanned.

use revive_certificate_pdf::CertificateRenderer;
use revive_core::jobs::label::read_label_code;
use revive_core::jobs::papers::Paper;
use revive_core::jobs::status::Status;

use super::sample_papers::{receipt, slip, SERIAL, TICKET};
use super::{common, page_mm, page_text, scanned_qr, tool};

const A4: (f64, f64) = (210.0, 297.0);

/// Writes the paper as PDF; its text without whitespace, its pages, and what its QR decodes to.
fn print(paper: &Paper) -> (String, usize, String) {
    let renderer = CertificateRenderer::load(&common::fonts_dir()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("paper.pdf");
    std::fs::write(&pdf, renderer.paper_pdf(paper).unwrap()).unwrap();
    let (width, height) = page_mm(&pdf);
    assert!((width - A4.0).abs() < 0.2 && (height - A4.1).abs() < 0.2, "{width} × {height} mm");
    let info = tool("pdfinfo", &[pdf.to_str().unwrap()]);
    let pages = info.lines().find_map(|line| line.strip_prefix("Pages:")).unwrap().trim().parse().unwrap();
    (page_text(&pdf), pages, scanned_qr(&pdf, 200))
}

fn assert_prints(text: &str, fields: &[&str]) {
    for field in fields {
        let field: String = field.split_whitespace().collect();
        assert!(text.contains(&field), "{field} missing from {text}");
    }
}

#[test]
fn the_intake_receipt_says_what_came_in_in_both_languages_and_scans_to_its_job() {
    let printed = receipt("训练任务中 GPU 掉卡，dmesg 报 Xid 79。Fell off the bus in training.");
    let (text, pages, qr) = print(&Paper::IntakeReceipt(printed.clone()));
    assert_eq!(pages, 1);
    assert_prints(
        &text,
        &[
            "Intake receipt",
            "收件单",
            TICKET,
            "深圳芯复活 GPU 维修中心",
            "华强北路 1019 号",
            "王芳（北京智算云科技有限公司）",
            "138 0013 8000",
            "NVIDIA H100 SXM5 80GB",
            SERIAL,
            "GPU-5b0c1e6a-2f3d-4a1b-9c8d-7e6f5a4b3c2d",
            "692-2G520-0200-000",
            "2026-12-02 10:05",
            "José Martínez",
            // Every condition is listed, the two found ones marked.
            "Bent pins",
            "针脚弯曲",
            "Cracked PCB",
            "PCB 开裂",
            "保修封条破损",
            "散热器有划痕",
            "Xid 79",
            "Fell off the bus in training.",
            "每次训练，8 卡中 1 张",
            "换了机房",
            "12,000.00 CNY",
            "报价为根据所述故障作出的估价",
            "The quote is an estimate",
            "客户签字",
            "收件技术员",
        ],
    );
    assert_eq!(text.matches('✕').count(), 2, "two conditions marked: {text}");
    assert_eq!(qr, printed.code);
    assert_eq!(read_label_code(&qr), Some((TICKET.into(), SERIAL.into())));
}

#[test]
fn a_receipt_for_a_customer_who_said_a_lot_runs_on_and_loses_none_of_it() {
    let long = format!("{}结束于此。", "显存温度过高导致训练中断，重启后恢复。".repeat(105));
    let mut printed = receipt(&long);
    printed.symptoms.how = Some("José: ".to_owned() + &"ECC errors climb each epoch; ".repeat(65));
    printed.condition_note = Some("背板有多处划痕。".repeat(500));
    let (text, pages, qr) = print(&Paper::IntakeReceipt(printed.clone()));
    assert!(pages > 1, "{pages} page");
    assert_prints(&text, &["结束于此。", "ECC errors climb each epoch;", "客户签字", "收件技术员"]);
    // Counted by a character of the phrase: where it runs over a page, the next page's captions
    // come first in the text a program reads off it.
    assert_eq!(text.matches('恢').count(), 105);
    assert_eq!(qr, printed.code, "the QR is on the first page");

    // The preview is every page, one under the other, each the size of a sheet.
    let renderer = CertificateRenderer::load(&common::fonts_dir()).unwrap();
    let drawn = renderer.paper_svg(&Paper::IntakeReceipt(printed)).unwrap();
    assert!((drawn.width_mm - A4.0).abs() < 0.1 && (drawn.height_mm - A4.1).abs() < 0.1);
    let view_box = |svg: &str| -> Vec<f64> {
        let start = svg.find("viewBox=\"").unwrap() + 9;
        svg[start..].split('"').next().unwrap().split(' ').map(|n| n.parse().unwrap()).collect()
    };
    let points = view_box(&drawn.svg);
    assert!((points[3] / points[2] - pages as f64 * A4.1 / A4.0).abs() < 0.01, "{points:?} for {pages} pages");

    // Answers typed a word a line, and words no line holds: every one is there, and every page
    // says whose it is and which of how many.
    let mut printed = receipt(&"掉卡\n".repeat(600));
    printed.customer.contact = "wangfang.ops.team@beijing-zhisuan-cloud.example.com".into();
    printed.card.serial = "S".repeat(64);
    let (text, pages, _) = print(&Paper::IntakeReceipt(printed));
    assert!(pages > 8, "{pages} pages");
    assert_eq!(text.matches("掉卡").count(), 600);
    assert_prints(&text, &["wangfang.ops.team@beijing-zhisuan-cloud.example.com", &"S".repeat(64)]);
    for page in [1, pages] {
        assert!(text.contains(&format!("{TICKET}·{page}/{pages}")), "page {page}'s footer");
    }
}

#[test]
fn the_hand_over_slip_says_what_became_of_the_card() {
    let repaired = slip(Status::Returned);
    let (text, pages, qr) = print(&Paper::HandOverSlip(repaired.clone()));
    assert_eq!(pages, 1);
    assert_prints(
        &text,
        &[
            "Hand-over slip",
            "交件单",
            TICKET,
            "王芳（北京智算云科技有限公司）",
            SERIAL,
            "2026-12-02",
            "2026-12-09 16:40",
            "Repaired",
            "已修复",
            "RC-2026-000042",
            "Replace a failed power stage",
            "更换损坏的功率级",
            "TDA21490",
            "功率级 Power stage",
            "12,000.00 CNY",
            "171.00 CNY",
            "9,000.00 CNY",
            "9,171.00 CNY",
            "外观问题仅在交接时受理",
            "客户签收",
            "交件技术员",
            "José Martínez",
        ],
    );
    assert_eq!(qr, repaired.code);

    // Going back as it came: the reason, no certificate, and a total of nothing after the
    // unpriced labour (poppler reads each column's captions before its values).
    let scrapped = slip(Status::Scrapped);
    let (text, _, qr) = print(&Paper::HandOverSlip(scrapped.clone()));
    assert_prints(
        &text,
        &[
            "Not repairable",
            "无法修复：按原样退还",
            "HBM 堆栈损坏，无法修复",
            "无。",
            "未计价：无此币种的工时费率 0.00 CNY",
        ],
    );
    assert!(!text.contains("RC-2026"), "no certificate for a scrapped card: {text}");
    assert_eq!(qr, scrapped.code);
}
