//! `revive agent` processes on the simulated rack server against a real PostgreSQL (the test's own
//! throwaway server): a bench queues burn-ins for its jobs' cards, agents claim and run them, an
//! agent killed with SIGKILL mid-task loses its lease and the task runs once more, a card that is
//! not the job's is refused, the server stopping mid-run is waited out, and each verdict lands in
//! its job exactly once.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nvidia_ml_fake::locate::{built_library, shipped_scenario};
use revive_core::jobs::intake::IntakeForm;
use revive_core::paths::Shipped;
use revive_core::stress::kinds::Verdict;
use revive_core::stress::memtest::MemoryTestPlan;
use revive_core::workshop::Workshop;
use revive_shop::room::{self, Collected, NewTask, Refusal, TaskPlan};
use revive_shop::server::ShopServer;
use revive_test_postgres::TestServer;

/// An agent process for rack server `name`, simulating an HGX board of 8 H100s.
fn agent(connection: &str, name: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_revive"))
        .args(["agent", "--server", connection, "--name", name, "--lease", "3", "--heartbeat-ms", "200"])
        .arg("--nvml-lib")
        .arg(built_library())
        .arg("--scenario")
        .arg(shipped_scenario("hgx-h100-8gpu-one-bad"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A job for the card with `serial`, taken in by 王芳 at a bench in `dir`.
fn take_in(shop: &Workshop, serial: &str) -> String {
    let form = IntakeForm {
        customer_name: "深圳算力科技有限公司".into(),
        model_id: "h100-sxm5-80gb".into(),
        board_serial: serial.into(),
        symptom_observed: "训练时 Xid 63".into(),
        quote_amount: "１２０００".into(),
        quote_currency: "CNY".into(),
        ..Default::default()
    };
    shop.jobs().intake(&form, &shop.technician_or_first("王芳").unwrap()).unwrap().ticket
}

fn burn_in(slot: u32, ticket: &str, serial: &str, minutes: u64) -> NewTask {
    NewTask {
        server: "rack-07".into(),
        slot,
        ticket: ticket.into(),
        expected_serial: serial.into(),
        bench: "bench-1".into(),
        scheduled_by: "王芳".into(),
        plan: TaskPlan { burn_in_seconds: Some(minutes * 60), memory: None },
    }
}

/// Waits until `ready` says yes, or fails after `limit` with what the agents said.
fn wait_for(limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn task_state(client: &mut postgres::Client, id: i64) -> (String, i32, bool) {
    let row =
        client.query_one("SELECT state, attempts, progress IS NOT NULL FROM room_tasks WHERE id = $1", &[&id]).unwrap();
    (row.get(0), row.get(1), row.get(2))
}

fn kill(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn open(dir: &Path) -> Workshop {
    Workshop::open(dir, Shipped::resolve(None)).unwrap()
}

#[test]
fn a_killed_agents_task_runs_once_more_and_lands_in_its_job_once() {
    let pg = TestServer::start();
    let connection = pg.database("shop");
    let server = ShopServer::new(&connection, None, None).unwrap();
    let mut bench = server.connect().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let shop = open(dir.path());
    let ticket = take_in(&shop, "1654922012340");

    let doomed = agent(&connection, "rack-07");
    wait_for(Duration::from_secs(30), "the agent to register", || {
        bench.query_one("SELECT count(*) FROM room_servers WHERE name = 'rack-07'", &[]).unwrap().get::<_, i64>(0) == 1
    });
    // Two simulated hours: twelve seconds of wall time.
    let task =
        room::schedule(&mut bench, &room::new_key().unwrap(), &burn_in(0, &ticket, "1654922012340", 120)).unwrap();
    wait_for(Duration::from_secs(30), "the agent to report progress", || task_state(&mut bench, task).2);
    kill(doomed);

    // A new agent process on the same server finds the task once the dead one's lease ran out.
    let successor = agent(&connection, "rack-07");
    wait_for(Duration::from_secs(90), "the task to finish on its second try", || {
        task_state(&mut bench, task).0 == "finished"
    });
    assert_eq!(task_state(&mut bench, task).1, 2, "claimed twice: the first agent died holding it");
    kill(successor);

    let collected = room::collect_into(&mut bench, &shop, "bench-1", &shop.technician().unwrap()).unwrap();
    let [Collected::Recorded { ticket: recorded_ticket, run: Some(run) }] = collected.as_slice() else {
        panic!("one recorded run expected: {collected:?}")
    };
    assert_eq!(recorded_ticket, &ticket);
    assert_eq!((run.verdict, run.simulated, run.burn_in_seconds), (Verdict::Passed, true, Some(7_200)));
    let place = run.test_room.as_ref().unwrap();
    assert_eq!((place.server.as_str(), place.slot), ("rack-07", 0));
    assert!(run.telemetry_samples > 100, "the run's telemetry came along: {}", run.telemetry_samples);

    // Collecting again, or after losing the "collected" mark (a crash between the two), records nothing new.
    assert!(room::collect_into(&mut bench, &shop, "bench-1", &shop.technician().unwrap()).unwrap().is_empty());
    bench.execute("UPDATE room_tasks SET collected_at = NULL", &[]).unwrap();
    let again = room::collect_into(&mut bench, &shop, "bench-1", &shop.technician().unwrap()).unwrap();
    assert!(matches!(again.as_slice(), [Collected::Recorded { run: None, .. }]), "{again:?}");
    let job = shop.jobs().list(&Default::default()).unwrap().into_iter().find(|j| j.ticket == ticket).unwrap();
    assert_eq!(shop.stress().for_job(job.id).unwrap().len(), 1, "exactly one verdict in the job");
}

#[test]
fn another_card_in_the_slot_is_refused_a_cancelled_run_stops_and_an_outage_is_waited_out() {
    let mut pg = TestServer::start();
    let connection = pg.database("shop");
    let server = ShopServer::new(&connection, None, None).unwrap();
    let mut bench = server.connect().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let shop = open(dir.path());
    let wrong = take_in(&shop, "1654922019999");
    let right = take_in(&shop, "1654922012341");
    let worker = agent(&connection, "rack-07");
    wait_for(Duration::from_secs(30), "the agent to register", || {
        bench.query_one("SELECT count(*) FROM room_servers", &[]).unwrap().get::<_, i64>(0) == 1
    });
    let refused =
        room::schedule(&mut bench, &room::new_key().unwrap(), &burn_in(0, &wrong, "1654922019999", 10)).unwrap();
    let memory = TaskPlan { burn_in_seconds: Some(30 * 60), memory: Some(MemoryTestPlan::standard(1, 7)) };
    let tested = room::schedule(
        &mut bench,
        &room::new_key().unwrap(),
        &NewTask { plan: memory, ..burn_in(1, &right, "1654922012341", 0) },
    )
    .unwrap();
    wait_for(Duration::from_secs(30), "the wrong card's task to be refused", || {
        task_state(&mut bench, refused).0 == "refused"
    });
    wait_for(Duration::from_secs(30), "the test to start", || task_state(&mut bench, tested).2);

    // A day-long burn-in queued on the slot of the card just refused, cancelled while it runs:
    // the agent stops it and the slot takes the next task.
    let right0 = take_in(&shop, "1654922012340");
    let long =
        room::schedule(&mut bench, &room::new_key().unwrap(), &burn_in(0, &right0, "1654922012340", 24 * 60)).unwrap();
    wait_for(Duration::from_secs(30), "the day-long burn-in to start", || task_state(&mut bench, long).2);
    assert!(room::cancel(&mut bench, long, "bench-1").unwrap());
    let next = room::schedule(&mut bench, &room::new_key().unwrap(), &burn_in(0, &right0, "1654922012340", 1)).unwrap();
    wait_for(Duration::from_secs(60), "the slot to take the next task", || {
        task_state(&mut bench, next).0 == "finished"
    });
    assert_eq!(task_state(&mut bench, long).0, "cancelled");

    // The shop server goes away mid-run and comes back: the agent keeps testing and reports after.
    drop(bench);
    pg.stop();
    std::thread::sleep(Duration::from_secs(4));
    pg.start_again();
    let mut bench = server.connect().unwrap();
    wait_for(Duration::from_secs(120), "the run to be reported after the outage", || {
        task_state(&mut bench, tested).0 == "finished"
    });
    assert_eq!(task_state(&mut bench, tested).1, 1, "the agent kept its task through the outage");
    kill(worker);

    let collected = room::collect_into(&mut bench, &shop, "bench-1", &shop.technician().unwrap()).unwrap();
    assert_eq!(
        collected.len(),
        3,
        "the refusal, the memory test, the short burn-in; not the cancelled one: {collected:?}"
    );
    assert!(
        matches!(&collected[0], Collected::Refused { ticket, reason: Refusal::WrongCard { found, expected } } if *ticket == wrong && found == "1654922012340" && expected == "1654922019999"),
        "{:?}",
        collected[0]
    );
    let Collected::Recorded { run: Some(run), .. } = &collected[1] else { panic!("{:?}", collected[1]) };
    assert_eq!(run.verdict, Verdict::Passed);
    assert!(run.memory_tested);
    assert!(
        matches!(&collected[2], Collected::Recorded { ticket, run: Some(_) } if *ticket == right0),
        "{:?}",
        collected[2]
    );
}

#[test]
fn the_agent_links_no_desktop_library() {
    let out = Command::new("ldd").arg(env!("CARGO_BIN_EXE_revive")).output().unwrap();
    let libraries = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && libraries.contains("libc.so"), "{libraries}");
    for desktop in ["webkit", "gtk", "gdk", "soup", "javascriptcore"] {
        assert!(!libraries.to_lowercase().contains(desktop), "revive links {desktop}:\n{libraries}");
    }
}

#[test]
fn an_agent_refuses_a_password_file_others_can_read_and_a_server_that_wants_no_tls() {
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("agent.password");
    std::fs::write(&password, "王芳的密码\n").unwrap();
    std::fs::set_permissions(&password, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_revive")).args(args).output().unwrap();
    let out = run(&[
        "agent",
        "--server",
        "host=shop.lan dbname=revive user=rack",
        "--password-file",
        password.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"), "{}", String::from_utf8_lossy(&out.stderr));

    let out = run(&["agent", "--server", "host=shop.lan dbname=revive user=rack sslmode=disable"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TLS"), "{}", String::from_utf8_lossy(&out.stderr));
}
