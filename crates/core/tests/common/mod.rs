//! The simulated bench for integration tests: the fake driver library and the shipped scenarios.
//! Each test binary uses part of it.
#![allow(dead_code)]

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

pub use nvidia_ml_fake::locate::{built_library, shipped_scenario};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use revive_core::bench::{now_ms, Sample};
use revive_core::bench::{DriverSource, GpuProvider, NvmlProvider, Unavailable};
use revive_core::diagnostics::runs::RunEvidence;
use revive_core::jobs::intake::IntakeForm;
use revive_core::paths::Shipped;
use revive_core::pins::Signer;
use revive_core::procedures::runs::Answer;
use revive_core::settings::{SettingsForm, Technician};
use revive_core::stress::burn_in::{run_burn_in, HostCompute};
use revive_core::stress::host::HostMemory;
use revive_core::stress::memtest::{run_memory_test, MemoryTestPlan};
use revive_core::stress::supervise::GpuStressOutcome;
use revive_core::stress::verdict::{judge, StressEvidence, WorkerEnd};
use revive_core::stress::ScaledClock;
use revive_core::workshop::Catalogs;
use revive_core::workshop::Workshop;

/// The technician the helpers act as (a fresh bench enrols them with the first intake).
pub const TECH: &str = "Li Wei";

/// A workshop in `dir` with what ships in this checkout.
pub fn open_shop(dir: &Path) -> Workshop {
    Workshop::open(dir, Shipped::resolve(None)).unwrap()
}

/// Whoever sits at the bench, or [`TECH`] on a bench nobody has enrolled at yet.
pub fn tech(shop: &Workshop) -> Technician {
    shop.technician_or_first(TECH).unwrap()
}

/// Enrols `name` (keeping the shop's technicians and settings) and seats them at the bench, as the
/// Settings switch does; returns them as the next action's technician.
pub fn seat(shop: &Workshop, name: &str) -> Technician {
    let settings = shop.settings().unwrap();
    let mut technicians = settings.technicians.clone();
    if !technicians.iter().any(|t| t == name) {
        technicians.push(name.into());
    }
    let form = SettingsForm {
        shop_name: settings.shop_name,
        shop_address: settings.shop_address,
        language: serde_json::to_value(settings.language).unwrap().as_str().unwrap().into(),
        technicians,
        current_technician: name.into(),
        labor_rate: settings.labor_rate.map(|m| format!("{}.{:02}", m.minor / 100, m.minor % 100)).unwrap_or_default(),
        labor_currency: settings.labor_rate.map(|m| m.currency.code().into()).unwrap_or_default(),
        label_size: serde_json::to_value(settings.label_size).unwrap().as_str().unwrap().into(),
    };
    shop.save_settings(&form).unwrap();
    shop.technician().unwrap()
}

/// The PIN every test technician sets.
pub const PIN: &str = "2468";

/// `name` (enrolled if new, the bench's seat unchanged) signing with their own PIN, set first if
/// they have none.
pub fn signer(shop: &Workshop, name: &str) -> Signer {
    let settings = shop.settings().unwrap();
    if !settings.technicians.iter().any(|t| t == name) {
        let seated = settings.current_technician.clone().unwrap_or_else(|| name.into());
        seat(shop, name);
        seat(shop, &seated);
    }
    if !shop.pins().states().unwrap().iter().any(|s| s.technician == name && s.set) {
        shop.pins().set(name, "", PIN).unwrap();
    }
    shop.pins().sign_in(name, PIN).unwrap()
}

/// Takes in the H100 with serial 1654922012345 that the H100 scenarios describe; returns the job id.
pub fn take_in_h100(shop: &Workshop) -> i64 {
    let form = IntakeForm {
        customer_name: "Deep Compute".into(),
        model_id: "h100-sxm5-80gb".into(),
        board_serial: "1654922012345".into(),
        symptom_observed: "Xid 63 under load".into(),
        quote_amount: "12000".into(),
        quote_currency: "CNY".into(),
        ..Default::default()
    };
    shop.jobs().intake(&form, &tech(shop)).unwrap().id
}

