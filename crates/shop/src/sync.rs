//! A bench's jobs and the shop server. A push sends each job whose store counted a change since
//! the last push, whole at its version (its photos first, once each), and only then marks it
//! pushed; a push cut short by a crash or an outage is simply sent again. The server takes a job
//! only from the bench holding it, and only on top of a version that bench knows it has: anything
//! else would overwrite work the bench never saw, so it is kept as a conflict for the manager and
//! the bench's copy stops changing until the manager decides. A pull then reads what changed on
//! the server for the jobs this bench keeps: a job another bench took, a conflict settled.

use postgres::{Client, GenericClient};
use revive_core::error::CoreError;
use revive_core::settings::Technician;
use revive_core::shop::holding::{AwayReason, KeptCopy, Taken};
use revive_core::shop::link::{ShopKey, ShopLink};
use revive_core::shop::outbox::JobRecord;
use revive_core::shop::record::JobRows;
use revive_core::workshop::Workshop;
use serde::Serialize;

use crate::error::{ShopError, ShopResult};

/// Jobs read and sent per round trip.
const BATCH: u32 = 200;

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Pushed {
    pub jobs: u64,
    pub photos: u64,
    /// Jobs the server refused as conflicting: each waits for the manager.
    pub refused: u64,
    /// Jobs whose copy here was behind the server's record (a bench restored from a backup) and
    /// was brought up to it.
    pub caught_up: u64,
    /// Jobs still waiting (changed while the push ran).
    pub waiting: u64,
}

/// What the server said to one job's record.
enum Answer {
    Taken,
    /// The server has a version of the bench's own job the bench does not know (it was restored
    /// from a backup): the bench catches up if its copy is where the server's record began.
    Behind,
    Refused {
        holder: String,
    },
}

/// Pushes every waiting job of `workshop`, as the bench `link` names, then says how many wait.
pub fn push(client: &mut Client, workshop: &Workshop, link: &ShopLink) -> ShopResult<Pushed> {
    let outbox = workshop.outbox();
    let bench = link.bench.as_str();
    let mut pushed = Pushed { jobs: 0, photos: 0, refused: 0, caught_up: 0, waiting: 0 };
    introduce(client, workshop, link, outbox.waiting()?)?;
    loop {
        let records = outbox.next(BATCH, bench)?;
        if records.is_empty() {
            break;
        }
        outbox.sending(&records)?;
        let mut tx = client.transaction()?;
        let mut answers = Vec::with_capacity(records.len());
        for record in &records {
            pushed.photos += send_photos(&mut tx, record)?;
            answers.push(send(&mut tx, bench, record)?);
        }
        tx.commit()?;
        // Only what the server now holds is marked; a crash before this line sends it again.
        for (record, answer) in records.iter().zip(answers) {
            match answer {
                Answer::Taken => {
                    outbox.pushed(record.job_id, record.version)?;
                    pushed.jobs += 1;
                }
                Answer::Refused { holder } => {
                    workshop.holding().freeze(record.job_id, AwayReason::Conflict, &holder)?;
                    pushed.refused += 1;
                }
                Answer::Behind => {
                    let (server_record, version) = fetch(client, workshop, &record.key)?;
                    match workshop.holding().catch_up(record.job_id, &server_record, version) {
                        Ok(()) => pushed.caught_up += 1,
                        Err(CoreError::RecordDiverged(_)) => {
                            let mut tx = client.transaction()?;
                            keep_conflict(&mut tx, bench, record, "behind")?;
                            tx.commit()?;
                            workshop.holding().freeze(record.job_id, AwayReason::Conflict, bench)?;
                            pushed.refused += 1;
                        }
                        Err(other) => return Err(other.into()),
                    }
                }
            }
        }
    }
    pushed.waiting = outbox.waiting()?;
    introduce(client, workshop, link, pushed.waiting)?;
    Ok(pushed)
}

