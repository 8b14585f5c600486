//! The bench as the workstation uses it: connected to the real driver, or to the simulated bench
//! with a chosen scenario; each reading comes back judged.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::{now_ms, Sample};
use super::{BenchSnapshot, DriverSource, GpuProvider, NvmlProvider, Unavailable};
use crate::bench::telemetry::{check_interval, start_sampler, Window};
use crate::diagnostics::runs::{DiagnosticRun, RunEvidence};
use crate::diagnostics::{judge_bench, live_xid_findings, parse_kernel_log, xid_findings, Finding, XidCatalog};
use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::settings::Technician;
use crate::worker::Worker;
use crate::workshop::{Catalogs, Workshop};

/// A scenario the simulated bench offers.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ScenarioInfo {
    pub id: String,
    pub description: String,
}

/// One reading of the whole bench with its findings.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct BenchView {
    pub snapshot: BenchSnapshot,
    pub scenario: Option<String>,
    pub findings: Vec<Finding>,
    /// Xids the driver reported since the bench connected, oldest first.
    pub xids: Vec<LiveXid>,
}

/// Where the simulated bench lives: the fake driver library and the scenario folder.
#[derive(Debug, Clone)]
pub struct SimulatedBench {
    pub library: PathBuf,
    pub scenarios: PathBuf,
}

impl SimulatedBench {
    /// The scenarios on offer, by file name; a file that is not a readable scenario is left out.
    pub fn scenarios(&self) -> Vec<ScenarioInfo> {
        let Ok(entries) = std::fs::read_dir(&self.scenarios) else { return Vec::new() };
        let mut found: Vec<ScenarioInfo> = entries
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                let id = path.file_stem()?.to_str()?.to_owned();
                if path.extension()? != "json" || !valid_id(&id) {
                    return None;
                }
                let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).ok()?).ok()?;
                Some(ScenarioInfo { id, description: doc["description"].as_str()?.to_owned() })
            })
            .collect();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        found
    }

    fn scenario_path(&self, id: &str) -> CoreResult<PathBuf> {
        let path = self.scenarios.join(format!("{id}.json"));
        if !valid_id(id) || !path.is_file() {
            return Err(CoreError::invalid(
                Field::Scenario,
                if id.is_empty() { Problem::Empty } else { Problem::Unknown },
            ));
        }
        Ok(path)
    }
}

/// Scenario ids are file names: lowercase letters, digits and dashes only, so no path escapes the folder.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A pasted kernel log is a few days of `dmesg` at most; more is a mistake, not a log.
pub const MAX_KERNEL_LOG_BYTES: usize = 20 * 1024 * 1024;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct KernelLogImport {
    /// Xid lines found.
    pub events: usize,
    pub findings: Vec<Finding>,
}

/// An Xid the driver reported while the bench was connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct LiveXid {
    pub gpu_index: u32,
    pub xid: u64,
    pub at_ms: u64,
}

/// The Xids the bench's watcher heard, shared with whoever reads them.
pub type HeardXids = Arc<Mutex<Vec<LiveXid>>>;

#[derive(Default)]
pub struct Workbench {
    provider: Option<Arc<NvmlProvider>>,
    scenario: Option<String>,
    /// Recent telemetry of each GPU; a recorded run takes its GPU's share along.
    window: Arc<Mutex<Window>>,
    sampler: Option<Worker>,
    /// Xids reported since connecting, and the thread waiting for more.
    xids: Arc<Mutex<Vec<LiveXid>>>,
    xid_watcher: Option<Worker>,
}

impl Workbench {
    /// Connects to the installed NVIDIA driver (or another NVML library); on failure the bench is
    /// left disconnected and the error says why.
    pub fn connect_driver(&mut self, library: Option<&Path>) -> CoreResult<()> {
        let source = library.map_or(DriverSource::System, |path| DriverSource::Library(path.to_owned()));
        self.connect(&source, None)
    }

    /// Connects to the simulated bench running `scenario`.
    pub fn connect_simulated(&mut self, bench: &SimulatedBench, scenario: &str) -> CoreResult<()> {
        let path = bench.scenario_path(scenario)?;
        let source = DriverSource::Simulated { library: bench.library.clone(), scenario: path };
        self.connect(&source, Some(scenario.to_owned()))
    }

    /// Connects to any driver source; a simulated one is named after its scenario file.
    pub fn connect_source(&mut self, source: &DriverSource) -> CoreResult<()> {
        let scenario = match source {
            DriverSource::Simulated { scenario, .. } => scenario.file_stem().map(|s| s.to_string_lossy().into_owned()),
            _ => None,
        };
        self.connect(source, scenario)
    }

