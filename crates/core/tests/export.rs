//! CSV export: RFC 4180 that spreadsheets read back intact, formulas neutralised, numbers kept as
//! numbers, memory-flat streaming with progress, and a cancel that leaves no file.

use revive_history_generator as generator;

use std::io::Write;

use revive_core::files::AtomicFile;
use revive_core::history::export::{neutralized, CsvOptions, ExportFormat, Exported, COLUMNS};
use revive_core::history::HistoryQuery;
use revive_core::paths::Shipped;
use revive_core::workshop::Workshop;

const JOBS: u64 = 2_500;
const HOSTILE: [&str; 7] = ["=HYPERLINK(\"http://x\",\"y\")", "+86 755", "-1+2", "@SUM(A1)", "\tTab", "\rCR", "\0NUL"];

fn generated_shop() -> (tempfile::TempDir, Workshop) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("revive.sqlite3");
    generator::generate(&path, JOBS, 11).unwrap();
    let shop = Workshop::open(dir.path(), Shipped::resolve(None)).unwrap();
    // Customers whose names a spreadsheet would run as formulas, and one with quotes and a comma.
    shop.store()
        .write(|tx, _| {
            for (index, name) in HOSTILE.iter().chain(["北京 \"智算\", 第一分公司"].iter()).enumerate() {
                tx.execute("UPDATE customers SET name = ?1 WHERE id = ?2", rusqlite::params![name, index as i64 + 1])?;
            }
            Ok(())
        })
        .unwrap();
    (dir, shop)
}

#[test]
fn formula_starts_are_neutralised_and_other_text_is_not() {
    // The full-width forms a Chinese keyboard types too: CJK spreadsheet programs may read them.
    for hostile in HOSTILE.iter().chain(&["＝HYPERLINK(\"http://x\")", "＋86 755", "－1", "＠SUM(A1)"]) {
        assert_eq!(neutralized(hostile), format!("'{hostile}"));
    }
    for plain in ["Deep Compute", "深圳算力", "1654922012345", "RV-2026-000001", "'already"] {
        assert_eq!(neutralized(plain), plain);
    }
}

#[test]
fn the_csv_reads_back_with_every_value_intact() {
    let (dir, shop) = generated_shop();
    let path = dir.path().join("history.csv");
    let mut reports = Vec::new();
    let mut file = AtomicFile::create(&path).unwrap();
    let exported = shop
        .history()
        .export_to(&HistoryQuery::default(), ExportFormat::Csv, CsvOptions { bom: true }, &mut file, |rows| {
            reports.push(rows);
            true
        })
        .unwrap();
    file.commit().unwrap();
    assert_eq!(exported, Exported::Complete { rows: JOBS });
    assert_eq!(reports, vec![1_000, 2_000, 2_500], "progress every thousand rows, then the total");

    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with("\u{feff}Ticket,Received,".as_bytes()), "BOM then the header");
    assert!(String::from_utf8(bytes.clone()).unwrap().contains("\r\n"), "CRLF line ends");
    let mut reader = csv::ReaderBuilder::new().from_reader(&bytes[3..]);
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), COLUMNS);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len() as u64, JOBS);

    let page = shop.history().page(&HistoryQuery::default(), 0, 1_000).unwrap();
    for (record, row) in records.iter().zip(&page.rows) {
        assert_eq!(&record[0], row.ticket);
        assert_eq!(&record[5], row.board_serial);
        let customer = &record[3];
        if HOSTILE.contains(&row.customer.as_str()) {
            assert_eq!(customer, format!("'{}", row.customer), "neutralised");
        } else {
            assert_eq!(customer, row.customer, "verbatim, Chinese and quotes included");
        }
        let quote: f64 = record[8].parse().expect("the quote is a number");
        assert_eq!((quote * 100.0).round() as i64, row.quote.minor);
    }
    assert!(records.iter().any(|r| &r[3] == "北京 \"智算\", 第一分公司"));
}

#[test]
fn filters_carry_into_the_export_and_a_cancel_leaves_no_file() {
    let (dir, shop) = generated_shop();
    let rma = HistoryQuery { status: "rma".into(), ..Default::default() };
    let mut out = Vec::new();
    let exported =
        shop.history().export_to(&rma, ExportFormat::Csv, CsvOptions { bom: false }, &mut out, |_| true).unwrap();
    let expected = shop.history().page(&rma, 0, 1_000).unwrap().total;
    assert_eq!(exported, Exported::Complete { rows: expected });
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count() as u64, expected + 1);
    assert!(text.lines().skip(1).all(|line| line.split(',').nth(2) == Some("rma")));

    let path = dir.path().join("cancelled.csv");
    let mut file = AtomicFile::create(&path).unwrap();
    let exported = shop
        .history()
        .export_to(&HistoryQuery::default(), ExportFormat::Csv, CsvOptions { bom: false }, &mut file, |rows| {
            rows < 2_000
        })
        .unwrap();
    assert_eq!(exported, Exported::Cancelled { rows: 2_000 });
    file.flush().unwrap();
    drop(file);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(!path.exists() && left.iter().all(|name| !name.to_string_lossy().contains("cancelled")), "{left:?}");
}

