//! Kill -9 during a procedure run, many times, at random moments: the store stays intact, keeps
//! exactly the answers committed before each kill, and the run resumes where it stopped.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use std::io::Write;

use common::{open_shop, Dice, TECH};
use revive_core::jobs::intake::IntakeForm;
use revive_core::jobs::JobQuery;
use revive_core::procedures::runs::{Answer, CheckResult};

const ANSWERS: usize = 240;
/// Set for the child process: the test binary re-runs itself as the technician who gets killed.
const CHILD_DATA_DIR: &str = "REVIVE_CRASH_CHILD_DATA";

/// What the script answers at `step`: a short on the core rail, then "replace the stage", forever.
fn answer_for(step: &str, photo: &str) -> Answer {
    match step {
        "core-rail" => Answer::Measure { value: 0.05 },
        "short-found" => Answer::Choose { option: "replace-stage".into() },
        "visual" => Answer::Check { result: CheckResult::Pass },
        "photo-stages" => Answer::Photos { hashes: vec![photo.to_owned()] },
        other => panic!("the script does not expect step {other}"),
    }
}

/// The child: a technician who never stops, printing `committed N` after each stored answer. It
/// resumes the run a killed predecessor left, exactly where it stopped. Does nothing in a normal run.
#[test]
fn scripted_technician() {
    let Some(dir) = std::env::var_os(CHILD_DATA_DIR) else { return };
    let shop = open_shop(Path::new(&dir));
    let tech = shop.technician_or_first(TECH).unwrap();
    let jobs = shop.jobs();
    let job = match jobs.list(&JobQuery::default()).unwrap().first() {
        Some(job) => job.id,
        None => {
            let form = IntakeForm {
                customer_name: "Crash Test".into(),
                model_id: "h100-sxm5-80gb".into(),
                board_serial: "CRASH1".into(),
                symptom_observed: "dead".into(),
                quote_amount: "1".into(),
                quote_currency: "CNY".into(),
                ..Default::default()
            };
            jobs.intake(&form, &tech).unwrap().id
        }
    };
    let mut state = match shop.procedure_runs().for_job(job).unwrap().into_iter().find(|r| r.current_step.is_some()) {
        Some(run) => run,
        None => shop.procedure_runs().start(job, "vrm-inspection", &tech).unwrap(),
    };
    let photo = shop.photos().attach(job, b"\xFF\xD8\xFF crash test", &tech).unwrap();
    let mut out = std::io::stdout().lock();
    while state.results.len() < ANSWERS {
        let step = state.current_step.clone().unwrap();
        state = shop.procedure_runs().answer(state.id, &step, &answer_for(&step, &photo), "", &tech, None).unwrap();
        writeln!(out, "committed {}", state.results.len()).unwrap();
        out.flush().unwrap();
    }
}

/// The answers the script gives, in order, after its two inspection steps.
fn expected_step(index: usize) -> &'static str {
    match index {
        0 => "visual",
        1 => "photo-stages",
        n if n % 2 == 0 => "core-rail",
        _ => "short-found",
    }
}

/// The count in a `committed N` line; the test harness prints other lines around it.
fn count(line: &str) -> Option<usize> {
    line.strip_prefix("committed ")?.trim().parse().ok()
}

fn check_store(dir: &Path, committed: usize) -> usize {
    let shop = open_shop(dir);
    let integrity: String =
        shop.store().read(|tx| Ok(tx.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)).unwrap();
    assert_eq!(integrity, "ok");
    let run = shop.procedure_runs().for_job(1).unwrap().pop();
    let results = run.map(|r| r.results).unwrap_or_default();
    // The kill can land after a commit and before its line was printed: one more, never fewer.
    assert!(results.len() == committed || results.len() == committed + 1, "{} vs {committed}", results.len());
    for (index, result) in results.iter().enumerate() {
        assert_eq!((result.visit as usize, result.step_id.as_str()), (index + 1, expected_step(index)));
    }
    results.len()
}

#[test]
fn killed_runs_keep_exactly_what_was_committed_and_resume() {
    if std::env::var_os(CHILD_DATA_DIR).is_some() {
        return;
    }
    let program = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    let mut dice = Dice(seed);
    let mut kept = 0;
    let mut kills = 0;
    while kept < ANSWERS {
        let mut child = Command::new(&program)
            .args(["--exact", "scripted_technician", "--nocapture", "--test-threads", "1"])
            .env(CHILD_DATA_DIR, dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // Let it commit a random number of answers (0 to 15), then kill it mid-flight.
        let target = dice.below(16) as usize;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut committed = kept;
        let deadline = Instant::now() + Duration::from_secs(60);
        while committed < (kept + target).min(ANSWERS) && Instant::now() < deadline {
            match lines.next() {
                Some(Ok(line)) => committed = count(&line).unwrap_or(committed),
                _ => break,
            }
        }
        std::thread::sleep(Duration::from_micros(dice.below(3_000)));
        let _ = child.kill();
        // Lines written before the kill still count as committed.
        for line in lines.map_while(Result::ok) {
            committed = count(&line).unwrap_or(committed);
        }
        child.wait().unwrap();
        kept = check_store(dir.path(), committed);
        kills += 1;
        assert!(kills < 500, "the run never finishes");
    }
    assert!(kills >= 10, "only {kills} kills: the script ran too fast to be interrupted");
    assert_eq!(check_store(dir.path(), ANSWERS), ANSWERS);
}
