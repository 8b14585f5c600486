//! How fast a bench's history reaches an empty shop server: a generated bench of 50,000 jobs
//! (`JOBS=…` for another size) pushed whole by `sync::push` to a throwaway PostgreSQL on this
//! machine. Prints jobs per second and what the server then holds.
//!
//! `cargo bench -p revive-shop --bench sync`

use std::time::Instant;

use revive_core::paths::Shipped;
use revive_core::shop::link::ShopLinkForm;
use revive_core::store::DATABASE_FILE;
use revive_core::workshop::Workshop;
use revive_shop::server::ShopServer;
use revive_shop::sync;
use revive_test_postgres::TestServer;

fn main() {
    let jobs: u64 = std::env::var("JOBS").ok().and_then(|s| s.parse().ok()).unwrap_or(50_000);
    let folder = tempfile::tempdir().expect("a folder");
    let started = Instant::now();
    revive_history_generator::generate(&folder.path().join(DATABASE_FILE), jobs, 42).expect("the generated bench");
    println!("generated {jobs} jobs in {:.1} s", started.elapsed().as_secs_f64());
    let pg = TestServer::start();
    let connection = pg.database("shop");
    let shop = Workshop::open(folder.path(), Shipped::resolve(None)).expect("the bench");
    let form = ShopLinkForm {
        connection: connection.clone(),
        bench: "bench-1".into(),
        code: "A".into(),
        password: String::new(),
    };
    let link = shop.shop_link().save(&form).expect("linked");
    let mut client = ShopServer::new(&connection, None, None).unwrap().connect().unwrap();

    let started = Instant::now();
    let pushed = sync::push(&mut client, &shop, &link).expect("pushed");
    let seconds = started.elapsed().as_secs_f64();
    let size: i64 = client.query_one("SELECT pg_total_relation_size('shop_jobs')", &[]).unwrap().get(0);
    println!(
        "pushed {} jobs in {seconds:.1} s: {:.0} jobs/s; the server holds them in {:.0} MB; {} waiting after",
        pushed.jobs,
        pushed.jobs as f64 / seconds,
        size as f64 / 1e6,
        pushed.waiting
    );
    let started = Instant::now();
    let again = sync::push(&mut client, &shop, &link).expect("pushed again");
    println!(
        "a second push with nothing changed: {} jobs in {:.1} ms",
        again.jobs,
        started.elapsed().as_secs_f64() * 1e3
    );
}