fn send_photos(tx: &mut postgres::Transaction, record: &JobRecord) -> ShopResult<u64> {
    let mut sent = 0;
    for photo in &record.photos {
        let known: bool =
            tx.query_one("SELECT EXISTS (SELECT 1 FROM shop_photos WHERE sha256 = $1)", &[&photo.sha256])?.get(0);
        if !known {
            let bytes = std::fs::read(&photo.path).map_err(|error| ShopError::Core(CoreError::FileRead(error)))?;
            tx.execute(
                "INSERT INTO shop_photos (sha256, media, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
                &[&photo.sha256, &photo.media, &bytes],
            )?;
            sent += 1;
        }
    }
    Ok(sent)
}

/// Writes one job's record if `bench` holds the job and the server has nothing it did not send;
/// a record from a bench that does not hold the job is kept as a conflict.
fn send(tx: &mut postgres::Transaction, bench: &str, record: &JobRecord) -> ShopResult<Answer> {
    let (document, rows) = parsed(record)?;
    let key = &record.key;
    let held = tx.query_opt(
        "SELECT holder, version, record = $3 FROM shop_jobs WHERE bench = $1 AND job_id = $2 FOR UPDATE",
        &[&key.bench, &key.job_id, &rows],
    )?;
    let Some(row) = held else {
        tx.execute(
            "INSERT INTO shop_jobs (bench, job_id, holder, version, ticket, document, record)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&key.bench, &key.job_id, &bench, &record.version, &record.ticket, &document, &rows],
        )?;
        return Ok(Answer::Taken);
    };
    let (holder, version, same): (String, i64, Option<bool>) = (row.get(0), row.get(1), row.get(2));
    if version == record.version && same == Some(true) {
        // Sent before; the answer was lost.
        Ok(Answer::Taken)
    } else if holder != bench {
        keep_conflict(tx, bench, record, "not_holder")?;
        Ok(Answer::Refused { holder })
    } else if version < record.version && (version == record.pushed || version == record.sending) {
        tx.execute(
            "UPDATE shop_jobs SET version = $3, ticket = $4, document = $5, record = $6, pushed_at = now(),
                    change = nextval('shop_job_changes')
             WHERE bench = $1 AND job_id = $2",
            &[&key.bench, &key.job_id, &record.version, &record.ticket, &document, &rows],
        )?;
        Ok(Answer::Taken)
    } else {
        Ok(Answer::Behind)
    }
}

/// Keeps `bench`'s refused record as a conflict for the manager (once, however often it is sent).
fn keep_conflict(tx: &mut postgres::Transaction, bench: &str, record: &JobRecord, reason: &str) -> ShopResult<()> {
    let (document, rows) = parsed(record)?;
    let key = &record.key;
    tx.execute(
        "INSERT INTO shop_conflicts (bench, job_id, ticket, from_bench, version, document, record, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (bench, job_id, from_bench, version) DO NOTHING",
        &[&key.bench, &key.job_id, &record.ticket, &bench, &record.version, &document, &rows, &reason],
    )?;
    Ok(())
}

/// A record's document and rows as the server stores them.
fn parsed(record: &JobRecord) -> ShopResult<(serde_json::Value, serde_json::Value)> {
    let unreadable = |e: serde_json::Error| ShopError::Unreadable(e.to_string());
    Ok((
        serde_json::from_str(&record.document).map_err(unreadable)?,
        serde_json::from_str(&record.rows).map_err(unreadable)?,
    ))
}

/// What a pull did to the copies this bench keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Pulled {
    /// Copies of jobs other benches hold, brought up to the server's record.
    pub followed: u64,
    /// Copies the manager did not keep, set aside.
    pub set_aside: u64,
    /// Jobs that came back to this bench: a conflict settled in its favour, or the shop's record
    /// of a job it holds.
    pub back: u64,
    /// Jobs this bench holds whose copy was behind the server's record (a bench restored from a
    /// backup), brought up to it.
    pub caught_up: u64,
}