/// The fake driver keeps its scenario in process-wide state, as a real driver does: one bench at a time.
static BENCH: Mutex<()> = Mutex::new(());

pub fn hold_bench() -> MutexGuard<'static, ()> {
    BENCH.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn open(name: &str) -> Result<NvmlProvider, Unavailable> {
    NvmlProvider::open(&DriverSource::Simulated { library: built_library(), scenario: shipped_scenario(name) })
}

/// Runs `check` with a provider on scenario `name`, holding the bench for the whole check.
pub fn on_bench(name: &str, check: impl FnOnce(&NvmlProvider)) {
    let _bench = hold_bench();
    check(&open(name).unwrap());
}

/// Records GPU 0 of `scenario` (with `telemetry`) to the job, as "Record to job" on the Bench does.
pub fn record_scenario(shop: &Workshop, job: i64, scenario: &str, telemetry: &[Sample]) {
    let snapshot = open(scenario).unwrap().snapshot().unwrap();
    let evidence =
        RunEvidence { snapshot: &snapshot, gpu_index: 0, scenario: Some(scenario), telemetry, xid_findings: vec![] };
    shop.diagnostics().record(job, &evidence, None, &tech(shop)).unwrap();
}

/// A small xorshift for the crash tests: random kill moments without a dependency, different on
/// every run (seed it from the clock; the seed is printed).
pub struct Dice(pub u64);

