//! A crash campaign: a child process works a bench for real (intake, status moves, photos,
//! readings, procedure answers and sign-offs, certificates, exports, backups and restores) and is
//! killed with SIGKILL at a random moment, again and again. After every kill the store is intact,
//! everything the child said it committed is there (since its last restore), no ticket or
//! certificate number was ever handed out twice, the audit chain holds, and every export and
//! backup under its own name is complete. `REVIVE_CRASH_KILLS` sets how many kills (30 by default).

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{open_shop, record_scenario, signer, take_in_h100, tech, Dice, TECH};
use revive_core::certificates::CertificateLanguage;
use revive_core::history::export::{CsvOptions, ExportFormat};
use revive_core::history::HistoryQuery;
use revive_core::jobs::{JobQuery, StatusChange};
use revive_core::procedures::runs::Answer;
use revive_core::settings::SettingsForm;
use revive_core::workshop::Workshop;

/// Set for the child process: the test binary re-runs itself as the bench that gets killed.
const CHILD_DATA_DIR: &str = "REVIVE_CAMPAIGN_CHILD_DATA";
const APPROVER: &str = "张敏";
const PASSPHRASE: &str = "华强北 崩溃测试 口令";

/// Prints one line the parent trusts: the child says it only after the work is committed.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "said {line}").unwrap();
    out.flush().unwrap();
}

fn folder(dir: &Path, name: &str) -> PathBuf {
    let folder = dir.parent().unwrap().join(name);
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// One card through the whole bench: intake to certificate.
fn repair_one(shop: &Workshop, photo_seed: u128) {
    let job = take_in_h100(shop);
    let ticket = shop.jobs().get(job).unwrap().ticket;
    say(&format!("intake {ticket}"));
    let change = StatusChange { to: "diagnosing".into(), reason: String::new() };
    shop.jobs().change_status(job, &change, &tech(shop)).unwrap();
    say(&format!("status {ticket}"));
    record_scenario(shop, job, "h100-remap-pending", &[]);
    let runs = shop.procedure_runs();
    let run = runs.start(job, "final-qa-burn-in", &tech(shop)).unwrap().id;
    let answer = |step: &str, answer: Answer| runs.answer(run, step, &answer, "", &tech(shop), None).unwrap();
    common::pass_load_tests(shop, job, run, 120, false).unwrap();
    say(&format!("answer {ticket} burn-in"));
    answer("bandwidth", Answer::Measure { value: 1_880_000.0 });
    record_scenario(shop, job, "h100-remap-reset", &[]);
    answer("release-reading", Answer::Confirm);
    let photos: Vec<String> = [1u8, 2]
        .iter()
        .map(|n| {
            let bytes = [&[0xFF, 0xD8, 0xFF, *n][..], &photo_seed.to_le_bytes()].concat();
            let hash = shop.photos().attach(job, &bytes, &tech(shop)).unwrap();
            say(&format!("photo {hash}"));
            hash
        })
        .collect();
    answer("photos-out", Answer::Photos { hashes: photos });
    for (step, name) in [("technician-qc", TECH), ("approver-qc", APPROVER)] {
        runs.answer(run, step, &Answer::Confirm, "", &tech(shop), Some(&signer(shop, name))).unwrap();
    }
    let certificate = shop.certificates().issue(job, 90, CertificateLanguage::Both, &tech(shop)).unwrap();
    say(&format!("certificate {} {ticket}", certificate.number));
}

/// The child: works forever, saying what it committed. Does nothing in a normal test run.
#[test]
fn bench_at_work() {
    let Some(dir) = std::env::var_os(CHILD_DATA_DIR) else { return };
    let dir = PathBuf::from(dir);
    let shop = open_shop(&dir);
    shop.save_settings(&SettingsForm {
        language: "zh-CN".into(),
        technicians: vec![TECH.into(), APPROVER.into()],
        current_technician: TECH.into(),
        ..Default::default()
    })
    .unwrap();
    let (exports, backups) = (folder(&dir, "exports"), folder(&dir, "backups"));
    for round in 0u128.. {
        let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() ^ round;
        repair_one(&shop, seed);
        let csv = exports.join(format!("history-{seed}.csv"));
        let query = HistoryQuery::default();
        shop.history().export(&query, ExportFormat::Csv, CsvOptions::default(), &csv, |_| true).unwrap();
        say(&format!("export {}", csv.display()));
        if round % 2 == 1 {
            let file = backups.join(format!("bench-{seed}.revive-backup"));
            shop.history().back_up(&file, Some(PASSPHRASE)).unwrap();
            say(&format!("backup {}", file.display()));
        }
        if round % 3 == 2 {
            let newest = std::fs::read_dir(&backups)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "revive-backup"))
                .max();
            if let Some(file) = newest {
                say("restoring");
                shop.history().restore(&file, Some(PASSPHRASE)).unwrap();
                say("restored");
            }
        }
    }
}