/// Reads what changed on the server since the last pull for the jobs this bench keeps or holds.
pub fn pull(client: &mut Client, workshop: &Workshop, link: &ShopLink) -> ShopResult<Pulled> {
    let holding = workshop.holding();
    let (benches, ids): (Vec<String>, Vec<i64>) =
        holding.taken_keys()?.into_iter().map(|key| (key.bench, key.job_id)).unzip();
    let mut pulled = Pulled::default();
    let mut from = holding.pulled()?;
    loop {
        let rows = client.query(
            "SELECT bench, job_id, holder, version, change FROM shop_jobs
             WHERE change > $1 AND (holder = $2 OR bench = $2
                   OR (bench, job_id) IN (SELECT * FROM unnest($3::text[], $4::bigint[])))
             ORDER BY change LIMIT 200",
            &[&from, &link.bench, &benches, &ids],
        )?;
        let Some(last) = rows.last() else { break };
        let next = last.get(4);
        for row in rows {
            let key = ShopKey { bench: row.get(0), job_id: row.get(1) };
            settle(client, workshop, &link.bench, &key, &row.get::<_, String>(2), row.get(3), &mut pulled)?;
        }
        from = next;
        holding.set_pulled(from)?;
    }
    Ok(pulled)
}

/// Brings this bench's copy of job `key` in line with the server, which holds it at `version` for `holder`.
fn settle(
    client: &mut Client,
    workshop: &Workshop,
    bench: &str,
    key: &ShopKey,
    holder: &str,
    version: i64,
    pulled: &mut Pulled,
) -> ShopResult<()> {
    let holding = workshop.holding();
    let ours = holder == bench;
    match holding.copy_of(key, bench)? {
        Some(KeptCopy { job_id, away: Some(AwayReason::Conflict), .. }) => {
            let kept: Option<Option<String>> = client
                .query_opt(
                    "SELECT kept FROM shop_conflicts WHERE bench = $1 AND job_id = $2 AND from_bench = $3
                     ORDER BY id DESC LIMIT 1",
                    &[&key.bench, &key.job_id, &bench],
                )?
                .map(|row| row.get(0));
            match kept.flatten().as_deref() {
                None => {}
                Some("bench") if ours => {
                    holding.hold_again(job_id, version)?;
                    pulled.back += 1;
                }
                Some(_) => {
                    holding.freeze(job_id, AwayReason::SetAside, holder)?;
                    pulled.set_aside += 1;
                    if ours {
                        receive(client, workshop, bench, key, None)?;
                        pulled.back += 1;
                    }
                }
            }
        }
        None if ours => {
            receive(client, workshop, bench, key, None)?;
            pulled.back += 1;
        }
        // Held here with nothing waiting, yet behind the server: restored from a backup.
        Some(KeptCopy { job_id, away: None, version: here, pushed }) if ours && here == pushed && pushed < version => {
            let (record, version) = fetch(client, workshop, key)?;
            workshop.holding().catch_up(job_id, &record, version)?;
            pulled.caught_up += 1;
        }
        Some(copy) if !ours => {
            // A change still to push goes first, so the server sees it and keeps it as a conflict.
            let up_to_date = copy.away == Some(AwayReason::Taken) && copy.pushed == version;
            if copy.version > copy.pushed || up_to_date {
                return Ok(());
            }
            let (record, version) = fetch(client, workshop, key)?;
            match holding.follow(copy.job_id, &record, version, holder) {
                Ok(()) => pulled.followed += 1,
                Err(CoreError::RecordDiverged(_)) => {
                    holding.freeze(copy.job_id, AwayReason::SetAside, holder)?;
                    pulled.set_aside += 1;
                }
                Err(other) => return Err(other.into()),
            }
        }
        _ => {}
    }
    Ok(())
}

/// Takes job `key` over to this bench from whichever bench holds it, as `by`: the server names
/// this bench its holder and logs the hand-over, and the job's whole record is written here, in
/// one go (a failure on either side leaves both as they were). Answers the job's number here and
/// the bench it came from.
pub fn take(
    client: &mut Client,
    workshop: &Workshop,
    link: &ShopLink,
    key: &ShopKey,
    by: &Technician,
) -> ShopResult<(i64, String)> {
    receive(client, workshop, &link.bench, key, Some(by))
}

/// The key of the job numbered `ticket` (as typed: full-width or lower case), on whichever bench.
pub fn key_of(client: &mut Client, ticket: &str) -> ShopResult<ShopKey> {
    let ticket = revive_core::text::half_width_alphanumerics(ticket.trim()).to_uppercase();
    let rows = client.query("SELECT bench, job_id FROM shop_jobs WHERE ticket = $1 LIMIT 2", &[&ticket])?;
    match rows.as_slice() {
        [row] => Ok(ShopKey { bench: row.get(0), job_id: row.get(1) }),
        [] => Err(ShopError::JobNotInShop),
        _ => Err(ShopError::TicketOnSeveralBenches(ticket)),
    }
}

