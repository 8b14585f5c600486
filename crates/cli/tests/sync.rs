//! Benches pushing their jobs to a real PostgreSQL (the test's own): `revive sync` sends each
//! changed job whole at its version and its photos once; a stopped server is said and nothing is
//! lost; a bench killed with SIGKILL mid-push resumes and the server ends with every job exactly
//! once; afterwards each bench and the server agree job for job and version for version. Jobs taken
//! over (`revive take`) while their bench went on working apart come back as conflicts, never as
//! overwrites; the manager settles them and both benches and the server agree row for row.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use revive_core::jobs::costs::{LaborAdjustmentForm, PartForm};
use revive_core::jobs::intake::IntakeForm;
use revive_core::jobs::StatusChange;
use revive_core::paths::Shipped;
use revive_core::settings::SettingsForm;
use revive_core::shop::link::{ShopKey, ShopLinkForm};
use revive_core::shop::record::JobRows;
use revive_core::workshop::Workshop;
use revive_shop::conflicts::{self, ConflictReason, Keep};
use revive_shop::ShopError;
use revive_test_postgres::TestServer;

fn sync(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_revive")).args(["sync", "--data-dir"]).arg(dir).output().unwrap()
}

fn open_linked(dir: &Path, connection: &str, bench: &str, code: &str) -> Workshop {
    let shop = Workshop::open(dir, Shipped::resolve(None)).unwrap();
    let link =
        ShopLinkForm { connection: connection.into(), bench: bench.into(), code: code.into(), password: String::new() };
    shop.shop_link().save(&link).unwrap();
    shop
}

fn take_in(shop: &Workshop, serial: &str, customer: &str, technician: &str) -> i64 {
    let form = IntakeForm {
        customer_name: customer.into(),
        model_id: "h100-sxm5-80gb".into(),
        board_serial: serial.into(),
        symptom_observed: "训练时 Xid 79".into(),
        quote_amount: "１２０００".into(),
        quote_currency: "CNY".into(),
        ..Default::default()
    };
    shop.jobs().intake(&form, &shop.technician_or_first(technician).unwrap()).unwrap().id
}

/// Job ids with their versions.
type Versions = Vec<(i64, i64)>;