impl Dice {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What a simulated run on GPU 0 of `scenario` gives: the real engines on host memory and compute,
/// judged by the shipped rules (the test processes are `revive stress`'s business, tested there).
pub fn simulated_stress(scenario: &str, burn_in_minutes: Option<u64>, memory: bool) -> GpuStressOutcome {
    let reading = open(scenario).unwrap().snapshot().unwrap().gpus.remove(0);
    let clock = ScaledClock::faster(3600);
    let cancel = AtomicBool::new(false);
    let memory = memory.then(|| {
        let mut host = HostMemory::new(1 << 18, 1 << 20).unwrap();
        run_memory_test(&mut host, &MemoryTestPlan::standard(1, 3), &clock, &cancel, &mut |_| {}).0
    });
    let burn_in = burn_in_minutes.map(|minutes| {
        let mut host = HostCompute::new(16, Vec::new());
        run_burn_in(&mut host, Duration::from_secs(minutes * 60), &clock, &cancel, &mut |_| {}).0
    });
    let started_at_ms = now_ms();
    let samples: Vec<Sample> = (0..30u64)
        .map(|i| Sample {
            at_ms: started_at_ms + i * 20,
            gpu: 0,
            temperature_c: Some(70),
            memory_temperature_c: Some(78),
            power_w: Some(680.0),
            sm_clock_mhz: Some(1830),
            pcie_generation: Some(5),
            pcie_width: Some(16),
            clock_event_reasons: 0x4,
            lost: false,
        })
        .collect();
    let seconds = burn_in.as_ref().map_or(600, |b| b.seconds);
    let judgement = judge(
        &Catalogs::built_in().unwrap().rules,
        &Catalogs::built_in().unwrap().xids,
        &StressEvidence {
            before: &reading,
            after: &reading,
            samples: &samples,
            started_at_ms,
            clock_speed: 3600,
            xids: &[],
            memory: memory.as_ref(),
            burn_in: burn_in.as_ref(),
            worker: &WorkerEnd::Finished,
            run_seconds: seconds,
            persistence_off: false,
        },
    );
    GpuStressOutcome {
        gpu: 0,
        simulated: true,
        started_at_ms,
        seconds,
        before: reading.clone(),
        after: reading,
        memory,
        burn_in,
        worker: WorkerEnd::Finished,
        xids: Vec::new(),
        judgement,
        samples,
        clock_speed: 3600,
    }
}

/// Final QA's load tests on run `run` of `job`: a memory test and a burn-in of `burn_in_minutes`
/// recorded to the job (from the simulated bench unless `real`), then the run's three steps. The
/// burn-in gate's answer is returned: too short a burn-in keeps it shut.
pub fn pass_load_tests(
    shop: &Workshop,
    job: i64,
    run: i64,
    burn_in_minutes: u64,
    real: bool,
) -> Result<(), revive_core::CoreError> {
    use revive_core::procedures::runs::{Answer, CheckResult};
    let answer = |step: &str, answer: Answer| shop.procedure_runs().answer(run, step, &answer, "", &tech(shop), None);
    answer("load-tests", Answer::Check { result: CheckResult::Pass }).unwrap();
    let mut outcome = simulated_stress("h100-healthy", Some(burn_in_minutes), true);
    outcome.simulated = !real;
    // The stand-in card is the H100 the helpers take in; another model's job says why it is recorded.
    shop.stress().record(job, &outcome, Some("测试台上的同一张卡"), &tech(shop)).unwrap();
    answer("memory-test", Answer::Confirm).unwrap();
    answer("burn-in", Answer::Confirm).map(drop)
}

/// What burn-in looked like on the bench: hot and drawing near the power limit.
pub fn burn_in_telemetry() -> Vec<Sample> {
    (0..120u32)
        .map(|second| Sample {
            at_ms: 1_764_300_000_000 + u64::from(second) * 1000,
            gpu: 0,
            temperature_c: Some(60 + second % 24),
            memory_temperature_c: Some(70 + second % 18),
            power_w: Some(600.0 + f64::from(second % 91)),
            sm_clock_mhz: Some(1980),
            pcie_generation: Some(5),
            pcie_width: Some(16),
            clock_event_reasons: 0,
            lost: false,
        })
        .collect()
}

pub fn final_qa(shop: &Workshop, job: i64) {
    let run = shop.procedure_runs().start(job, "final-qa-burn-in", &tech(shop)).unwrap();
    let answer = |step: &str, answer: Answer, who: &Technician| {
        shop.procedure_runs().answer(run.id, step, &answer, "", who, None).unwrap()
    };
    pass_load_tests(shop, job, run.id, 120, false).unwrap();
    answer("bandwidth", Answer::Measure { value: 1_880_000.0 }, &tech(shop));
    record_scenario(shop, job, "h100-remap-reset", &burn_in_telemetry());
    answer("release-reading", Answer::Confirm, &tech(shop));
    let photos = [1u8, 2].map(|n| shop.photos().attach(job, &[0xFF, 0xD8, 0xFF, n], &tech(shop)).unwrap());
    answer("photos-out", Answer::Photos { hashes: photos.to_vec() }, &tech(shop));
    sign(shop, run.id, "technician-qc", TECH);
    // The approver signs with their own PIN at Li Wei's bench.
    sign(shop, run.id, "approver-qc", "Zhang Min");
}

pub fn sign(shop: &Workshop, run: i64, step: &str, name: &str) {
    shop.procedure_runs().answer(run, step, &Answer::Confirm, "", &tech(shop), Some(&signer(shop, name))).unwrap();
}

/// A shop in `dir` with an H100 taken in with a pending remap, then repaired: final QA passed
/// with Zhang Min's approval. Li Wei is at the bench.
pub fn repaired_job(dir: &std::path::Path) -> (Workshop, i64) {
    let shop = open_shop(dir);
    let job = take_in_h100(&shop);
    let settings = SettingsForm {
        language: "zh-CN".into(),
        technicians: vec![TECH.into(), "Zhang Min".into()],
        current_technician: TECH.into(),
        ..Default::default()
    };
    shop.save_settings(&settings).unwrap();
    record_scenario(&shop, job, "h100-remap-pending", &[]);
    final_qa(&shop, job);
    (shop, job)
}
