//! `revive`: the same core as the workstation, for rack test servers and scripts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use revive_certificate_pdf::verify_path;
use revive_core::backup;
use revive_core::bench::{BenchSnapshot, DriverSource, GpuProvider, GpuReading, NvmlProvider};
use revive_core::certificates;
use revive_core::diagnostics::{
    judge_bench, parse_kernel_log, xid_findings, DiagnosticRules, Finding, Severity, Text, XidCatalog,
};
use revive_core::export::{self, CsvOptions, Exported};
use revive_core::history::{HistoryQuery, HistorySort};
use revive_core::models::ModelCatalog;
use revive_core::procedures;
use revive_core::store::{self, Store};
use revive_core::CoreError;
use serde_json::json;

/// Appends a line to a report (`say!(out)` for an empty one).
macro_rules! say {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

const EXIT_CODES: &str = "\
Exit status: 0 nothing to report (verify: valid), 1 warnings (verify: invalid; restore: not a usable backup),
             3 critical findings,
             4 the bench cannot be read (no driver, driver not loaded, no permission),
             5 the input file cannot be read, 2 bad arguments.";

#[derive(Parser)]
#[command(name = "revive", version, about = "Revive GPU repair bench, headless", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
// Parsed once per run: the export's many filters make that variant large, which costs nothing here.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Read identity and health of every GPU on this machine and judge them with NVIDIA's thresholds.
    Diagnose {
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        /// Use this NVML library instead of the installed driver's libnvidia-ml.so.1.
        #[arg(long, value_name = "PATH")]
        nvml_lib: Option<PathBuf>,
        /// With --nvml-lib pointing at Revive's fake driver: the simulated bench scenario to load.
        #[arg(long, value_name = "FILE", requires = "nvml_lib")]
        scenario: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Language::En)]
        lang: Language,
    },
    /// List the repair procedures, or check procedure files a shop wrote or edited.
    Procedures {
        #[command(subcommand)]
        action: ProceduresAction,
    },
    /// Check a repair certificate offline against a shop's public key (this shop's own by default).
    Verify {
        /// The certificate PDF (or its signed document as JSON).
        file: PathBuf,
        /// The shop's public key (base64url) as printed by the shop, or the key file it exported.
        /// A key may start with "-" (base64url uses it), so it is never read as an option.
        /// Without it, the key of the shop whose data folder this is.
        #[arg(long, value_name = "KEY|FILE", allow_hyphen_values = true)]
        public_key: Option<String>,
        /// Revive's data folder, for this shop's key (default: $REVIVE_DATA_DIR, else the workstation's).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Export the shop's job history (the jobs the filters select) to a file that appears only when complete.
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Where to write the export.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Start a CSV with a byte order mark, for Excel.
        #[arg(long)]
        bom: bool,
        /// Revive's data folder (default: $REVIVE_DATA_DIR, else the workstation's).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        #[command(flatten)]
        filters: HistoryFilters,
    },
    /// Copy the shop's database to a file (while the workstation keeps working).
    Backup {
        /// Where the backup goes; it appears only when complete.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Replace the shop's database with a backup, after checking it. Close the workstation first.
    Restore {
        /// The backup file.
        file: PathBuf,
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Fill a new data folder with a made-up but realistic shop history (the same seed gives the same
    /// jobs): for trying the history screen and exports, and for benchmarks.
    Generate {
        /// How many jobs, spread over five years.
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=5_000_000))]
        jobs: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The new data folder; refused if it already holds a Revive database.
        #[arg(long, value_name = "DIR")]
        data_dir: PathBuf,
    },
    /// Find NVIDIA Xid events in kernel-log text (dmesg or journalctl -k output) and say what they mean.
    XidImport {
        /// The saved kernel log.
        file: PathBuf,
        #[arg(long)]
        json: bool,
        #[arg(long, value_enum, default_value_t = Language::En)]
        lang: Language,
    },
}

