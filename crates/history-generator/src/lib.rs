//! A deterministic, realistic job history for benchmarks and tests: the same seed gives the same
//! database. Jobs spread over five years and the shop's models, a few thousand customers (Chinese
//! and English names), twelve technicians, status moves logged as events, bench readings with
//! findings and Xids for half the cards, and certificates for repaired cards since 2025. Written through Revive's own schema, so the search index triggers run.

use std::path::Path;

use std::collections::BTreeMap;

use revive_core::bench::{DriverInfo, GpuReading, Health, Identity};
use revive_core::diagnostics::{EvidenceValue, Finding};
use revive_core::jobs::events::Event;
use revive_core::jobs::status::Status;
use revive_core::store::Store;
use revive_core::workshop::Catalogs;
use rusqlite::{params, Connection};

const MODELS: [(&str, u32); 10] = [
    ("h100-sxm5-80gb", 30),
    ("h100-pcie-80gb", 12),
    ("h800-pcie-80gb", 8),
    ("h200-sxm-141gb", 6),
    ("h20-96gb", 14),
    ("a100-sxm4-80gb", 12),
    ("a100-pcie-40gb", 5),
    ("a800-sxm4-80gb", 6),
    ("rtx-4090", 5),
    ("other", 2),
];
const TECHNICIANS: [&str; 12] =
    ["Li Wei", "Zhang Min", "王芳", "刘洋", "陈静", "Chen Hao", "杨磊", "Zhao Lei", "黄敏", "周杰", "Wu Na", "徐强"];
const CITY: [&str; 8] = ["北京", "上海", "深圳", "杭州", "成都", "Singapore", "Hong Kong", "Shenzhen"];
const KIND: [&str; 6] =
    ["智算云科技有限公司", "算力科技", "AI Cloud Ltd", "数据中心", "Compute Pte Ltd", "人工智能研究院"];
const SYMPTOMS: [&str; 8] = [
    "Xid 79: GPU has fallen off the bus under training load",
    "Xid 48 double-bit ECC error, job aborted",
    "训练任务中掉卡，dmesg 报 Xid 63 / Xid 94",
    "Fan stuck at 0 RPM, thermal slowdown at 87 °C",
    "PCIe link trained at Gen3 x8 instead of Gen5 x16",
    "Row remap pending after reboot, nvidia-smi shows remapping failure",
    "显存温度过高，HBM 95 °C 降频",
    "No output, board does not enumerate; burnt smell near VRM",
];

/// What bench diagnostics find, weighted by how often a repair shop sees it: rules by code, Xids
/// by number.
const FINDINGS: [(&str, u32); 10] = [
    ("remap_pending", 14),
    ("ecc_aggregate_uncorrected", 10),
    ("pcie_downtrained", 8),
    ("thermal_slowdown", 9),
    ("memory_temperature_high", 7),
    ("fan_check_needed", 6),
    ("insufficient_power", 4),
    ("gpu_lost", 5),
    ("inforom_corrupt", 2),
    ("remap_failure", 3),
];
const XIDS: [(u32, u32); 8] = [(79, 12), (48, 8), (63, 6), (94, 6), (95, 4), (119, 5), (74, 3), (31, 2)];

/// The findings of one bench reading: none to three, rules and Xids.
fn findings(rng: &mut Rng) -> Vec<Finding> {
    let Catalogs { xids: catalog, rules, .. } = Catalogs::built_in().expect("the built-in rules load");
    let mut found: Vec<Finding> = Vec::new();
    for _ in 0..rng.below(4) {
        let finding = if rng.below(3) == 0 {
            let total: u32 = XIDS.iter().map(|(_, w)| w).sum();
            let mut roll = rng.below(u64::from(total)) as u32;
            let xid = XIDS
                .iter()
                .find(|(_, w)| {
                    if roll < *w {
                        true
                    } else {
                        roll -= w;
                        false
                    }
                })
                .map_or(79, |x| x.0);
            let evidence = BTreeMap::from([("count".to_owned(), EvidenceValue::Count(1))]);
            catalog.finding(xid, Some(0), evidence)
        } else {
            rules.finding(rng.weighted(&FINDINGS), Some(0), BTreeMap::new()).expect("a shipped rule")
        };
        if !found.iter().any(|f| f.code == finding.code) {
            found.push(finding);
        }
    }
    found
}

