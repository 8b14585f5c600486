//! The exports as other programs read them: Python's csv module and openpyxl, and LibreOffice
//! converting them (`soffice --headless --convert-to csv`). Every value comes back, Chinese text
//! and formula-looking names included: the CSV carries a neutralised name (a leading apostrophe),
//! the workbook the name itself with Excel's quote prefix; quotes stay numbers, dates stay dates.
//! `scripts/deps.sh --test` installs python3-openpyxl and libreoffice-calc-nogui.

use std::path::{Path, PathBuf};
use std::process::Command;

use revive_core::history::export::{self, neutralized, CsvOptions, ExportFormat, Exported};
use revive_core::history::{HistoryQuery, HistoryRow};
use revive_core::paths::Shipped;
use revive_core::workshop::Workshop;
use revive_history_generator as generator;

const HOSTILE: [&str; 8] = [
    "=HYPERLINK(\"http://x\",\"y\")",
    "+86 755 1234",
    "-1+2",
    "@SUM(A1)",
    "\tTab",
    "\rCR",
    "北京 \"智算\", 第一分公司\n二楼",
    "深圳芯复活 GPU 维修中心",
];
/// Debian's interpreter, which python3-openpyxl installs into (a pyenv or venv python may lack it).
const PYTHON: &str = "/usr/bin/python3";

fn generated_shop(dir: &Path) -> (Workshop, Vec<HistoryRow>) {
    let path = dir.join("revive.sqlite3");
    generator::generate(&path, 400, 3).unwrap();
    let shop = Workshop::open(dir, Shipped::resolve(None)).unwrap();
    shop.store()
        .write(|tx, _| {
            for (index, name) in HOSTILE.iter().enumerate() {
                let id = index as i64 + 1;
                tx.execute("UPDATE customers SET name = ?1 WHERE id = ?2", rusqlite::params![name, id])?;
                tx.execute("UPDATE jobs SET customer_id = ?1 WHERE id = ?1", [id])?;
            }
            Ok(())
        })
        .unwrap();
    let rows = shop.history().page(&HistoryQuery::default(), 0, 1_000).unwrap().rows;
    (shop, rows)
}

/// The shop's jobs in the order the files hold them, and the CSV and XLSX exports of them.
struct Exports {
    rows: Vec<HistoryRow>,
    csv: PathBuf,
    xlsx: PathBuf,
}

fn exports(dir: &Path) -> Exports {
    let (shop, rows) = generated_shop(dir);
    let (csv, xlsx) = (dir.join("jobs.csv"), dir.join("jobs.xlsx"));
    for (format, target) in [(ExportFormat::Csv, &csv), (ExportFormat::Xlsx, &xlsx)] {
        let exported =
            shop.history().export(&HistoryQuery::default(), format, CsvOptions { bom: true }, target, |_| true);
        assert!(matches!(exported, Ok(Exported::Complete { rows: 400 })), "{exported:?}");
    }
    Exports { rows, csv, xlsx }
}

/// One job as a reader should find it: the stored timestamps at whole seconds, the quote a number.
#[derive(Debug, PartialEq)]
struct Cells {
    text: Vec<String>,
    received: String,
    changed: String,
    quote: f64,
}

/// `2021-01-01T00:20:00.000Z` or `2021-01-01 00:20:00` → `2021-01-01 00:20:00`.
fn second(stamp: &str) -> String {
    stamp.get(..19).unwrap_or(stamp).replace('T', " ")
}

fn expected(row: &HistoryRow, customer: impl Fn(&str) -> String) -> Cells {
    Cells {
        text: vec![
            row.ticket.clone(),
            row.status.id().to_owned(),
            customer(&row.customer),
            row.model_id.clone(),
            row.board_serial.clone(),
            row.gpu_uuid.clone().unwrap_or_default(),
            row.received_by.clone(),
            row.quote.currency.code().to_owned(),
            row.certificate.clone().unwrap_or_default(),
        ],
        received: second(&row.created_at),
        changed: second(&row.updated_at),
        quote: row.quote.minor as f64 / 100.0,
    }
}

/// A row of the twelve export columns, as text, in the order of `export::COLUMNS`.
fn read(record: &[String]) -> Cells {
    assert_eq!(record.len(), 12, "{record:?}");
    let pick = |indexes: &[usize]| indexes.iter().map(|i| record[*i].clone()).collect();
    Cells {
        text: pick(&[0, 2, 3, 4, 5, 6, 7, 9, 11]),
        received: second(&record[1]),
        changed: second(&record[10]),
        quote: record[8].parse().unwrap_or_else(|_| panic!("a number: {:?}", record[8])),
    }
}

fn csv_records(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), export::COLUMNS);
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