/// Writes the server's record of job `key` here; with `by`, as a hand-over to this bench. Answers
/// the job's number here and the bench that held it.
fn receive(
    client: &mut Client,
    workshop: &Workshop,
    bench: &str,
    key: &ShopKey,
    by: Option<&Technician>,
) -> ShopResult<(i64, String)> {
    let mut tx = client.transaction()?;
    let row = tx
        .query_opt(
            "SELECT holder, version, ticket, record FROM shop_jobs WHERE bench = $1 AND job_id = $2 FOR UPDATE",
            &[&key.bench, &key.job_id],
        )?
        .ok_or(ShopError::JobNotInShop)?;
    let (holder, version, ticket): (String, i64, String) = (row.get(0), row.get(1), row.get(2));
    if holder == bench {
        if let Some(KeptCopy { job_id, away: None, .. }) = workshop.holding().copy_of(key, bench)? {
            return Ok((job_id, holder));
        }
    }
    let record = rows_of(row.get(3), &ticket)?;
    keep_photos(&mut tx, workshop, &record)?;
    if let Some(by) = by.filter(|_| holder != bench) {
        tx.execute(
            "UPDATE shop_jobs SET holder = $3, change = nextval('shop_job_changes') WHERE bench = $1 AND job_id = $2",
            &[&key.bench, &key.job_id, &bench],
        )?;
        tx.execute(
            "INSERT INTO shop_hand_overs (bench, job_id, ticket, from_bench, to_bench, taken_by, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&key.bench, &key.job_id, &ticket, &holder, &bench, &by.name(), &version],
        )?;
    }
    let taken = Taken { from: holder, version, record };
    let job_id = workshop.holding().take(key, bench, &taken, by)?;
    tx.commit()?;
    Ok((job_id, taken.from))
}

/// The server's record of job `key` and its version, with the photos it names kept here.
fn fetch(client: &mut Client, workshop: &Workshop, key: &ShopKey) -> ShopResult<(JobRows, i64)> {
    let row = client
        .query_opt(
            "SELECT version, ticket, record FROM shop_jobs WHERE bench = $1 AND job_id = $2",
            &[&key.bench, &key.job_id],
        )?
        .ok_or(ShopError::JobNotInShop)?;
    let record = rows_of(row.get(2), &row.get::<_, String>(1))?;
    keep_photos(client, workshop, &record)?;
    Ok((record, row.get(0)))
}

fn rows_of(record: Option<serde_json::Value>, ticket: &str) -> ShopResult<JobRows> {
    let record = record.ok_or_else(|| ShopError::NotTakeable(ticket.to_owned()))?;
    serde_json::from_value(record).map_err(|error| ShopError::Unreadable(error.to_string()))
}

/// Keeps here each photo of the record this bench does not have yet.
fn keep_photos(client: &mut impl GenericClient, workshop: &Workshop, record: &JobRows) -> ShopResult<()> {
    for photo in &record.attachments {
        let Some(sha256) = photo.get("sha256").and_then(serde_json::Value::as_str) else {
            return Err(ShopError::Unreadable("a photo without its hash".into()));
        };
        if revive_core::jobs::attachments::path_of(workshop.data_dir(), sha256).exists() {
            continue;
        }
        let bytes: Vec<u8> = client
            .query_opt("SELECT bytes FROM shop_photos WHERE sha256 = $1", &[&sha256])?
            .ok_or_else(|| ShopError::Unreadable(format!("photo {sha256} is not on the server")))?
            .get(0);
        workshop.photos().keep(sha256, &bytes)?;
    }
    Ok(())
}