/// What the bench read of a generated card: its serial and a few health figures, as a reading is stored.
fn reading(serial: &str, rng: &mut Rng) -> GpuReading {
    let identity = Identity { serial: Some(serial.to_owned()), ..Identity::default() };
    let health = Health { temperature_c: Some(40 + rng.below(40) as u32), ..Health::default() };
    GpuReading::Present { index: 0, identity: Box::new(identity), health: Box::new(health) }
}

/// The driver generated cards were read with.
fn driver() -> DriverInfo {
    DriverInfo { driver_version: "550.90.07".into(), nvml_version: "12.550.90.07".into(), cuda_version: "12.4".into() }
}

/// A stored column's JSON text.
fn json<T: serde::Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))
}

/// Rises whenever the same seed starts giving a different history (cached benchmark stores are
/// named with it).
pub const VERSION: u32 = 3;

/// xorshift64*: fast, and the same sequence for the same seed everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    fn weighted(&mut self, items: &[(&'static str, u32)]) -> &'static str {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(u64::from(total)) as u32;
        for (item, weight) in items {
            if roll < *weight {
                return item;
            }
            roll -= weight;
        }
        items[0].0
    }
}

/// The customers' names: `count` of them, deterministic.
pub fn customer_name(index: u64) -> String {
    let city = CITY[(index % CITY.len() as u64) as usize];
    let kind = KIND[(index / CITY.len() as u64 % KIND.len() as u64) as usize];
    format!("{city}{kind} {index:04}")
}

fn timestamp(seconds: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(seconds).expect("in range");
    revive_core::store::timestamp(at)
}

