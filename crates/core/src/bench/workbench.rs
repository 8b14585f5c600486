//! The bench as the workstation uses it: connected to the real driver, or to the simulated bench
//! with a chosen scenario; each reading comes back judged.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::{BenchSnapshot, DriverSource, GpuProvider, NvmlProvider, Unavailable};
use crate::diagnostics::{judge_bench, DiagnosticRules, Finding};
use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::models::ModelCatalog;
use crate::runs::{self, DiagnosticRun};
use crate::store::Store;
use crate::telemetry::{check_interval, Sample, Sampler, Window};

/// A scenario the simulated bench offers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioInfo {
    pub id: String,
    pub description: String,
}

/// One reading of the whole bench with its findings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BenchView {
    pub snapshot: BenchSnapshot,
    pub scenario: Option<String>,
    pub findings: Vec<Finding>,
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

#[derive(Default)]
pub struct Workbench {
    provider: Option<Arc<NvmlProvider>>,
    scenario: Option<String>,
    /// Recent telemetry of each GPU; a recorded run takes its GPU's share along.
    window: Arc<Mutex<Window>>,
    sampler: Option<Sampler>,
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

    fn connect(&mut self, source: &DriverSource, scenario: Option<String>) -> CoreResult<()> {
        // One driver at a time: stop sampling and let go of the current one (and the fake's
        // scenario) before opening the next.
        self.sampler = None;
        self.provider = None;
        self.scenario = None;
        self.window = Arc::default();
        self.provider = Some(Arc::new(NvmlProvider::open(source)?));
        self.scenario = scenario;
        Ok(())
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
        self.sampler = Some(Sampler::start(provider, interval, self.window.clone(), sink));
        Ok(())
    }

    pub fn stop_watching(&mut self) {
        self.sampler = None;
    }

    pub fn read(&self) -> CoreResult<BenchView> {
        let snapshot = self.provider()?.snapshot()?;
        let findings = judge_bench(DiagnosticRules::shipped()?, ModelCatalog::shipped()?, &snapshot);
        Ok(BenchView { snapshot, scenario: self.scenario.clone(), findings })
    }

    /// Reads the bench afresh and records GPU `gpu_index` to the job.
    pub fn record(&self, store: &Store, job_id: i64, gpu_index: u32, actor: &str) -> CoreResult<DiagnosticRun> {
        let snapshot = self.provider()?.snapshot()?;
        let telemetry = self.window.lock().unwrap_or_else(|p| p.into_inner()).of(gpu_index);
        runs::record(store, job_id, &snapshot, gpu_index, self.scenario.as_deref(), &telemetry, actor)
    }
}
