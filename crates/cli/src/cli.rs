//! The command line as clap reads it: subcommands, options and their help. Behaviour is elsewhere.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use revive_core::bench::DriverSource;
use revive_core::diagnostics::Text;
use revive_core::history::{HistoryQuery, HistorySort};
use revive_core::paths::Shipped;

use crate::exit::Exit;

#[derive(Parser)]
#[command(name = "revive", version, about = "Revive GPU repair bench, headless", after_help = Exit::help())]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
// Parsed once per run: the export's many filters make that variant large, which costs nothing here.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Read identity and health of every GPU on this machine and judge them with NVIDIA's thresholds.
    Diagnose {
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        driver: Driver,
        #[arg(long, value_enum, default_value_t = Language::En)]
        lang: Language,
    },
    /// Load the GPUs: a memory test over their whole memory and/or a checked tensor-core burn-in,
    /// one process per GPU, judged from the driver's counters and the tests' own checks.
    /// Example: revive stress --burn-in 60m --memtest --gpus all --json
    Stress {
        /// How long to burn in: 90s, 45m, 2h, 1h30m (1 minute to 24 hours).
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        burn_in: Option<u64>,
        /// Run the memory test (own address, walking ones and zeros, moving inversions, random, modulo-20).
        #[arg(long)]
        memtest: bool,
        /// Memory-test passes; each shifts the patterns so successive passes reach every bit.
        #[arg(long, default_value_t = 1, requires = "memtest")]
        passes: u32,
        /// Add the bit-fade test, waiting this long between fill and check (e.g. 10m).
        #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "memtest")]
        bit_fade: Option<u64>,
        /// Which GPUs: all, or indexes like 0,1,5.
        #[arg(long, default_value = "all", value_name = "all|LIST")]
        gpus: String,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        driver: StressDriver,
        #[arg(long, value_enum, default_value_t = Language::En)]
        lang: Language,
    },
    /// One GPU's test process, started by `revive stress` and the workstation (not for people).
    #[command(hide = true)]
    StressWorker {
        #[arg(long)]
        job: String,
    },
    /// Work in the shop's test room: register this rack server and its GPUs with the shop server,
    /// run the burn-ins and memory tests benches queue for its slots, and report their verdicts.
    /// Runs until stopped (systemd: see the README's test-room section).
    Agent {
        /// The shop server as a PostgreSQL connection string: "host=shop.lan dbname=revive user=rack".
        /// A server off this machine is reached over TLS only.
        #[arg(long, value_name = "CONNECTION")]
        server: String,
        /// A file only its owner can read whose first line is the password.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        /// The shop's own certificate authority (PEM), when the server's certificate is not from a public one.
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
        /// This server's name in the test room (default: its host name).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        driver: StressDriver,
        /// Seconds a claimed task stays this agent's without a heartbeat.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(2..=3600), hide = true)]
        lease: u64,
        /// Milliseconds between reports to the shop server.
        #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(100..=60_000), hide = true)]
        heartbeat_ms: u64,
    },
    /// Push this bench's changed jobs to the shop server it is linked to (Settings → Shop server),
    /// and read what changed there for the jobs it keeps, once.
    Sync {
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Take a job over to this bench from the bench that holds it.
    Take {
        /// The job's ticket number, as on its label.
        ticket: String,
        /// Who takes it (one of the shop's technicians; on a bench with none yet, enrolled).
        /// Default: the technician seated at this bench.
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Link this bench to the shop server, as Settings → Shop server does: for a bench set up by a
    /// script, or one without a window.
    Link {
        /// The shop server as a PostgreSQL connection string: "host=shop.lan dbname=revive user=revive".
        #[arg(long)]
        server: String,
        /// This bench's name in the shop.
        #[arg(long)]
        bench: String,
        /// This bench's code in ticket and certificate numbers (a letter, then up to 3 letters or digits).
        #[arg(long)]
        code: String,
        /// A file only its owner can read whose first line is the password.
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
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
        /// The shop's signed status list: says which certificates were superseded or revoked.
        #[arg(long, value_name = "FILE")]
        status: Option<PathBuf>,
    },
    /// Write the shop's signed status list (superseded and revoked certificates) for buyers.
    StatusList {
        /// Where the list goes; it appears only when complete.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long, value_name = "DIR")]
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
    /// Check that no job event was edited or deleted outside Revive (the log's hash chain).
    Audit {
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Copy the shop's database to a file (while the workstation keeps working).
    Backup {
        /// Where the backup goes; it appears only when complete.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Include the shop's signing key, encrypted with the passphrase in this file's first line.
        #[arg(long, value_name = "FILE")]
        key_passphrase_file: Option<PathBuf>,
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Replace the shop's database with a backup, after checking it. Close the workstation first.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Restore the shop's key from the backup too, with the passphrase in this file's first line.
        #[arg(long, value_name = "FILE")]
        key_passphrase_file: Option<PathBuf>,
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

/// Which NVML library the GPUs are read through.
#[derive(clap::Args)]
pub struct Driver {
    /// Use this NVML library instead of the installed driver's libnvidia-ml.so.1.
    #[arg(long, value_name = "PATH")]
    pub nvml_lib: Option<PathBuf>,
    /// Run the simulated bench on this scenario: a file, or the name of one Revive ships
    /// (h100-healthy). Its fake driver is the one installed with Revive unless --nvml-lib names one.
    #[arg(long, value_name = "FILE|NAME")]
    pub scenario: Option<PathBuf>,
}

impl Driver {
    /// The driver library to load: the simulated bench's, another library, or the system's.
    pub fn source(&self) -> DriverSource {
        let shipped = || Shipped::resolve(None);
        match (&self.nvml_lib, &self.scenario) {
            (library, Some(scenario)) => DriverSource::Simulated {
                library: library.clone().unwrap_or_else(|| shipped().fake_nvml),
                scenario: shipped_scenario(scenario, &shipped().scenarios),
            },
            (Some(library), None) => DriverSource::Library(library.clone()),
            (None, None) => DriverSource::System,
        }
    }
}

/// A scenario file as given, or else the shipped scenario of that name.
fn shipped_scenario(given: &Path, shipped: &Path) -> PathBuf {
    let named = shipped.join(given).with_extension("json");
    if given.is_file() || given.components().count() != 1 || !named.is_file() {
        given.to_path_buf()
    } else {
        named
    }
}

/// Where stress runs read the GPUs from, and how their test processes are watched.
#[derive(clap::Args)]
pub struct StressDriver {
    #[command(flatten)]
    pub driver: Driver,
    /// How many times faster a simulated run's clock goes.
    #[arg(long, default_value_t = revive_core::stress::supervise::SIMULATED_SPEED, value_parser = clap::value_parser!(u32).range(1..=3600), hide = true)]
    pub speed: u32,
    /// Seconds without word from a test process before it counts as hung.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600), hide = true)]
    pub hang_after: u64,
}

/// `90s`, `45m`, `2h`, `1h30m` in seconds (digits typed on a Chinese keyboard count too).
fn parse_duration(text: &str) -> Result<u64, String> {
    revive_core::stress::form::parse_duration(text)
        .map_err(|_| format!("`{text}` is not a duration like 90s, 45m, 2h or 1h30m"))
}

#[derive(Subcommand)]
pub enum ProceduresAction {
    /// Every procedure, with its version and its number of steps.
    List {
        /// A folder of procedures (default: the shop's, those shipped with Revive or in
        /// $REVIVE_PROCEDURES and its own in the data folder's procedures/).
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
pub enum ExportFormat {
    /// RFC 4180, UTF-8, one row per job.
    Csv,
    /// An Excel workbook with typed columns.
    Xlsx,
    /// Every job with its full detail, in a versioned envelope.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SortBy {
    Received,
    Ticket,
    Customer,
    Model,
    Status,
    Updated,
}

/// The History screen's filters.
#[derive(clap::Args)]
pub struct HistoryFilters {
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
    /// The time zone of --from and --to and of the statistics' months by name (Asia/Shanghai,
    /// America/New_York), daylight saving time included; instead of --utc-offset.
    #[arg(long, value_name = "NAME", conflicts_with = "utc_offset")]
    time_zone: Option<String>,
}

impl HistoryFilters {
    pub fn query(self) -> HistoryQuery {
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
            time_zone: self.time_zone.unwrap_or_default(),
            utc_offset_minutes: self.utc_offset.unwrap_or_else(|| {
                // Read while the CLI is still one thread, as the time crate requires on Unix.
                time::UtcOffset::current_local_offset().map_or(0, |offset| offset.whole_minutes().into())
            }),
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Language {
    En,
    #[value(name = "zh-CN")]
    ZhCn,
}

impl Language {
    pub fn pick(self, text: &Text) -> &str {
        match self {
            Language::En => &text.en,
            Language::ZhCn => &text.zh_cn,
        }
    }

    /// One of the CLI's own words in this language (findings and next steps come from the catalogs).
    pub fn words<'a>(self, en: &'a str, zh_cn: &'a str) -> &'a str {
        match self {
            Language::En => en,
            Language::ZhCn => zh_cn,
        }
    }
}