/// Each of the bench's jobs with its version, as the bench counts them and as the server has them.
fn versions(shop: &Workshop, server: &mut postgres::Client, bench: &str) -> (Versions, Versions) {
    let local = shop
        .store()
        .read(|tx| {
            let mut statement = tx.prepare("SELECT job_id, version FROM sync_versions ORDER BY job_id")?;
            let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .unwrap();
    let remote = server
        .query("SELECT job_id, version FROM shop_jobs WHERE bench = $1 ORDER BY job_id", &[&bench])
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    (local, remote)
}

#[test]
fn two_benches_push_their_jobs_through_an_outage_and_agree_with_the_server() {
    let mut pg = TestServer::start();
    let connection = pg.database("shop");
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let bench_a = open_linked(a.path(), &connection, "bench-a", "A");
    let bench_b = open_linked(b.path(), &connection, "bench-b", "B");
    let first = take_in(&bench_a, "1654922012345", "深圳算力科技有限公司", "王芳");
    take_in(&bench_a, "1654922012346", "José's GPU Cloud", "王芳");
    take_in(&bench_b, "1324021077777", "广州智算中心", "José");

    // The server is down: the bench says so, and keeps everything waiting.
    pg.stop();
    let down = sync(a.path());
    assert_eq!(down.status.code(), Some(8), "{}", String::from_utf8_lossy(&down.stderr));
    assert!(String::from_utf8_lossy(&down.stderr).contains("cannot reach the shop server"));
    assert_eq!(bench_a.outbox().waiting().unwrap(), 2);

    pg.start_again();
    for dir in [a.path(), b.path()] {
        let up = sync(dir);
        assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
    }
    assert_eq!(String::from_utf8_lossy(&sync(a.path()).stdout), "bench-a: pushed 0 job(s) and 0 photo(s); 0 waiting\n");
    let mut server = postgres::Client::connect(&connection, postgres::NoTls).unwrap();
    let customers: Vec<String> = server
        .query("SELECT document->>'customerName' FROM shop_jobs ORDER BY bench, job_id", &[])
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(customers, ["深圳算力科技有限公司", "José's GPU Cloud", "广州智算中心"]);

    // The server confirmed each bench's code: from now on their numbers cannot meet.
    let year = time::OffsetDateTime::now_utc().year();
    let later = take_in(&bench_b, "1324021077778", "广州智算中心", "José");
    assert_eq!(bench_b.jobs().get(later).unwrap().ticket, format!("RV-{year}-B-000002"));
    let c = tempfile::tempdir().unwrap();
    let copycat = open_linked(c.path(), &connection, "bench-c", "ａ");
    let refused = sync(c.path());
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("the bench code A is already bench bench-a's"));
    assert!(!copycat.shop_link().get().unwrap().unwrap().code_confirmed);
    assert!(sync(b.path()).status.success());

    // A change and a photo (attached to two jobs, sent once) go with the next push.
    let technician = bench_a.technician().unwrap();
    bench_a
        .jobs()
        .change_status(first, &StatusChange { to: "diagnosing".into(), reason: String::new() }, &technician)
        .unwrap();
    let photo = b"\x89PNG\r\n\x1a\n bench-a".to_vec();
    bench_a.photos().attach(first, &photo, &technician).unwrap();
    bench_a.photos().attach(first + 1, &photo, &technician).unwrap();
    assert_eq!(bench_a.outbox().waiting().unwrap(), 2);
    assert_eq!(String::from_utf8_lossy(&sync(a.path()).stdout), "bench-a: pushed 2 job(s) and 1 photo(s); 0 waiting\n");
    let status: String = server
        .query_one("SELECT document->>'status' FROM shop_jobs WHERE bench = 'bench-a' AND job_id = $1", &[&first])
        .unwrap()
        .get(0);
    assert_eq!(status, "diagnosing");
    let photos: i64 = server.query_one("SELECT count(*) FROM shop_photos", &[]).unwrap().get(0);
    assert_eq!(photos, 1);

    for (shop, bench) in [(&bench_a, "bench-a"), (&bench_b, "bench-b")] {
        let (local, remote) = versions(shop, &mut server, bench);
        assert_eq!(local, remote, "{bench} and the server agree job for job");
    }
    let waiting: Vec<(String, i32)> = server
        .query("SELECT name, waiting FROM shop_benches ORDER BY name", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(waiting, [("bench-a".to_owned(), 0), ("bench-b".to_owned(), 0), ("bench-c".to_owned(), 0)]);

    // The manager's view: each bench, its codes, whether it is in touch and what it holds.
    let technician = bench_b.technician().unwrap();
    let scrapped = StatusChange { to: "scrapped".into(), reason: "板卡烧毁，客户同意报废".into() };
    bench_b.jobs().change_status(later, &scrapped, &technician).unwrap();
    assert!(sync(b.path()).status.success());
    let benches = revive_shop::benches::list(&mut server, &bench_a.catalogs().flow).unwrap();
    let seen: Vec<String> = benches
        .iter()
        .map(|b| {
            format!(
                "{} {:?} in touch {} waiting {} open {} of {}",
                b.name, b.codes, b.in_touch, b.waiting, b.open_jobs, b.jobs
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            "bench-a [\"A\"] in touch true waiting 0 open 2 of 2",
            "bench-b [\"B\"] in touch true waiting 0 open 1 of 2",
            "bench-c [] in touch true waiting 0 open 0 of 0",
        ]
    );
}

#[test]
fn a_bench_killed_mid_push_resumes_and_every_job_is_on_the_server_once() {
    let pg = TestServer::start();
    let connection = pg.database("shop");
    let dir = tempfile::tempdir().unwrap();
    let generated = Command::new(env!("CARGO_BIN_EXE_revive"))
        .args(["generate", "--jobs", "3000", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(generated.status.success(), "{}", String::from_utf8_lossy(&generated.stderr));
    let shop = open_linked(dir.path(), &connection, "bench-c", "C");
    assert_eq!(shop.outbox().waiting().unwrap(), 3000, "a bench's earlier jobs wait to be pushed when it joins");
    let mut server = postgres::Client::connect(&connection, postgres::NoTls).unwrap();

    let mut push =
        Command::new(env!("CARGO_BIN_EXE_revive")).args(["sync", "--data-dir"]).arg(dir.path()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let on_server = |server: &mut postgres::Client| -> i64 {
        server.query_one("SELECT count(*) FROM shop_jobs", &[]).map(|row| row.get(0)).unwrap_or(0)
    };
    while on_server(&mut server) == 0 {
        assert!(Instant::now() < deadline, "the push never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    push.kill().unwrap();
    push.wait().unwrap();
    let at_kill = on_server(&mut server);
    assert!(at_kill < 3000, "killed mid-push: {at_kill} of 3000 were there");

    let resumed = sync(dir.path());
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    assert_eq!(on_server(&mut server), 3000);
    let (local, remote) = versions(&shop, &mut server, "bench-c");
    assert_eq!(local, remote);
    assert_eq!(shop.outbox().waiting().unwrap(), 0);
    assert_eq!(
        String::from_utf8_lossy(&sync(dir.path()).stdout),
        "bench-c: pushed 0 job(s) and 0 photo(s); 0 waiting\n"
    );
}

/// A job's record as the shop server holds it, comparable with a bench's copy.
fn server_record(server: &mut postgres::Client, key: &ShopKey) -> (String, serde_json::Value) {
    let row = server
        .query_one("SELECT holder, record FROM shop_jobs WHERE bench = $1 AND job_id = $2", &[&key.bench, &key.job_id])
        .unwrap();
    let record: JobRows = serde_json::from_value(row.get(1)).unwrap();
    (row.get(0), record.comparable())
}

/// The record bench A sent of job `job` that the server refused.
fn refused_record(server: &mut postgres::Client, job: i64) -> serde_json::Value {
    let row = server
        .query_one("SELECT record FROM shop_conflicts WHERE job_id = $1 AND from_bench = 'bench-a'", &[&job])
        .unwrap();
    serde_json::from_value::<JobRows>(row.get(0)).unwrap().comparable()
}

fn run(args: &[&str], dir: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_revive")).args(args).arg("--data-dir").arg(dir).output().unwrap();
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn jobs_taken_over_while_their_bench_worked_apart_are_conflicts_the_manager_settles_and_nothing_is_lost() {
    let pg = TestServer::start();
    let connection = pg.database("shop");
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let bench_a = open_linked(a.path(), &connection, "bench-a", "A");
    let bench_b = open_linked(b.path(), &connection, "bench-b", "B");
    let kept = take_in(&bench_a, "1654922012345", "深圳算力科技有限公司", "王芳");
    let given = take_in(&bench_a, "1654922012346", "José's GPU Cloud 广州", "王芳");
    let moved = take_in(&bench_a, "1654922012347", "华强北云计算", "王芳");
    let josé = SettingsForm {
        language: "zh-CN".into(),
        technicians: vec!["José".into()],
        current_technician: "José".into(),
        ..Default::default()
    };
    bench_b.save_settings(&josé).unwrap();
    run(&["sync"], b.path());
    run(&["sync"], a.path());
    let ticket = |job: i64| bench_a.jobs().get(job).unwrap().ticket;
    let kept_ticket = ticket(kept);
    let key = |job: i64| ShopKey { bench: "bench-a".into(), job_id: job };

    // José takes the three over on bench B (a ticket as a scanner or a Chinese keyboard types it)
    // while bench A, cut off from the server, goes on with two of them.
    let typed = ticket(kept).replace("RV", "ｒｖ").replace('2', "２");
    assert!(run(&["take", &typed], b.path()).contains("taken over from bench-a by José"));
    for job in [given, moved] {
        run(&["take", &ticket(job)], b.path());
    }
    let 王芳 = bench_a.technician().unwrap();
    let diagnosing = StatusChange { to: "diagnosing".into(), reason: "离线时继续检测".into() };
    bench_a.jobs().change_status(kept, &diagnosing, &王芳).unwrap();
    let part = PartForm {
        part_number: "TDA21490".into(),
        description: "功率级".into(),
        quantity: "１".into(),
        unit_cost: "85".into(),
    };
    bench_a.costs().add_part(given, &part, &王芳).unwrap();
    let labour = LaborAdjustmentForm { minutes: "２０".into(), reason: "José 复测".into() };
    let on_b = |job: i64| bench_b.holding().copy_of(&key(job), "bench-b").unwrap().unwrap().job_id;
    for job in [kept, given] {
        bench_b.costs().adjust_labor(on_b(job), &labour, &bench_b.technician().unwrap()).unwrap();
    }
    run(&["sync"], b.path());

    // Back in touch, A's two changes are refused, never written over B's, and its copies freeze.
    let back = run(&["sync"], a.path());
    assert!(back.contains("2 refused as conflicting") && back.contains("1 followed"), "{back}");
    assert_eq!(bench_a.holding().conflicts().unwrap(), 2);
    let refused = bench_a.costs().add_part(kept, &part, &王芳);
    assert!(matches!(refused, Err(revive_core::CoreError::JobHeldElsewhere)), "{refused:?}");
    let mut server = postgres::Client::connect(&connection, postgres::NoTls).unwrap();
    let open = conflicts::open(&mut server).unwrap();
    let seen: Vec<_> =
        open.iter().map(|c| (c.ticket.clone(), c.from_bench.as_str(), c.holder.as_str(), c.reason)).collect();
    assert_eq!(
        seen,
        [
            (ticket(kept), "bench-a", "bench-b", ConflictReason::NotHolder),
            (ticket(given), "bench-a", "bench-b", ConflictReason::NotHolder)
        ]
    );
    assert_eq!(open[1].customer, "José's GPU Cloud 广州");
    let benches = revive_shop::benches::list(&mut server, &bench_a.catalogs().flow).unwrap();
    assert_eq!(
        benches.iter().map(|b| (b.name.as_str(), b.conflicts, b.jobs)).collect::<Vec<_>>(),
        [("bench-a", 2, 0), ("bench-b", 0, 3)]
    );
    // A's refused records are on the server whole.
    for job in [kept, given] {
        assert_eq!(refused_record(&mut server, job), bench_a.holding().record(job).unwrap().comparable());
    }

    // The manager keeps B's record of one and A's of the other; a second settling is refused.
    conflicts::settle(&mut server, open[0].id, Keep::Shop, &王芳).unwrap();
    conflicts::settle(&mut server, open[1].id, Keep::Bench, &王芳).unwrap();
    assert!(matches!(conflicts::settle(&mut server, open[0].id, Keep::Bench, &王芳), Err(ShopError::ConflictSettled)));
    let settled_a = run(&["sync"], a.path());
    assert!(settled_a.contains("1 set aside") && settled_a.contains("1 back here"), "{settled_a}");
    let settled_b = run(&["sync"], b.path());
    assert!(settled_b.contains("1 set aside"), "{settled_b}");
    assert_eq!(bench_a.holding().conflicts().unwrap(), 0);
    let aside_on_a = bench_a.jobs().get(kept).unwrap();
    assert_eq!(aside_on_a.ticket, format!("{kept_ticket}~1"));
    let mut aside = bench_a.holding().record(kept).unwrap().comparable();
    aside["job"]["ticket"] = kept_ticket.clone().into();
    assert_eq!(aside, refused_record(&mut server, kept), "A's set-aside copy is its refused record, renumbered");
    // A works on the job it was given back, and the server takes it.
    bench_a.costs().add_part(given, &part, &王芳).unwrap();
    run(&["sync"], a.path());

    // Row for row: each job on the server is its holder's copy, and every other copy kept follows it.
    let jobs: Vec<ShopKey> = server
        .query("SELECT bench, job_id FROM shop_jobs ORDER BY bench, job_id", &[])
        .unwrap()
        .iter()
        .map(|row| ShopKey { bench: row.get(0), job_id: row.get(1) })
        .collect();
    assert_eq!(jobs.len(), 3);
    for key in &jobs {
        let (holder, on_server) = server_record(&mut server, key);
        for (shop, bench) in [(&bench_a, "bench-a"), (&bench_b, "bench-b")] {
            if let Some(copy) = shop.holding().copy_of(key, bench).unwrap() {
                assert_eq!(
                    shop.holding().record(copy.job_id).unwrap().comparable(),
                    on_server,
                    "{bench}'s copy of {key:?}"
                );
                assert_eq!(
                    copy.away.is_none(),
                    holder == bench,
                    "{bench} holds {key:?} exactly when the server says so"
                );
            } else {
                assert_ne!(holder, bench, "{bench} holds {key:?} and has it");
            }
        }
    }
    let holders: Vec<String> = jobs.iter().map(|key| server_record(&mut server, key).0).collect();
    assert_eq!(holders, ["bench-b", "bench-a", "bench-b"]);
    for shop in [&bench_a, &bench_b] {
        assert_eq!(shop.audit().unwrap().broken, None, "each bench's log holds");
        assert_eq!(shop.outbox().waiting().unwrap(), 0);
    }
    let hand_overs: i64 = server.query_one("SELECT count(*) FROM shop_hand_overs", &[]).unwrap().get(0);
    assert_eq!(hand_overs, 3);
}

#[test]
fn a_bench_restored_from_a_backup_catches_up_with_the_shop_or_keeps_its_changes_as_a_conflict() {
    let pg = TestServer::start();
    let connection = pg.database("shop");
    let (a, saved) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let backup = saved.path().join("before.revive-backup");
    let open = || Workshop::open(a.path(), Shipped::resolve(None)).unwrap();
    let bench_a = open_linked(a.path(), &connection, "bench-a", "A");
    let job = take_in(&bench_a, "1654922012360", "深圳算力科技有限公司", "王芳");
    run(&["sync"], a.path());
    run(&["backup", "--out", backup.to_str().unwrap()], a.path());
    let diagnosing = StatusChange { to: "diagnosing".into(), reason: "王芳 复测".into() };
    bench_a.jobs().change_status(job, &diagnosing, &bench_a.technician().unwrap()).unwrap();
    run(&["sync"], a.path());
    let key = ShopKey { bench: "bench-a".into(), job_id: job };
    let mut server = postgres::Client::connect(&connection, postgres::NoTls).unwrap();
    let (_, moved_on) = server_record(&mut server, &key);

    // Back from the backup: the change made since is not here, but the shop server has it.
    drop(bench_a);
    run(&["restore", backup.to_str().unwrap()], a.path());
    let bench_a = open();
    assert_eq!(bench_a.jobs().get(job).unwrap().status.id(), "intake");
    assert!(run(&["sync"], a.path()).contains("1 caught up with the shop server"));
    assert_eq!(bench_a.jobs().get(job).unwrap().status.id(), "diagnosing", "the change comes back from the shop");
    assert_eq!(bench_a.holding().record(job).unwrap().comparable(), moved_on);
    assert_eq!(bench_a.audit().unwrap().broken, None);

    // From the same backup again, and a change made before the bench syncs: the server has work
    // this bench never saw, so the change waits as a conflict.
    drop(bench_a);
    run(&["restore", backup.to_str().unwrap()], a.path());
    let bench_a = open();
    let part = PartForm {
        part_number: "TDA21490".into(),
        description: "功率级".into(),
        quantity: "２".into(),
        unit_cost: "85".into(),
    };
    bench_a.costs().add_part(job, &part, &bench_a.technician().unwrap()).unwrap();
    let before = bench_a.holding().record(job).unwrap().comparable();
    assert!(run(&["sync"], a.path()).contains("1 refused as conflicting"));
    let open_conflicts = conflicts::open(&mut server).unwrap();
    assert_eq!(open_conflicts.len(), 1);
    assert_eq!((open_conflicts[0].reason, open_conflicts[0].holder.as_str()), (ConflictReason::Behind, "bench-a"));
    assert_eq!(refused_record(&mut server, job), before, "the change is on the server, whole");

    // The manager keeps the shop's record: it comes back under the job's number, and the copy with
    // the part stays, set aside.
    conflicts::settle(&mut server, open_conflicts[0].id, Keep::Shop, &bench_a.technician().unwrap()).unwrap();
    let settled = run(&["sync"], a.path());
    assert!(settled.contains("1 set aside") && settled.contains("1 back here"), "{settled}");
    let ticket = bench_a.jobs().get(job).unwrap().ticket;
    assert!(ticket.ends_with("~1"), "{ticket}");
    let back = bench_a.holding().copy_of(&key, "bench-a").unwrap().unwrap();
    assert_eq!(
        (back.away, bench_a.jobs().get(back.job_id).unwrap().ticket),
        (None, ticket.trim_end_matches("~1").to_owned())
    );
    assert_eq!(bench_a.holding().record(back.job_id).unwrap().comparable(), moved_on);
    assert_eq!(bench_a.audit().unwrap().broken, None);
    assert_eq!(bench_a.outbox().waiting().unwrap(), 0);
}