/// Says the bench is here and how many jobs it has waiting, and claims its code: the first time
/// the server sees the code it becomes this bench's for good, and the bench numbers with it from
/// then on; a code another bench holds is refused.
pub fn introduce(client: &mut Client, workshop: &Workshop, link: &ShopLink, waiting: u64) -> ShopResult<()> {
    let waiting = i32::try_from(waiting).unwrap_or(i32::MAX);
    let mut tx = client.transaction()?;
    tx.execute(
        "INSERT INTO shop_benches (name, waiting) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET last_contact = now(), waiting = excluded.waiting",
        &[&link.bench, &waiting],
    )?;
    tx.execute(
        "INSERT INTO shop_bench_codes (code, bench) VALUES ($1, $2) ON CONFLICT (code) DO NOTHING",
        &[&link.code, &link.bench],
    )?;
    let holder: String = tx.query_one("SELECT bench FROM shop_bench_codes WHERE code = $1", &[&link.code])?.get(0);
    tx.commit()?;
    if holder != link.bench {
        return Err(ShopError::BenchCodeTaken { code: link.code.clone(), bench: holder });
    }
    if !link.code_confirmed {
        workshop.shop_link().confirm_code(&link.code)?;
    }
    Ok(())
}

/// What a bench's status line says about its link to the shop server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub linked: bool,
    /// Jobs with changes the server has not had yet.
    pub waiting: u64,
    /// When a push last reached the server.
    pub last_push: Option<String>,
    /// Since when the server has been out of reach; none while it answers.
    pub offline_since: Option<String>,
    /// What went wrong with the last push other than the server being out of reach.
    pub problem: Option<String>,
    /// Jobs here the server refused as conflicting, waiting for the manager.
    pub conflicts: u64,
}

impl SyncStatus {
    /// The status after a push at `now` ended with `result` (`waiting` and `conflicts`: what the
    /// bench counts).
    pub fn after(&self, result: &ShopResult<Pushed>, waiting: u64, conflicts: u64, now: &str) -> SyncStatus {
        let status = match result {
            Ok(pushed) => SyncStatus {
                linked: true,
                waiting: pushed.waiting,
                last_push: Some(now.to_owned()),
                offline_since: None,
                problem: None,
                conflicts,
            },
            Err(ShopError::NotLinked) => SyncStatus::default(),
            Err(ShopError::Unreachable(_)) => SyncStatus {
                linked: true,
                waiting,
                offline_since: self.offline_since.clone().or_else(|| Some(now.to_owned())),
                ..self.clone()
            },
            Err(other) => SyncStatus { linked: true, waiting, problem: Some(other.to_string()), ..self.clone() },
        };
        SyncStatus { conflicts: if status.linked { conflicts } else { 0 }, ..status }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_says_up_to_date_waiting_or_offline_since_when() {
        let pushed = |waiting| Ok(Pushed { jobs: 3, photos: 0, refused: 0, caught_up: 0, waiting });
        let up = SyncStatus::default().after(&pushed(0), 0, 0, "2026-12-02T05:00:00.000Z");
        assert_eq!(
            (up.linked, up.waiting, up.last_push.as_deref(), up.offline_since.as_deref()),
            (true, 0, Some("2026-12-02T05:00:00.000Z"), None)
        );
        let unreachable =
            || match postgres::Client::connect("host=/nonexistent-revive dbname=x user=y", postgres::NoTls) {
                Err(error) => ShopError::Unreachable(error),
                Ok(_) => panic!("there is no server there"),
            };
        let down = up.after(&Err(unreachable()), 4, 0, "2026-12-02T05:01:00.000Z");
        assert_eq!((down.waiting, down.offline_since.as_deref()), (4, Some("2026-12-02T05:01:00.000Z")));
        assert_eq!(down.last_push, up.last_push, "the last push that reached the server is kept");
        let still = down.after(&Err(unreachable()), 5, 0, "2026-12-02T05:02:00.000Z");
        assert_eq!(still.offline_since, down.offline_since, "offline since the first failure");
        assert_eq!(still.after(&pushed(1), 1, 0, "2026-12-02T05:03:00.000Z").offline_since, None);
        assert_eq!(still.after(&Err(ShopError::NotLinked), 0, 2, "now"), SyncStatus::default());
        assert_eq!(
            still.after(&Err(unreachable()), 5, 2, "now").conflicts,
            2,
            "conflicts are counted here, offline too"
        );
    }
}
