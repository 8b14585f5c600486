//! The test room's queue on a real PostgreSQL (a throwaway server of the test's own): agents never
//! share a task, a dead agent's lease runs out and its task is claimed again, a late report from the
//! agent that lost it is refused, and a bench's request sent twice queues once.

use std::time::Duration;

use revive_core::stress::memtest::MemoryTestPlan;
use revive_shop::room::{self, AgentQueue, NewTask, Refusal, Slot, TaskPlan, TaskProgress, TaskResult};
use revive_shop::server::{ShopServer, PROTOCOL};
use revive_shop::ShopError;
use revive_test_postgres::TestServer;

fn shop(pg: &TestServer) -> ShopServer {
    ShopServer::new(&pg.database("shop"), None, None).unwrap()
}

fn slot(slot: u32, serial: &str) -> Slot {
    Slot {
        slot,
        model: Some("NVIDIA H100 80GB HBM3".into()),
        serial: Some(serial.into()),
        uuid: None,
        lost: false,
        temperature_c: Some(35),
        power_w: Some(70.0),
    }
}

fn task(slot: u32, ticket: &str) -> NewTask {
    NewTask {
        server: "rack-07".into(),
        slot,
        ticket: ticket.into(),
        expected_serial: format!("165422012{slot:04}"),
        bench: "bench-1".into(),
        scheduled_by: "王芳".into(),
        plan: TaskPlan { burn_in_seconds: Some(7_200), memory: Some(MemoryTestPlan::standard(1, 42)) },
    }
}

#[test]
fn agents_share_no_task_and_a_dead_agents_task_returns_to_the_queue() {
    let pg = TestServer::start();
    let server = shop(&pg);
    let (mut first, mut second, mut bench) =
        (server.connect().unwrap(), server.connect().unwrap(), server.connect().unwrap());
    let lease = Duration::from_secs(1);
    let mut alive = AgentQueue { client: &mut first, server: "rack-07".into(), owner: "rack-07/100/a".into(), lease };
    alive.register("0.1.0", true, &[slot(0, "1654220120000"), slot(1, "1654220120001")]).unwrap();
    for (slot, ticket) in [(0, "RV-2026-000001"), (1, "RV-2026-000002")] {
        room::schedule(&mut bench, &room::new_key().unwrap(), &task(slot, ticket)).unwrap();
    }

    // Two agent processes of the same server look for work at once: each gets its own task.
    let mut dying = AgentQueue { client: &mut second, server: "rack-07".into(), owner: "rack-07/200/b".into(), lease };
    let taken_by_dying = dying.claim(&[]).unwrap().expect("a task");
    let taken_by_alive = alive.claim(&[]).unwrap().expect("the other task");
    assert_ne!(taken_by_dying.id, taken_by_alive.id);
    assert_eq!((taken_by_dying.attempt, taken_by_alive.attempt), (1, 1));
    assert_eq!(alive.claim(&[]).unwrap(), None, "nothing left while both leases hold");

    // The second agent dies (it stops renewing); the living one heartbeats through the lease time.
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(500));
        alive.heartbeat(&[slot(0, "1654220120000"), slot(1, "1654220120001")], &[]).unwrap();
    }
    let again = alive.claim(&[taken_by_alive.slot]).unwrap().expect("the dead agent's task, once its lease ran out");
    assert_eq!((again.id, again.attempt), (taken_by_dying.id, 2));
    assert_eq!(alive.claim(&[]).unwrap(), None, "the living agent's own task stayed its own");

    // The dead agent comes back with its old result: refused, the task keeps one answer.
    let wrong = Refusal::WrongCard { found: "1654220129999".into(), expected: "1654220120000".into() };
    assert!(!dying.refuse(taken_by_dying.id, &Refusal::GpuLost).unwrap());
    assert!(alive.refuse(again.id, &wrong).unwrap());
    let collected = room::to_collect(&mut bench, "bench-1").unwrap();
    assert_eq!(collected.len(), 1);
    assert!(matches!(&collected[0].result, TaskResult::Refused(reason) if *reason == wrong));
    assert_eq!(collected[0].scheduled_by, "王芳");
    room::mark_collected(&mut bench, &collected[0].key).unwrap();
    assert!(room::to_collect(&mut bench, "bench-1").unwrap().is_empty(), "collected once");
}