#[test]
fn the_xlsx_has_typed_cells_and_every_value_intact() {
    use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};

    let (dir, shop) = generated_shop();
    let path = dir.path().join("history.xlsx");
    let mut file = AtomicFile::create(&path).unwrap();
    let exported = shop
        .history()
        .export_to(&HistoryQuery::default(), ExportFormat::Xlsx, CsvOptions::default(), &mut file, |_| true)
        .unwrap();
    file.commit().unwrap();
    assert_eq!(exported, Exported::Complete { rows: JOBS });

    let mut workbook: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(std::fs::read(&path).unwrap())).unwrap();
    let sheet = workbook.worksheet_range("Jobs").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows.len() as u64, JOBS + 1);
    let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
    assert_eq!(header, COLUMNS);
    let page = shop.history().page(&HistoryQuery::default(), 0, 1_000).unwrap();
    for (cells, row) in rows[1..].iter().zip(&page.rows) {
        assert_eq!(cells[0], Data::String(row.ticket.clone()));
        assert!(matches!(cells[1], Data::DateTime(_)), "the received time is a date: {:?}", cells[1]);
        assert_eq!(cells[3], Data::String(row.customer.clone()), "verbatim, hostile or not");
        assert_eq!(cells[5], Data::String(row.board_serial.clone()), "a serial stays text");
        match cells[8] {
            Data::Float(quote) => assert_eq!((quote * 100.0).round() as i64, row.quote.minor),
            ref other => panic!("the quote is a number, not {other:?}"),
        }
    }
    assert!(rows.iter().any(|r| r[3] == Data::String("=HYPERLINK(\"http://x\",\"y\")".into())));

    let cancelled = dir.path().join("cancelled.xlsx");
    let mut file = AtomicFile::create(&cancelled).unwrap();
    let exported = shop
        .history()
        .export_to(&HistoryQuery::default(), ExportFormat::Xlsx, CsvOptions::default(), &mut file, |rows| rows < 1_000)
        .unwrap();
    assert_eq!(exported, Exported::Cancelled { rows: 1_000 });
    drop(file);
    assert!(!cancelled.exists());
}

#[test]
fn the_json_envelope_streams_every_job_and_a_cancel_leaves_no_file() {
    let (dir, shop) = generated_shop();
    let path = dir.path().join("history.json");
    let mut file = AtomicFile::create(&path).unwrap();
    assert_eq!(
        shop.history()
            .export_to(&HistoryQuery::default(), ExportFormat::Json, CsvOptions::default(), &mut file, |_| true)
            .unwrap(),
        Exported::Complete { rows: JOBS }
    );
    file.commit().unwrap();
    let envelope: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(envelope["count"], JOBS);
    let jobs = envelope["jobs"].as_array().unwrap();
    assert_eq!(jobs.len() as u64, JOBS);
    assert!(jobs.iter().any(|job| job["customerName"] == "北京 \"智算\", 第一分公司"), "text intact");
    assert!(
        jobs.iter().any(|job| job["customerName"] == "=HYPERLINK(\"http://x\",\"y\")"),
        "JSON keeps values as they are"
    );
    assert!(jobs.iter().all(|job| job["events"].as_array().is_some_and(|events| !events.is_empty())));

    let cancelled = dir.path().join("cancelled.json");
    let mut file = AtomicFile::create(&cancelled).unwrap();
    let exported = shop
        .history()
        .export_to(&HistoryQuery::default(), ExportFormat::Json, CsvOptions::default(), &mut file, |rows| rows < 1_000)
        .unwrap();
    assert_eq!(exported, Exported::Cancelled { rows: 1_000 });
    drop(file);
    assert!(!cancelled.exists());
}

#[test]
fn an_export_to_a_file_lets_the_shop_keep_writing_and_keeps_only_complete_files() {
    let (dir, shop) = generated_shop();
    let target = dir.path().join("jobs.json");
    std::fs::write(&target, b"last week's export").unwrap();
    let format = ExportFormat::Json;
    // Cancelled halfway: the file already there stays as it was, no partial file is left.
    let cancelled = shop
        .history()
        .export(&HistoryQuery::default(), format, CsvOptions { bom: false }, &target, |rows| rows < 1_000)
        .unwrap();
    assert_eq!(cancelled, Exported::Cancelled { rows: 1_000 });
    assert_eq!(std::fs::read(&target).unwrap(), b"last week's export");
    assert_eq!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("jobs"))
            .count(),
        1
    );

    // While the export reads, the bench writes: a card is taken in between two progress reports.
    let mut written = false;
    let exported = shop
        .history()
        .export(&HistoryQuery::default(), format, CsvOptions { bom: false }, &target, |_| {
            if !written {
                let copy = "INSERT INTO jobs (ticket, customer_id, status, model_id, board_serial, symptom_observed,
                        quote_minor, quote_currency, received_by, created_at, updated_at)
                     SELECT 'RV-2099-000001', customer_id, status, model_id, board_serial, symptom_observed,
                        quote_minor, quote_currency, received_by, created_at, updated_at FROM jobs WHERE id = 1";
                shop.store().write(|tx, _| Ok(tx.execute(copy, [])?)).unwrap();
                written = true;
            }
            true
        })
        .unwrap();
    assert!(written);
    // The export is one snapshot: the jobs as they were when it started.
    assert_eq!(exported, Exported::Complete { rows: JOBS });
    let document: serde_json::Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(document["count"], JOBS);

    let refused = shop.history().export(
        &HistoryQuery { from: "yesterday".into(), ..Default::default() },
        format,
        CsvOptions { bom: false },
        &dir.path().join("refused.json"),
        |_| true,
    );
    assert!(refused.is_err());
    assert!(!dir.path().join("refused.json").exists());
}
