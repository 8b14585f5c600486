//! The workstation's bench: choosing the simulated bench's scenario, reading, recording to a job.

mod common;

use common::{built_library, hold_bench, shipped_scenario};
use revive_core::bench::{SimulatedBench, Unavailable, Workbench};
use revive_core::intake::IntakeForm;
use revive_core::jobs::Jobs;
use revive_core::runs;
use revive_core::store::Store;
use revive_core::{CoreError, Field, Problem};

fn simulated() -> SimulatedBench {
    SimulatedBench { library: built_library(), scenarios: shipped_scenario("x").parent().unwrap().to_owned() }
}

#[test]
fn the_simulated_bench_offers_every_shipped_scenario() {
    let scenarios = simulated().scenarios();
    assert!(scenarios.len() >= 13);
    let pending = scenarios.iter().find(|s| s.id == "h100-remap-pending").unwrap();
    assert!(pending.description.contains("pending"));
}

#[test]
fn scenario_names_cannot_escape_their_folder() {
    let _bench = hold_bench();
    let mut bench = Workbench::default();
    for bad in ["../etc/passwd", "H100", "", "a/b", "no-such-scenario"] {
        let error = bench.connect_simulated(&simulated(), bad).unwrap_err();
        assert!(matches!(error, CoreError::Invalid { field: Field::Scenario, .. }), "{bad}: {error:?}");
    }
}

#[test]
fn a_disconnected_bench_says_why() {
    let _bench = hold_bench();
    let mut bench = Workbench::default();
    assert!(matches!(bench.read(), Err(CoreError::Bench(Unavailable::NoDriver))));
    let missing = bench.connect_driver(Some("/nonexistent/libnvidia-ml.so.1".as_ref())).unwrap_err();
    assert_eq!(missing.code(), "no_driver");
    let unloaded = bench.connect_simulated(&simulated(), "no-driver-loaded").unwrap_err();
    assert_eq!(unloaded.code(), "driver_not_loaded");
    assert!(bench.read().is_err(), "a failed connection leaves nothing connected");
}

#[test]
fn read_judges_the_bench_and_record_keeps_it_on_the_job() {
    let _bench = hold_bench();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    let form = IntakeForm {
        customer_name: "Acme".into(),
        model_id: "h100-sxm5-80gb".into(),
        board_serial: "1654922012345".into(),
        symptom_observed: "slow".into(),
        quote_amount: "1".into(),
        quote_currency: "CNY".into(),
        ..Default::default()
    };
    let job = Jobs::new(&store).unwrap().intake(&form, "Li Wei").unwrap();

    let mut bench = Workbench::default();
    bench.connect_simulated(&simulated(), "h100-thermal-slowdown").unwrap();
    let view = bench.read().unwrap();
    assert_eq!(view.scenario.as_deref(), Some("h100-thermal-slowdown"));
    assert!(view.snapshot.simulated);
    assert!(view.findings.iter().any(|f| f.code == "thermal_slowdown"));

    let run = bench.record(&store, job.id, 0, "Li Wei").unwrap();
    assert_eq!(run.scenario.as_deref(), Some("h100-thermal-slowdown"));
    assert_eq!(runs::for_job(&store, job.id).unwrap().runs.len(), 1);
    assert!(matches!(
        bench.record(&store, job.id, 7, "Li Wei").unwrap_err(),
        CoreError::Invalid { field: Field::GpuIndex, problem: Problem::Unknown }
    ));
}