#[derive(Subcommand)]
enum ProceduresAction {
    /// Every procedure in the folder, with its version and what it applies to.
    List {
        /// The procedures folder (default: $REVIVE_PROCEDURES, else the one shipped with Revive).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Validate procedure files; each problem is printed as FILE:LINE: what is wrong.
    Check {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// RFC 4180, UTF-8, one row per job.
    Csv,
    /// An Excel workbook with typed columns.
    Xlsx,
    /// Every job with its full detail, in a versioned envelope.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum SortBy {
    Received,
    Ticket,
    Customer,
    Model,
    Status,
    Updated,
}

/// The History screen's filters.
#[derive(clap::Args)]
struct HistoryFilters {
    /// Ticket, serial, UUID, customer or notes (three characters or more anywhere).
    #[arg(long)]
    text: Option<String>,
    /// Taken in on or after this day (YYYY-MM-DD, local).
    #[arg(long)]
    from: Option<String>,
    /// Taken in on or before this day (YYYY-MM-DD, local).
    #[arg(long)]
    to: Option<String>,
    #[arg(long)]
    status: Option<String>,
    /// A model id, e.g. h100-sxm5-80gb.
    #[arg(long)]
    model: Option<String>,
    /// The customer's name, exactly.
    #[arg(long)]
    customer: Option<String>,
    /// Anyone who did something on the job.
    #[arg(long)]
    technician: Option<String>,
    /// open, returned, scrapped or rma.
    #[arg(long)]
    outcome: Option<String>,
    /// yes: only jobs with a certificate; no: only jobs without.
    #[arg(long)]
    certificate: Option<String>,
    #[arg(long, value_enum, default_value_t = SortBy::Received)]
    sort: SortBy,
    #[arg(long)]
    descending: bool,
    /// The time zone of --from and --to, in minutes east of UTC (480 for China); default: this
    /// computer's.
    #[arg(long, value_name = "MINUTES", allow_hyphen_values = true)]
    utc_offset: Option<i32>,
}

impl HistoryFilters {
    fn query(self) -> HistoryQuery {
        HistoryQuery {
            text: self.text.unwrap_or_default(),
            from: self.from.unwrap_or_default(),
            to: self.to.unwrap_or_default(),
            status: self.status.unwrap_or_default(),
            model: self.model.unwrap_or_default(),
            customer: self.customer.unwrap_or_default(),
            technician: self.technician.unwrap_or_default(),
            outcome: self.outcome.unwrap_or_default(),
            certificate: self.certificate.unwrap_or_default(),
            sort: match self.sort {
                SortBy::Received => HistorySort::Received,
                SortBy::Ticket => HistorySort::Ticket,
                SortBy::Customer => HistorySort::Customer,
                SortBy::Model => HistorySort::Model,
                SortBy::Status => HistorySort::Status,
                SortBy::Updated => HistorySort::Updated,
            },
            descending: self.descending,
            utc_offset_minutes: self.utc_offset.unwrap_or_else(|| {
                // Read while the CLI is still one thread, as the time crate requires on Unix.
                time::UtcOffset::current_local_offset().map_or(0, |offset| offset.whole_minutes().into())
            }),
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Language {
    En,
    #[value(name = "zh-CN")]
    ZhCn,
}

impl Language {
    fn pick(self, text: &Text) -> &str {
        match self {
            Language::En => &text.en,
            Language::ZhCn => &text.zh_cn,
        }
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Diagnose { json, nvml_lib, scenario, lang } => diagnose(json, nvml_lib, scenario, lang),
        Command::XidImport { file, json, lang } => xid_import(&file, json, lang),
        Command::Verify { file, public_key, data_dir } => verify(&file, public_key, data_dir),
        Command::Export { format, out, bom, data_dir, filters } => export(format, &out, bom, data_dir, filters.query()),
        Command::Backup { out, data_dir } => backup_store(&out, data_dir),
        Command::Generate { jobs, seed, data_dir } => generate(jobs, seed, &data_dir),
        Command::Restore { file, data_dir } => restore_store(&file, data_dir),
        Command::Procedures { action: ProceduresAction::List { dir } } => list_procedures(dir),
        Command::Procedures { action: ProceduresAction::Check { files } } => check_procedures(&files),
    }
}

/// 0 valid, 1 invalid (with why), 5 unreadable (the file, or no key to check with).
fn verify(file: &Path, public_key: Option<String>, data_dir: Option<PathBuf>) -> ExitCode {
    let public_key = match public_key {
        Some(given) => match std::fs::read_to_string(&given) {
            Ok(key_file) => certificates::public_key_in(&key_file).to_owned(),
            Err(_) => given,
        },
        None => match shop_public_key(data_dir) {
            Ok(key) => key,
            Err(error) => return fail(5, error),
        },
    };
    let verification = match verify_path(file, &public_key) {
        Ok(verification) => verification,
        Err(error) => return fail(5, format!("cannot read {}: {error}", file.display())),
    };
    let Some(document) = verification.document.filter(|_| verification.valid) else {
        let reason = verification.reason.map_or_else(|| "unknown".to_owned(), |reason| reason.to_string());
        return fail(1, format!("invalid: {reason}"));
    };
    let mut out = String::new();
    say!(out, "valid: certificate {} issued {} by {}", document.number, &document.issued_at[..10], document.shop.name);
    say!(out, "  GPU      {} serial {}", document.gpu.model_name, document.gpu.serial);
    say!(out, "  customer {} ticket {}", document.customer, document.ticket);
    if document.simulated {
        say!(out, "  SIMULATED: its readings came from the simulated bench");
    }
    say!(out, "  sha256   {}", verification.sha256.unwrap_or_default());
    say!(out, "  key      {}", verification.key_fingerprint.unwrap_or_default());
    emit(&out);
    ExitCode::SUCCESS
}

/// This shop's public key, from its data folder (as `open_store` finds it).
fn shop_public_key(data_dir: Option<PathBuf>) -> Result<String, String> {
    let data_dir = data_dir.or_else(revive_core::paths::data_dir).ok_or("no data folder: pass --public-key")?;
    match certificates::ShopKey::load(&data_dir) {
        Ok(Some(key)) => Ok(key.public_key()),
        Ok(None) => Err(format!("no shop key in {}: pass --public-key KEY|FILE", data_dir.display())),
        Err(error) => Err(format!("cannot read the shop key in {}: {error}", data_dir.display())),
    }
}

/// The shop's store in `data_dir`, else `$REVIVE_DATA_DIR`, else the workstation's data folder.
fn open_store(data_dir: Option<PathBuf>) -> Result<Store, String> {
    let data_dir = data_dir.or_else(revive_core::paths::data_dir).ok_or("no data folder: pass --data-dir")?;
    let database = data_dir.join(store::DATABASE_FILE);
    if !database.is_file() {
        return Err(format!("no Revive database at {}", database.display()));
    }
    Store::open(&database, time::OffsetDateTime::now_utc)
        .map_err(|error| format!("cannot open {}: {error}", database.display()))
}

/// 0 written, 5 the folder cannot be used or already has a store.
fn generate(jobs: u64, seed: u64, data_dir: &Path) -> ExitCode {
    let database = data_dir.join(store::DATABASE_FILE);
    if database.exists() {
        return fail(5, format!("{} already exists; generate into a new folder", database.display()));
    }
    let generated = std::fs::create_dir_all(data_dir)
        .map_err(|error| error.to_string())
        .and_then(|()| revive_history_generator::generate(&database, jobs, seed).map_err(|error| error.to_string()));
    match generated {
        Ok(()) => {
            emit(&format!("{jobs} jobs generated in {}\n", database.display()));
            ExitCode::SUCCESS
        }
        Err(error) => fail(5, format!("cannot generate into {}: {error}", data_dir.display())),
    }
}

/// 0 written, 5 the store or the file cannot be used.
fn backup_store(out: &Path, data_dir: Option<PathBuf>) -> ExitCode {
    let store = match open_store(data_dir) {
        Ok(store) => store,
        Err(message) => return fail(5, message),
    };
    match backup::back_up(&store, out) {
        Ok(()) => {
            emit(&format!("backed up to {}\n", out.display()));
            ExitCode::SUCCESS
        }
        Err(error) => fail(5, format!("backup failed, nothing written: {error}")),
    }
}

/// 0 restored, 1 the file is not a backup this build can restore, 5 the store cannot be used.
fn restore_store(file: &Path, data_dir: Option<PathBuf>) -> ExitCode {
    let store = match open_store(data_dir) {
        Ok(store) => store,
        Err(message) => return fail(5, message),
    };
    match backup::restore(&store, file) {
        Ok(()) => {
            emit(&format!("restored from {}\n", file.display()));
            ExitCode::SUCCESS
        }
        Err(error @ (CoreError::Invalid { .. } | CoreError::StoreTooNew { .. })) => {
            fail(1, format!("not restored, the store is unchanged: {error}"))
        }
        Err(error) => fail(5, format!("not restored, the store is unchanged: {error}")),
    }
}

/// 0 written, 2 bad filters, 5 the store or the file cannot be used.
fn export(format: ExportFormat, out: &Path, bom: bool, data_dir: Option<PathBuf>, query: HistoryQuery) -> ExitCode {
    let store = match open_store(data_dir) {
        Ok(store) => store,
        Err(message) => return fail(5, message),
    };
    if let Err(error) = query.filter() {
        return fail(2, format!("invalid filter: {error}"));
    }
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let report = |rows: u64| {
        if interactive {
            eprint!("\rexported {rows} jobs");
        }
        true
    };
    let format = match format {
        ExportFormat::Csv => export::ExportFormat::Csv,
        ExportFormat::Xlsx => export::ExportFormat::Xlsx,
        ExportFormat::Json => export::ExportFormat::Json,
    };
    let committed = export::to_file(&store, &query, format, CsvOptions { bom }, out, report);
    match committed {
        Ok(Exported::Complete { rows }) => {
            if interactive {
                eprintln!();
            }
            emit(&format!("{rows} jobs written to {}\n", out.display()));
            ExitCode::SUCCESS
        }
        Ok(Exported::Cancelled { rows }) => fail(5, format!("export cancelled after {rows} jobs, nothing written")),
        Err(error) => fail(5, format!("export failed, nothing written: {error}")),
    }
}

fn list_procedures(dir: Option<PathBuf>) -> ExitCode {
    let dir = dir
        .or_else(|| std::env::var_os("REVIVE_PROCEDURES").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../procedures")));
    let (loaded, failed) = procedures::load_dir(&dir);
    let mut out = String::new();
    for procedure in &loaded {
        say!(
            out,
            "{:<26} v{:<3} {:>2} steps  {}",
            procedure.id,
            procedure.version,
            procedure.steps.len(),
            procedure.title.en
        );
    }
    emit(&out);
    failed.iter().for_each(|error| eprintln!("{error}"));
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// 0 when every file is valid, 1 when one is not, 5 when one cannot be read.
fn check_procedures(files: &[PathBuf]) -> ExitCode {
    let mut worst = 0;
    let mut out = String::new();
    for file in files {
        let name = file.display().to_string();
        match std::fs::read_to_string(file) {
            Ok(text) => match procedures::parse(&name, &text) {
                Ok(procedure) => {
                    say!(out, "{name}: ok ({} v{}, {} steps)", procedure.id, procedure.version, procedure.steps.len())
                }
                Err(error) => {
                    eprintln!("{error}");
                    worst = worst.max(1);
                }
            },
            Err(error) => {
                eprintln!("{name}: cannot read: {error}");
                worst = 5;
            }
        }
    }
    emit(&out);
    ExitCode::from(worst)
}

/// Writes the report; a closed pipe (`revive diagnose | head`) is not an error worth a panic.
fn emit(report: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(report.as_bytes());
}

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("revive: {message}");
    ExitCode::from(code)
}

/// 0 nothing above info, 1 warnings, 3 critical.
fn verdict(findings: &[Finding]) -> ExitCode {
    match findings.iter().map(|f| f.severity).max() {
        Some(Severity::Critical) => ExitCode::from(3),
        Some(Severity::Warning) => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

fn diagnose(as_json: bool, nvml_lib: Option<PathBuf>, scenario: Option<PathBuf>, lang: Language) -> ExitCode {
    let source = match (nvml_lib, scenario) {
        (Some(library), Some(scenario)) => DriverSource::Simulated { library, scenario },
        (Some(library), None) => DriverSource::Library(library),
        (None, _) => DriverSource::System,
    };
    let snapshot = match NvmlProvider::open(&source).and_then(|bench| bench.snapshot()) {
        Ok(snapshot) => snapshot,
        Err(unavailable) => return fail(4, unavailable),
    };
    let (rules, models) = match (DiagnosticRules::shipped(), ModelCatalog::shipped()) {
        (Ok(rules), Ok(models)) => (rules, models),
        (Err(error), _) | (_, Err(error)) => return fail(5, error),
    };
    let findings = judge_bench(rules, models, &snapshot);
    let mut out = String::new();
    if as_json {
        say!(out, "{:#}", json!({ "bench": snapshot, "findings": findings }));
    } else {
        print_bench(&mut out, &snapshot, &findings, lang);
    }
    emit(&out);
    verdict(&findings)
}

fn print_bench(out: &mut String, snapshot: &BenchSnapshot, findings: &[Finding], lang: Language) {
    let d = &snapshot.driver;
    let simulated = if snapshot.simulated { "   [SIMULATED]" } else { "" };
    say!(out, "Driver {} · NVML {} · CUDA {}{simulated}", d.driver_version, d.nvml_version, d.cuda_version);
    let show = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".into());
    let number = |value: Option<u32>| value.map_or_else(|| "—".into(), |v| v.to_string());
    for gpu in &snapshot.gpus {
        say!(out);
        match gpu {
            GpuReading::Lost { index } => say!(out, "GPU {index}  LOST: not answering (fell off the bus)"),
            GpuReading::Present { index, identity: i, health: h } => {
                say!(out, "GPU {index}  {}  serial {}  {}", show(&i.name), show(&i.serial), show(&i.uuid));
                say!(
                    out,
                    "  PCI {} at {}  board {}  VBIOS {}",
                    show(&i.pci_device_id),
                    show(&i.bus_id),
                    show(&i.board_part_number),
                    show(&i.vbios_version)
                );
                let inforom = match i.inforom_valid {
                    Some(true) => "valid",
                    Some(false) => "CORRUPTED",
                    None => "not checked",
                };
                say!(
                    out,
                    "  InfoROM {} ({inforom})  GSP {}",
                    show(&i.inforom_image_version),
                    show(&i.gsp_firmware_version)
                );
                let watts = |w: Option<f64>| w.map_or_else(|| "—".into(), |w| format!("{w:.0} W"));
                say!(
                    out,
                    "  {} °C (HBM {} °C)  {} of {}  SM {}/{} MHz  PCIe Gen{} x{} (max Gen{} x{}), {} replays",
                    number(h.temperature_c),
                    number(h.memory_temperature_c),
                    watts(h.power_w),
                    watts(h.enforced_power_limit_w),
                    number(h.sm_clock_mhz),
                    number(h.max_sm_clock_mhz),
                    number(h.pcie.generation),
                    number(h.pcie.width),
                    number(h.pcie.max_generation),
                    number(h.pcie.max_width),
                    number(h.pcie.replays),
                );
                if let Some(ecc) = &h.ecc {
                    say!(
                        out,
                        "  ECC uncorrected: volatile {}, aggregate {}",
                        ecc.volatile_uncorrected,
                        ecc.aggregate_uncorrected
                    );
                }
                if let Some(rows) = &h.remapped_rows {
                    say!(
                        out,
                        "  Remapped rows: {} uncorrectable, {} correctable, pending {}, failure {}",
                        rows.uncorrectable,
                        rows.correctable,
                        rows.pending,
                        rows.failure
                    );
                }
            }
        }
    }
    print_findings(out, findings, lang);
}

fn print_findings(out: &mut String, findings: &[Finding], lang: Language) {
    say!(out);
    if findings.is_empty() {
        say!(out, "No findings.");
        return;
    }
    say!(out, "Findings:");
    for finding in findings {
        let severity = match finding.severity {
            Severity::Critical => "CRITICAL",
            Severity::Warning => "WARNING ",
            Severity::Info => "INFO    ",
        };
        let gpu = finding.gpu_index.map_or_else(String::new, |i| format!("GPU {i}  "));
        say!(out, "  {severity} {gpu}{} ({})", lang.pick(&finding.title), finding.code);
        let evidence: Vec<String> = finding.evidence.iter().map(|(k, v)| format!("{k}={v}")).collect();
        say!(out, "           evidence: {}", evidence.join(", "));
        say!(out, "           next: {}", lang.pick(&finding.next_step));
    }
}

fn xid_import(file: &PathBuf, as_json: bool, lang: Language) -> ExitCode {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(error) => return fail(5, format!("cannot read {}: {error}", file.display())),
    };
    let text = String::from_utf8_lossy(&bytes);
    let events = parse_kernel_log(&text);
    let catalog = match XidCatalog::shipped() {
        Ok(catalog) => catalog,
        Err(error) => return fail(5, error),
    };
    let findings = xid_findings(catalog, &events, None);
    let mut out = String::new();
    if as_json {
        say!(out, "{:#}", json!({ "events": events, "findings": findings }));
    } else {
        say!(out, "{} Xid event(s) in {}", events.len(), file.display());
        print_findings(&mut out, &findings, lang);
    }
    emit(&out);
    verdict(&findings)
}