fn run(command: &mut Command) -> Vec<u8> {
    let output =
        command.output().unwrap_or_else(|e| panic!("{command:?} could not start ({e}); run scripts/deps.sh --test"));
    assert!(output.status.success(), "{command:?}: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// Python's csv module and openpyxl read both files; the script prints every row as JSON text.
const READ_WITH_PYTHON: &str = r#"
import csv, datetime, json, sys
import openpyxl
from openpyxl.utils.escape import unescape

with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    from_csv = list(csv.reader(f))
sheet = openpyxl.load_workbook(sys.argv[2]).active
def cell(c):
    if isinstance(c.value, datetime.datetime):
        v = c.value + datetime.timedelta(microseconds=500_000)
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if c.value is None:
        return ""
    if c.data_type == "n":
        return repr(float(c.value))
    # OOXML writes a control character as _x000D_; openpyxl 3.0 leaves reading it back to us.
    return unescape(c.value)
types = [[c.data_type + ("d" if c.is_date else "") for c in row] for row in sheet.iter_rows(min_row=2, max_row=2)]
from_xlsx = [[cell(c) for c in row] for row in sheet.iter_rows()]
quoted = [unescape(c.value) for row in sheet.iter_rows(min_row=2) for c in row if c.quotePrefix]
print(json.dumps({"csv": from_csv, "xlsx": from_xlsx, "types": types[0], "frozen": sheet.freeze_panes, "quoted": quoted}))
"#;

#[test]
fn python_reads_every_value_of_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let Exports { rows, csv: csv_path, xlsx: xlsx_path } = exports(dir.path());

    let printed = run(Command::new(PYTHON).arg("-c").arg(READ_WITH_PYTHON).arg(&csv_path).arg(&xlsx_path));
    let read_back: serde_json::Value = serde_json::from_slice(&printed).unwrap();
    let table = |name: &str| -> Vec<Vec<String>> { serde_json::from_value(read_back[name].clone()).unwrap() };
    let (from_csv, from_xlsx) = (table("csv"), table("xlsx"));
    assert_eq!(from_csv[0], export::COLUMNS);
    assert_eq!(from_xlsx[0], export::COLUMNS);
    assert_eq!((from_csv.len(), from_xlsx.len()), (401, 401));
    for (index, row) in rows.iter().enumerate() {
        assert_eq!(read(&from_csv[index + 1]), expected(row, |name| neutralized(name).into_owned()), "CSV row {index}");
        assert_eq!(read(&from_xlsx[index + 1]), expected(row, str::to_owned), "XLSX row {index}");
    }
    // Types in the workbook: text, a date, text…, the quote a number, the last change a date.
    let types: Vec<String> = serde_json::from_value(read_back["types"].clone()).unwrap();
    assert_eq!(types[..3], ["s", "dd", "s"]);
    assert_eq!((types[8].as_str(), types[10].as_str()), ("n", "dd"));
    assert_eq!(read_back["frozen"], "A2", "the header row stays in view");
    let quoted: Vec<String> = serde_json::from_value(read_back["quoted"].clone()).unwrap();
    for hostile in &HOSTILE[..6] {
        assert!(quoted.iter().any(|q| q == hostile), "{hostile:?} carries the quote prefix: {quoted:?}");
    }
    assert!(!quoted.iter().any(|q| q == HOSTILE[7]), "plain text is not marked");
}

/// LibreOffice opens each file and saves it as CSV again (UTF-8, raw values, not as shown).
fn through_libreoffice(file: &Path, out: &Path, infilter: Option<&str>) -> Vec<Vec<String>> {
    let mut command = Command::new("soffice");
    command.arg("--headless").arg(format!("-env:UserInstallation=file://{}/lo-profile", out.display()));
    if let Some(filter) = infilter {
        command.arg(format!("--infilter={filter}"));
    }
    command
        .args(["--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false", "--outdir"])
        .arg(out)
        .arg(file);
    run(&mut command);
    csv_records(&std::fs::read(out.join(file.with_extension("csv").file_name().unwrap())).unwrap())
}

#[test]
fn libreoffice_round_trips_both_files_with_every_value_intact() {
    let dir = tempfile::tempdir().unwrap();
    let Exports { rows, csv: csv_path, xlsx: xlsx_path } = exports(dir.path());
    let (from_csv_dir, from_xlsx_dir) = (dir.path().join("from-csv"), dir.path().join("from-xlsx"));

    // Quoted fields as text, as a person importing the CSV would choose; LibreOffice stores a CR
    // inside a cell as a line feed, so the name that starts with one is compared that way.
    let from_csv = through_libreoffice(&csv_path, &from_csv_dir, Some("CSV:44,34,76,1,,0,true,false"));
    let from_xlsx = through_libreoffice(&xlsx_path, &from_xlsx_dir, None);
    assert_eq!((from_csv.len(), from_xlsx.len()), (400, 400));
    for (index, row) in rows.iter().enumerate() {
        let as_csv = expected(row, |name| neutralized(name).replace('\r', "\n"));
        assert_eq!(read(&from_csv[index]), as_csv, "CSV row {index}");
        assert_eq!(read(&from_xlsx[index]), expected(row, str::to_owned), "XLSX row {index}");
    }
    assert!(from_xlsx.iter().any(|record| record[3] == HOSTILE[0]), "the formula-looking name is text, not run");
}