/// What the child said, in order, over the whole campaign.
#[derive(Default)]
struct Said {
    lines: Vec<String>,
}

impl Said {
    /// The lines since the child last began a restore: what must be in the store now.
    fn since_restore(&self) -> &[String] {
        match self.lines.iter().rposition(|line| line == "restoring") {
            Some(at) => &self.lines[at + 1..],
            None => &self.lines,
        }
    }

    fn words<'a>(&'a self, lines: &'a [String], kind: &'a str) -> impl Iterator<Item = Vec<&'a str>> + 'a {
        lines.iter().filter_map(move |line| {
            let mut words = line.split(' ');
            (words.next() == Some(kind)).then(|| words.collect())
        })
    }
}

/// The child's words in a line of its output; the test harness may print its own text before
/// them on the same line.
fn what_was_said(line: &str) -> Option<String> {
    line.split_once("said ").map(|(_, rest)| rest.to_owned())
}

/// Everything that must hold after a kill.
fn check_after_kill(dir: &Path, said: &Said) {
    let shop = open_shop(dir);
    let integrity: String =
        shop.store().read(|tx| Ok(tx.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)).unwrap();
    assert_eq!(integrity, "ok");
    assert_eq!(shop.audit().unwrap().broken, None, "the audit chain holds");

    // Nothing committed since the last restore is lost.
    let tickets: BTreeSet<String> =
        shop.jobs().list(&JobQuery::default()).unwrap().into_iter().map(|job| job.ticket).collect();
    let recent = said.since_restore();
    for words in said.words(recent, "intake") {
        assert!(tickets.contains(words[0]), "ticket {} was committed and is gone", words[0]);
    }
    for words in said.words(recent, "certificate") {
        assert!(shop.certificates().get(words[0]).is_ok(), "certificate {} was issued and is gone", words[0]);
    }
    for words in said.words(&said.lines, "photo") {
        let path = revive_core::jobs::attachments::path_of(dir, words[0]);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("photo {} is gone: {e}", words[0]));
        use sha2::Digest;
        assert_eq!(format!("{:x}", sha2::Sha256::digest(&bytes)), words[0], "a photo is whole under its hash");
    }

    // No number is ever handed out twice, restores or not.
    for kind in ["intake", "certificate"] {
        let numbers: Vec<&str> = said.words(&said.lines, kind).map(|words| words[0]).collect();
        let unique: BTreeSet<&&str> = numbers.iter().collect();
        assert_eq!(unique.len(), numbers.len(), "a {kind} number was reused: {numbers:?}");
    }

    // Every file under its own name is complete: exports end with their last row, backups check out.
    for entry in std::fs::read_dir(folder(dir, "exports")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.ends_with('\n') && text.lines().count() > 1, "{path:?} is cut short");
        }
    }
    let newest_backup = std::fs::read_dir(folder(dir, "backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "revive-backup"))
        .max();
    if let Some(file) = newest_backup {
        let scratch = tempfile::tempdir().unwrap();
        open_shop(scratch.path()).history().restore(&file, Some(PASSPHRASE)).unwrap();
    }
}

#[test]
fn a_bench_killed_at_random_keeps_everything_it_committed() {
    if std::env::var_os(CHILD_DATA_DIR).is_some() {
        return;
    }
    let kills: usize = std::env::var("REVIVE_CRASH_KILLS").ok().and_then(|n| n.parse().ok()).unwrap_or(30);
    let program = std::env::current_exe().unwrap();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    let mut dice = Dice(seed);
    let mut said = Said::default();
    let started = Instant::now();
    for kill in 0..kills {
        let mut child = Command::new(&program)
            .args(["--exact", "bench_at_work", "--nocapture", "--test-threads", "1"])
            .env(CHILD_DATA_DIR, &dir)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // Let it say a random number of things (0 to 24), then kill it a random moment later.
        let target = dice.below(25) as usize;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut heard = 0;
        while heard < target && Instant::now() < deadline {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = what_was_said(&line) {
                        said.lines.push(rest);
                        heard += 1;
                    }
                }
                _ => break,
            }
        }
        std::thread::sleep(Duration::from_millis(dice.below(40)));
        child.kill().unwrap();
        // Whatever it said before dying counts as committed.
        said.lines.extend(lines.map_while(Result::ok).filter_map(|line| what_was_said(&line)));
        let status = child.wait().unwrap();
        assert!(!status.success(), "kill {kill}: the child ended on its own");
        check_after_kill(&dir, &said);
    }
    let count = |kind: &str| said.lines.iter().filter(|line| line.starts_with(kind)).count();
    println!(
        "crash campaign: {kills} kills survived in {:.0} s (seed {seed}): {} intakes, {} certificates, {} photos, {} \
         exports, {} backups, {} restores begun",
        started.elapsed().as_secs_f64(),
        count("intake"),
        count("certificate"),
        count("photo"),
        count("export"),
        count("backup"),
        count("restoring"),
    );
}