    fn connect(&mut self, source: &DriverSource, scenario: Option<String>) -> CoreResult<()> {
        // One driver at a time: stop sampling and let go of the current one (and the fake's
        // scenario) before opening the next.
        self.sampler = None;
        self.xid_watcher = None;
        self.provider = None;
        self.scenario = None;
        self.window = Arc::default();
        self.xids = Arc::default();
        let provider = Arc::new(NvmlProvider::open(source)?);
        let (watched, xids) = (provider.clone(), self.xids.clone());
        self.xid_watcher = Some(Worker::spawn(move |stop| {
            watched.wait_for_xids(stop, &mut |gpu_index, xid| {
                xids.lock().unwrap_or_else(|p| p.into_inner()).push(LiveXid { gpu_index, xid, at_ms: now_ms() });
            });
        }));
        self.provider = Some(provider);
        self.scenario = scenario;
        Ok(())
    }

    /// Findings for the Xids the driver reported, on their GPUs (a GPU that fell off the bus too).
    fn xid_findings(&self, catalog: &XidCatalog) -> Vec<Finding> {
        let xids: Vec<(u32, u32)> = self
            .xids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|live| (live.gpu_index, u32::try_from(live.xid).unwrap_or(u32::MAX)))
            .collect();
        live_xid_findings(catalog, &xids)
    }

    fn provider(&self) -> CoreResult<&Arc<NvmlProvider>> {
        self.provider.as_ref().ok_or(CoreError::Bench(Unavailable::NoDriver))
    }

    /// Samples every GPU every `interval_ms` on a thread of its own, handing each batch to `sink`,
    /// until [`Workbench::stop_watching`] or the next connection. Replaces an earlier watch.
    pub fn watch(&mut self, interval_ms: u64, sink: impl FnMut(&[Sample]) + Send + 'static) -> CoreResult<()> {
        let interval = check_interval(interval_ms)?;
        let provider = self.provider()?.clone();
        self.sampler = None;
        self.sampler = Some(start_sampler(provider, interval, self.window.clone(), sink));
        Ok(())
    }

    pub fn stop_watching(&mut self) {
        self.sampler = None;
    }

    /// The driver and the Xids heard so far, shared: a stress run borrows them for hours without
    /// holding the bench.
    pub fn shared(&self) -> CoreResult<(Arc<NvmlProvider>, HeardXids)> {
        Ok((self.provider()?.clone(), self.xids.clone()))
    }

    /// Reads the bench and judges it by the shop's rules.
    pub fn read(&self, catalogs: &Catalogs) -> CoreResult<BenchView> {
        let snapshot = self.provider()?.snapshot()?;
        let mut findings = judge_bench(&catalogs.rules, &catalogs.models, &snapshot);
        findings.extend(self.xid_findings(&catalogs.xids));
        let xids = self.xids.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Ok(BenchView { snapshot, scenario: self.scenario.clone(), findings, xids })
    }

    /// What reads a kernel log against this bench's GPUs; it holds no borrow of the bench, so a
    /// caller that shares the bench behind a lock lets go of it before the (long) parse.
    pub fn kernel_log_reader(&self) -> KernelLogReader {
        KernelLogReader { provider: self.provider.clone() }
    }

    /// Reads the bench afresh and records GPU `gpu_index` to the job.
    pub fn record(
        &self,
        workshop: &Workshop,
        job_id: i64,
        gpu_index: u32,
        mismatch_reason: Option<&str>,
        by: &Technician,
    ) -> CoreResult<DiagnosticRun> {
        let snapshot = self.provider()?.snapshot()?;
        let telemetry = self.window.lock().unwrap_or_else(|p| p.into_inner()).of(gpu_index);
        let evidence = RunEvidence {
            snapshot: &snapshot,
            gpu_index,
            scenario: self.scenario.as_deref(),
            telemetry: &telemetry,
            xid_findings: self.xid_findings(&workshop.catalogs().xids),
        };
        workshop.diagnostics().record(job_id, &evidence, mismatch_reason, by)
    }
}

/// Reads pasted kernel-log text against the GPUs of the bench it came from.
pub struct KernelLogReader {
    provider: Option<Arc<NvmlProvider>>,
}

impl KernelLogReader {
    /// Finds the Xids in kernel-log text (`dmesg`, `journalctl -k`), placed on the bench's GPUs by
    /// PCI address when the bench is connected.
    pub fn import(&self, text: &str, catalog: &XidCatalog) -> CoreResult<KernelLogImport> {
        if text.len() > MAX_KERNEL_LOG_BYTES {
            return Err(CoreError::invalid(Field::KernelLog, Problem::TooLong { max: MAX_KERNEL_LOG_BYTES as u64 }));
        }
        let events = parse_kernel_log(text);
        let snapshot = self.provider.as_ref().and_then(|provider| provider.snapshot().ok());
        Ok(KernelLogImport { events: events.len(), findings: xid_findings(catalog, &events, snapshot.as_ref()) })
    }
}
