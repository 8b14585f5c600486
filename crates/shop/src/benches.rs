//! The shop's benches as its manager sees them: each bench the server has heard from, its codes,
//! when it last reached the server, how many of its changed jobs still wait to be pushed, and how
//! many jobs it holds, open and in all, and how many of its records wait in a conflict.

use postgres::Client;
use revive_core::jobs::status::{Status, StatusFlow};
use serde::Serialize;

use crate::error::ShopResult;

/// A bench heard from this recently is working with the server now (a linked app pushes every 5 s).
const IN_TOUCH_SECONDS: i64 = 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ShopBench {
    pub name: String,
    /// Every code it has numbered with, the oldest first.
    pub codes: Vec<String>,
    pub first_seen: String,
    pub last_contact: String,
    /// Whether it reached the server within the last minute.
    pub in_touch: bool,
    /// Jobs with changes it had not pushed yet, as it last said.
    pub waiting: u32,
    /// Jobs it holds that have not ended (returned, scrapped, RMA).
    pub open_jobs: u64,
    pub jobs: u64,
    /// Its records the server refused as conflicting, not settled yet.
    pub conflicts: u64,
}

/// Every bench of the shop, by name.
pub fn list(client: &mut Client, flow: &StatusFlow) -> ShopResult<Vec<ShopBench>> {
    let ended: Vec<String> =
        Status::ALL.into_iter().filter(|status| flow.is_terminal(*status)).map(|s| s.id().to_owned()).collect();
    let rows = client.query(
        "SELECT b.name,
                ARRAY(SELECT code FROM shop_bench_codes c WHERE c.bench = b.name ORDER BY claimed_at, code),
                to_char(b.first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                to_char(b.last_contact AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                b.last_contact > now() - make_interval(secs => $2),
                b.waiting,
                (SELECT count(*) FROM shop_jobs j WHERE j.holder = b.name AND j.status <> ALL ($1)),
                (SELECT count(*) FROM shop_jobs j WHERE j.holder = b.name),
                (SELECT count(*) FROM shop_conflicts c WHERE c.from_bench = b.name AND c.resolved_at IS NULL)
         FROM shop_benches b ORDER BY b.name",
        &[&ended, &(IN_TOUCH_SECONDS as f64)],
    )?;
    rows.iter()
        .map(|row| {
            Ok(ShopBench {
                name: row.try_get(0)?,
                codes: row.try_get(1)?,
                first_seen: row.try_get(2)?,
                last_contact: row.try_get(3)?,
                in_touch: row.try_get(4)?,
                waiting: row.try_get::<_, i32>(5)?.unsigned_abs(),
                open_jobs: row.try_get::<_, i64>(6)?.unsigned_abs(),
                jobs: row.try_get::<_, i64>(7)?.unsigned_abs(),
                conflicts: row.try_get::<_, i64>(8)?.unsigned_abs(),
            })
        })
        .collect()
}