#[test]
fn a_request_sent_twice_queues_once_and_an_unknown_server_is_refused() {
    let pg = TestServer::start();
    let server = shop(&pg);
    let mut client = server.connect().unwrap();
    let mut agent = AgentQueue {
        client: &mut client,
        server: "rack-07".into(),
        owner: "rack-07/1/x".into(),
        lease: Duration::from_secs(60),
    };
    agent.register("0.1.0", false, &[slot(0, "1654220120000")]).unwrap();
    let mut bench = server.connect().unwrap();
    let key = room::new_key().unwrap();
    let first = room::schedule(&mut bench, &key, &task(0, "RV-2026-000001")).unwrap();
    assert_eq!(room::schedule(&mut bench, &key, &task(0, "RV-2026-000001")).unwrap(), first);
    let count: i64 = bench.query_one("SELECT count(*) FROM room_tasks", &[]).unwrap().get(0);
    assert_eq!(count, 1);
    let elsewhere = NewTask { server: "机架-99".into(), ..task(0, "RV-2026-000003") };
    assert!(matches!(
        room::schedule(&mut bench, &room::new_key().unwrap(), &elsewhere),
        Err(ShopError::NotInRoom { .. })
    ));
    // A busy slot's task waits.
    let mut agent = AgentQueue {
        client: &mut client,
        server: "rack-07".into(),
        owner: "rack-07/1/x".into(),
        lease: Duration::from_secs(60),
    };
    assert_eq!(agent.claim(&[0]).unwrap(), None);
    assert_eq!(agent.claim(&[]).unwrap().map(|t| t.id), Some(first));
}

#[test]
fn benches_and_agents_agree_on_the_protocol_or_refuse_each_other() {
    let pg = TestServer::start();
    let server = shop(&pg);
    // Many processes connecting to an empty server at once install the schema once.
    let installs: Vec<_> = (0..6)
        .map(|_| {
            let server = server.clone();
            std::thread::spawn(move || server.connect().map(|_| ()))
        })
        .collect();
    for install in installs {
        install.join().unwrap().unwrap();
    }
    let mut client = server.connect().unwrap();
    let version: i32 = client.query_one("SELECT version FROM revive_protocol", &[]).unwrap().get(0);
    assert_eq!(version, PROTOCOL);
    // A newer Revive moved the server on: this one refuses it instead of writing what it no longer means.
    client.execute("UPDATE revive_protocol SET version = $1", &[&(PROTOCOL + 1)]).unwrap();
    match server.connect() {
        Err(error @ ShopError::Protocol { .. }) => assert!(error.to_string().contains("update this Revive"), "{error}"),
        other => panic!("expected a protocol refusal, got {:?}", other.map(|_| "a connection")),
    }
}

#[test]
fn a_stopped_server_is_out_of_reach_and_a_restarted_one_serves_again() {
    let mut pg = TestServer::start();
    let server = shop(&pg);
    server.connect().unwrap();
    pg.stop();
    assert!(matches!(server.connect().map(|_| ()), Err(ShopError::Unreachable(_))));
    pg.start_again();
    server.connect().unwrap();
}