/// Writes `jobs` jobs into a new database at `path` (removed first if it exists).
pub fn generate(path: &Path, jobs: u64, seed: u64) -> rusqlite::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    // Revive's own schema first, then bulk loading without the per-transaction syncing a shop needs.
    drop(
        Store::open(path, time::OffsetDateTime::now_utc)
            .map_err(|e| rusqlite::Error::InvalidPath(e.to_string().into()))?,
    );
    let mut conn = Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;")?;
    let mut rng = Rng::new(seed);
    let customers = (jobs / 250).clamp(20, 4_000);
    let start = 1_609_459_200; // 2021-01-01
    let span = 5 * 365 * 86_400;
    let tx = conn.transaction()?;
    {
        let mut customer = tx.prepare("INSERT INTO customers (id, name, created_at) VALUES (?1, ?2, ?3)")?;
        for index in 0..customers {
            customer.execute(params![index as i64 + 1, customer_name(index), timestamp(start)])?;
        }
        let mut job = tx.prepare(
            "INSERT INTO jobs (id, ticket, customer_id, status, model_id, board_serial, gpu_uuid, symptom_observed,
                condition_note, quote_minor, quote_currency, received_by, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?;
        let mut event =
            tx.prepare("INSERT INTO job_events (job_id, at, actor, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        let mut diagnostic = tx.prepare(
            "INSERT INTO diagnostic_runs (job_id, gpu_index, recorded_at, recorded_by, simulated, driver, reading, findings)
             VALUES (?1, 0, ?2, ?3, 0, ?4, ?5, ?6)",
        )?;
        let mut certificate = tx.prepare(
            "INSERT INTO certificates (number, job_id, issued_at, issued_by, document, sha256, signature, public_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'generated')",
        )?;
        let mut tickets_in_year = std::collections::HashMap::<i32, u32>::new();
        let mut certificates_in_year = std::collections::HashMap::<i32, u32>::new();
        for id in 1..=jobs as i64 {
            // Jobs in creation order, evenly over the five years with some jitter.
            let created = start + (span as i64 * (id - 1) / jobs as i64) + rng.below(3_600) as i64;
            let year = time::OffsetDateTime::from_unix_timestamp(created).expect("in range").year();
            let number = tickets_in_year.entry(year).or_default();
            *number += 1;
            let ticket = format!("RV-{year}-{number:06}");
            let roll = rng.below(100);
            let recent = created > start + span as i64 - 30 * 86_400;
            let status = match roll {
                _ if recent && roll < 40 => {
                    ["diagnosing", "repairing", "burn_in", "qc", "waiting_for_parts"][roll as usize % 5]
                }
                0..=4 => "scrapped",
                5..=10 => "rma",
                11..=12 => "on_hold",
                _ => "returned",
            };
            let technician = rng.pick(&TECHNICIANS);
            let closer = rng.pick(&TECHNICIANS);
            let model = rng.weighted(&MODELS);
            let serial = format!("{:013}", 1_320_000_000_000 + rng.below(400_000_000_000));
            let uuid = (rng.below(3) > 0).then(|| {
                let (a, b) = (rng.next_u64(), rng.next_u64());
                format!(
                    "GPU-{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                    a >> 32,
                    (a >> 16) & 0xffff,
                    a & 0xffff,
                    b >> 48,
                    b & 0xffff_ffff_ffff
                )
            });
            let updated = created + 86_400 * (1 + rng.below(20) as i64);
            let currency = if rng.below(4) == 0 { "USD" } else { "CNY" };
            job.execute(params![
                id,
                ticket,
                1 + rng.below(customers) as i64,
                status,
                model,
                serial,
                uuid,
                rng.pick(&SYMPTOMS),
                (rng.below(5) == 0).then_some("warranty seal broken, missing screws"),
                (rng.below(400) as i64 + 20) * 10_000,
                currency,
                technician,
                timestamp(created),
                timestamp(updated),
            ])?;
            let mut log = |at: i64, actor: &str, happened: Event| -> rusqlite::Result<()> {
                let (kind, detail) =
                    happened.to_columns().map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
                event.execute(params![id, timestamp(at), actor, kind, detail])?;
                Ok(())
            };
            log(created, technician, Event::Created { ticket: ticket.clone(), status: Status::Intake })?;
            let diagnosing =
                Event::StatusChanged { from: Status::Intake, to: Status::Diagnosing, reason: None, run: None };
            log(created + 3_600, technician, diagnosing)?;
            // Half the cards were read on Revive's bench; the rest were diagnosed before it was used.
            if rng.below(2) == 0 {
                let at = timestamp(created + 5_400);
                let (reading, found) = (json(&reading(&serial, &mut rng))?, json(&findings(&mut rng))?);
                diagnostic.execute(params![id, at, technician, json(&driver())?, reading, found])?;
            }
            if status != "diagnosing" {
                let to = Status::parse(status).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
                log(updated, closer, Event::StatusChanged { from: Status::Diagnosing, to, reason: None, run: None })?;
            }
            if status == "returned" && year >= 2025 {
                let count = certificates_in_year.entry(year).or_default();
                *count += 1;
                let number = format!("RC-{year}-{count:06}");
                let document = format!("{{\"number\":\"{number}\",\"ticket\":\"{ticket}\",\"serial\":\"{serial}\"}}");
                certificate.execute(params![
                    number,
                    id,
                    timestamp(updated),
                    closer,
                    document,
                    "0".repeat(64),
                    "generated"
                ])?;
            }
        }
        for (year, last) in tickets_in_year {
            tx.execute("INSERT INTO ticket_counters (year, last) VALUES (?1, ?2)", params![year, last])?;
        }
        for (year, last) in certificates_in_year {
            tx.execute("INSERT INTO certificate_counters (year, last) VALUES (?1, ?2)", params![year, last])?;
        }
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}
