//! Settings → Shop server: the link is checked and kept in the store, the password only in a file
//! its owner reads (never in the store a backup copies), and forgetting the link removes both.

use crate::common;

use std::os::unix::fs::PermissionsExt;

use crate::common::open_shop;
use revive_core::error::{CoreError, Field, Problem};
use revive_core::history::HistoryQuery;
use revive_core::shop::link::{ShopLinkForm, PASSWORD_FILE};

fn form(connection: &str, bench: &str, password: &str) -> ShopLinkForm {
    ShopLinkForm {
        connection: connection.into(), bench: bench.into(), code: "ｂ３".into(), password: password.into()
    }
}

#[test]
fn the_link_is_kept_and_its_password_only_in_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    assert_eq!(shop.shop_link().get().unwrap(), None, "a bench works alone until linked");

    // The bench name as a Chinese keyboard types it: full-width letters, digits and hyphen.
    let link = shop
        .shop_link()
        .save(&form(" host=shop.lan dbname=revive user=bench1 ", "ｂｅｎｃｈ－１", "王芳的密码"))
        .unwrap();
    assert_eq!(
        (link.connection.as_str(), link.bench.as_str(), link.has_password),
        ("host=shop.lan dbname=revive user=bench1", "bench-1", true)
    );
    let file = dir.path().join(PASSWORD_FILE);
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(shop.shop_link().password().unwrap().as_deref(), Some("王芳的密码"));
    let store = std::fs::read(dir.path().join(revive_core::store::DATABASE_FILE)).unwrap();
    assert!(!String::from_utf8_lossy(&store).contains("王芳的密码"), "the password is not in the store");

    // Saving again without a password keeps the one kept.
    shop.shop_link().save(&form("host=shop.lan dbname=revive user=bench1", "bench-1", "")).unwrap();
    assert_eq!(shop.shop_link().password().unwrap().as_deref(), Some("王芳的密码"));

    shop.shop_link().forget().unwrap();
    assert_eq!(shop.shop_link().get().unwrap(), None);
    assert!(!file.exists());
}

#[test]
fn a_wrong_link_is_refused_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let refused = [
        (form("", "bench-1", ""), Field::ShopServer, Problem::Empty),
        (form("host=shop.lan password=secret dbname=revive", "bench-1", ""), Field::ShopServer, Problem::BadFormat),
        (form("host=shop.lan\ndbname=revive", "bench-1", ""), Field::ShopServer, Problem::ControlCharacters),
        (form("host=shop.lan dbname=revive user=a", "", ""), Field::BenchName, Problem::Empty),
        (form("host=shop.lan dbname=revive user=a", "工作台 1", ""), Field::BenchName, Problem::BadFormat),
        (
            ShopLinkForm { code: "".into(), ..form("host=shop.lan dbname=revive user=a", "b1", "") },
            Field::BenchCode,
            Problem::Empty,
        ),
        (
            ShopLinkForm { code: "3B".into(), ..form("host=shop.lan dbname=revive user=a", "b1", "") },
            Field::BenchCode,
            Problem::BadFormat,
        ),
        (
            ShopLinkForm { code: "B-3".into(), ..form("host=shop.lan dbname=revive user=a", "b1", "") },
            Field::BenchCode,
            Problem::BadFormat,
        ),
        (
            ShopLinkForm { code: "王".into(), ..form("host=shop.lan dbname=revive user=a", "b1", "") },
            Field::BenchCode,
            Problem::BadFormat,
        ),
        (
            ShopLinkForm { code: "ABCDE".into(), ..form("host=shop.lan dbname=revive user=a", "b1", "") },
            Field::BenchCode,
            Problem::TooLong { max: 4 },
        ),
    ];
    for (wrong, field, problem) in refused {
        match shop.shop_link().save(&wrong) {
            Err(CoreError::Invalid { field: f, problem: p }) => assert_eq!((f, p), (field, problem), "{wrong:?}"),
            other => panic!("{wrong:?} gave {other:?}"),
        }
    }
    assert_eq!(shop.shop_link().get().unwrap(), None);
    assert!(!dir.path().join(PASSWORD_FILE).exists());
}

#[test]
fn numbers_carry_the_bench_code_once_the_shop_server_confirmed_it() {
    let dir = tempfile::tempdir().unwrap();
    let shop = open_shop(dir.path());
    let ticket = |shop: &revive_core::workshop::Workshop| {
        let id = common::take_in_h100(shop);
        shop.jobs().get(id).unwrap().ticket
    };
    let year = time::OffsetDateTime::now_utc().year();
    assert_eq!(ticket(&shop), format!("RV-{year}-000001"), "a bench alone numbers without a code");

    // Typed on a Chinese keyboard: full-width and lower case.
    let link = shop.shop_link().save(&form("host=shop.lan dbname=revive user=a", "bench-3", "")).unwrap();
    assert_eq!((link.code.as_str(), link.code_confirmed), ("B3", false));
    assert_eq!(ticket(&shop), format!("RV-{year}-000002"), "an unconfirmed code could be another bench's");

    shop.shop_link().confirm_code("B3").unwrap();
    assert!(shop.shop_link().get().unwrap().unwrap().code_confirmed);
    assert_eq!(ticket(&shop), format!("RV-{year}-B3-000003"));
    let found = shop
        .history()
        .page(&HistoryQuery { text: "rv-2026-b3".replace("2026", &year.to_string()), ..Default::default() }, 0, 10)
        .unwrap();
    assert_eq!(found.rows.len(), 1, "a ticket with a code is found by its start");

    // Saving the same code for the same server keeps it confirmed; another code is asked again.
    shop.shop_link().save(&form("host=shop.lan dbname=revive user=a", "bench-3", "")).unwrap();
    assert!(shop.shop_link().get().unwrap().unwrap().code_confirmed);
    let other = ShopLinkForm { code: "C".into(), ..form("host=shop.lan dbname=revive user=a", "bench-3", "") };
    assert!(!shop.shop_link().save(&other).unwrap().code_confirmed);
    shop.shop_link().confirm_code("B3").unwrap();
    assert!(
        !shop.shop_link().get().unwrap().unwrap().code_confirmed,
        "a code the link no longer names stays unconfirmed"
    );
    assert_eq!(ticket(&shop), format!("RV-{year}-000004"));
}
