//! Benches pushing their jobs to a real PostgreSQL (the test's own): `revive sync` sends each
//! changed job whole at its version and its photos once; a stopped server is said and nothing is
//! lost; a bench killed with SIGKILL mid-push resumes and the server ends with every job exactly
//! once; afterwards each bench and the server agree job for job and version for version.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use revive_core::jobs::intake::IntakeForm;
use revive_core::jobs::StatusChange;
use revive_core::paths::Shipped;
use revive_core::shop::link::ShopLinkForm;
use revive_core::workshop::Workshop;
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