#[test]
fn a_bench_cancels_its_own_waiting_or_running_task_and_the_agent_hears_it() {
    let pg = TestServer::start();
    let server = shop(&pg);
    let (mut agent_client, mut bench) = (server.connect().unwrap(), server.connect().unwrap());
    let mut agent = AgentQueue {
        client: &mut agent_client,
        server: "rack-07".into(),
        owner: "rack-07/1/x".into(),
        lease: Duration::from_secs(60),
    };
    let gpus = [slot(0, "1654220120000"), slot(1, "1654220120001")];
    agent.register("0.1.0", true, &gpus).unwrap();
    let waiting = room::schedule(&mut bench, &room::new_key().unwrap(), &task(0, "RV-2026-000001")).unwrap();
    let running = room::schedule(&mut bench, &room::new_key().unwrap(), &task(1, "RV-2026-000002")).unwrap();
    assert_eq!(agent.claim(&[0]).unwrap().map(|t| t.id), Some(running));

    // Only the bench that queued it may cancel it.
    assert!(!room::cancel(&mut bench, waiting, "bench-2").unwrap());
    assert!(room::cancel(&mut bench, waiting, "bench-1").unwrap());
    assert_eq!(agent.claim(&[1]).unwrap(), None, "a cancelled task is never claimed");
    assert!(room::cancel(&mut bench, running, "bench-1").unwrap());
    assert!(!room::cancel(&mut bench, running, "bench-1").unwrap(), "an ended task stays ended");
    let progress = TaskProgress { elapsed_seconds: 60, ..Default::default() };
    assert_eq!(agent.heartbeat(&gpus, &[(running, progress)]).unwrap(), vec![running], "the agent hears it");
    assert!(!agent.refuse(running, &Refusal::NoSerial).unwrap(), "and its result is dropped");
    assert!(room::to_collect(&mut bench, "bench-1").unwrap().is_empty());
    let states: Vec<String> =
        bench.query("SELECT state FROM room_tasks ORDER BY id", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(states, ["cancelled", "cancelled"]);
}

#[test]
fn tls_is_used_and_the_servers_certificate_is_checked() {
    let pg = TestServer::start_with_tls();
    pg.database("shop");
    let connection = pg.tls_connection_string("shop");
    // Signed by the shop's own authority: with it the connection is encrypted...
    let server = ShopServer::new(&connection, None, Some(pg.ca_file())).unwrap();
    let mut client = server.connect().unwrap();
    let encrypted: bool =
        client.query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).unwrap().get(0);
    assert!(encrypted);
    // ...and without it the certificate is not trusted, so nothing is sent.
    let unknown = ShopServer::new(&connection, None, None).unwrap();
    match unknown.connect() {
        Err(ShopError::Unreachable(error)) => {
            assert!(format!("{error:?}").to_lowercase().contains("certificate"), "{error:?}")
        }
        other => panic!("expected the certificate refused, got {:?}", other.map(|_| "a connection")),
    }
}

#[test]
fn a_linked_bench_keeps_one_connection_and_opens_another_after_the_server_dropped_it() {
    use revive_core::shop::link::ShopLinkForm;
    use revive_shop::server::LinkedConnection;
    let mut pg = TestServer::start();
    let connection = pg.database("shop");
    let dir = tempfile::tempdir().unwrap();
    let bench = revive_core::workshop::Workshop::open(dir.path(), revive_core::paths::Shipped::resolve(None)).unwrap();
    let mut linked = LinkedConnection::default();
    assert!(matches!(linked.with(&bench, |_, _| Ok(())), Err(ShopError::NotLinked)));
    bench
        .shop_link()
        .save(&ShopLinkForm { connection, bench: "bench-1".into(), code: "A".into(), password: String::new() })
        .unwrap();
    let backend = |linked: &mut LinkedConnection| {
        linked.with(&bench, |client, _| Ok(client.query_one("SELECT pg_backend_pid()", &[])?.get::<_, i32>(0)))
    };
    let first = backend(&mut linked).unwrap();
    assert_eq!(backend(&mut linked).unwrap(), first, "the same connection serves the next call");
    pg.stop();
    pg.start_again();
    // The dropped connection is either noticed before it is used or said once; then a new one serves.
    let after = match backend(&mut linked) {
        Err(ShopError::Unreachable(_)) => backend(&mut linked).unwrap(),
        other => other.unwrap(),
    };
    assert_ne!(after, first, "a new connection, not the dropped one");
}
