//! What a repair cost: parts used and labour (the procedures' step timings, corrected with a reason
//! when a timing is wrong), priced and set against the quote.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::jobs::current_status;
use crate::jobs::events::{self, Event};
use crate::jobs::status::StatusFlow;
use crate::money::{Currency, Money};
use crate::settings::{Settings, Technician};
use crate::store::{timestamp, Store};
use crate::text::{self, Lines};
use crate::workshop::Workshop;

pub const MAX_QUANTITY: u64 = 10_000;
/// A correction beyond a working week is a typo.
pub const MAX_ADJUSTMENT_MINUTES: u64 = 60 * 40;

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(default, rename_all = "camelCase")]
pub struct PartForm {
    pub part_number: String,
    pub description: String,
    pub quantity: String,
    pub unit_cost: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(default, rename_all = "camelCase")]
pub struct LaborAdjustmentForm {
    /// Signed: `-15` takes a quarter of an hour off.
    pub minutes: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Part {
    pub id: i64,
    pub part_number: String,
    pub description: String,
    pub quantity: u32,
    pub unit_cost: Money,
    pub line_total: Money,
    pub added_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct LaborAdjustment {
    pub seconds: i64,
    pub reason: String,
    pub at: String,
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct JobCosts {
    pub quote: Money,
    pub parts: Vec<Part>,
    pub parts_total: Money,
    /// Seconds the procedures' steps took.
    pub timed_seconds: i64,
    pub adjustments: Vec<LaborAdjustment>,
    pub labor_seconds: i64,
    /// The shop's hourly rate, when it is set in the job's currency.
    pub labor_rate: Option<Money>,
    pub labor_total: Option<Money>,
    /// Parts plus labour (labour only when it can be priced).
    pub total: Money,
    /// Total minus quote: above zero, the repair cost more than quoted.
    pub over_quote: i64,
    /// The job has ended or has a certificate: its parts and labour no longer change.
    pub locked: bool,
}

/// A job's parts and labour, priced.
pub struct Costs<'w> {
    store: &'w Store,
    flow: &'w StatusFlow,
}

impl Workshop {
    pub fn costs(&self) -> Costs<'_> {
        Costs { store: self.store(), flow: &self.catalogs().flow }
    }
}

impl Costs<'_> {
    pub fn add_part(&self, job_id: i64, form: &PartForm, by: &Technician) -> CoreResult<JobCosts> {
        let part_number = text::label_code(&form.part_number, Field::PartNumber, 64)?
            .ok_or(CoreError::invalid(Field::PartNumber, Problem::Empty))?;
        let description = text::required(&form.description, Field::PartDescription, 200, Lines::Single)?;
        let quantity: u64 = match text::half_width(&form.quantity).trim() {
            "" => return Err(CoreError::invalid(Field::Quantity, Problem::Empty)),
            text => text.parse().map_err(|_| CoreError::invalid(Field::Quantity, Problem::BadFormat))?,
        };
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(CoreError::invalid(Field::Quantity, Problem::OutOfRange { min: 1, max: MAX_QUANTITY }));
        }
        self.store.write(|tx, now| {
            let actor = Settings::technician_for(tx, by)?;
            let currency = self.open_job_currency(tx, job_id)?;
            let unit_cost = Money::parse(&form.unit_cost, currency.code(), Field::UnitCost)?;
            let at = timestamp(now);
            tx.execute(
            "INSERT INTO job_parts (job_id, part_number, description, quantity, unit_cost_minor, added_at, added_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![job_id, part_number, description, quantity as i64, unit_cost.minor, at, actor],
        )?;
            events::append(
                tx,
                job_id,
                &at,
                &actor,
                &Event::PartAdded { part_number, quantity, unit_cost_minor: unit_cost.minor },
            )
        })?;
        self.for_job(job_id)
    }

    pub fn remove_part(&self, job_id: i64, part_id: i64, by: &Technician) -> CoreResult<JobCosts> {
        self.store.write(|tx, now| {
            let actor = Settings::technician_for(tx, by)?;
            self.open_job_currency(tx, job_id)?;
            let part: Option<String> = tx
                .query_row(
                    "SELECT part_number FROM job_parts WHERE id = ?1 AND job_id = ?2",
                    params![part_id, job_id],
                    |r| r.get(0),
                )
                .optional()?;
            let part_number = part.ok_or(CoreError::invalid(Field::Part, Problem::Unknown))?;
            tx.execute("DELETE FROM job_parts WHERE id = ?1", [part_id])?;
            events::append(tx, job_id, &timestamp(now), &actor, &Event::PartRemoved { part_number })
        })?;
        self.for_job(job_id)
    }

    pub fn adjust_labor(&self, job_id: i64, form: &LaborAdjustmentForm, by: &Technician) -> CoreResult<JobCosts> {
        let minutes: i64 = match text::half_width(&form.minutes).trim() {
            "" => return Err(CoreError::invalid(Field::Minutes, Problem::Empty)),
            text => text.parse().map_err(|_| CoreError::invalid(Field::Minutes, Problem::BadFormat))?,
        };
        if minutes == 0 || minutes.unsigned_abs() > MAX_ADJUSTMENT_MINUTES {
            return Err(CoreError::invalid(
                Field::Minutes,
                Problem::OutOfRange { min: 1, max: MAX_ADJUSTMENT_MINUTES },
            ));
        }
        let reason = text::required(&form.reason, Field::Reason, 1_000, Lines::Multi)?;
        self.store.write(|tx, now| {
            let actor = Settings::technician_for(tx, by)?;
            self.open_job_currency(tx, job_id)?;
            let at = timestamp(now);
            tx.execute(
                "INSERT INTO labor_adjustments (job_id, seconds, reason, at, actor) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![job_id, minutes * 60, reason, at, actor],
            )?;
            events::append(tx, job_id, &at, &actor, &Event::LaborAdjusted { minutes, reason })
        })?;
        self.for_job(job_id)
    }

    /// The job's currency, when its costs may still change: not once it has ended or has a
    /// certificate, which states them.
    fn open_job_currency(&self, tx: &Transaction, job_id: i64) -> CoreResult<Currency> {
        let currency = job_currency(tx, job_id)?;
        if self.locked(tx, job_id)? {
            return Err(CoreError::JobClosed(job_id));
        }
        Ok(currency)
    }

    /// Whether the job has ended or has a certificate, which states its costs.
    fn locked(&self, tx: &Transaction, job_id: i64) -> CoreResult<bool> {
        let (status, _) = current_status(tx, job_id)?;
        let certified: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM certificates WHERE job_id = ?1)", [job_id], |r| r.get(0))?;
        Ok(certified || self.flow.is_terminal(status))
    }

    pub fn for_job(&self, job_id: i64) -> CoreResult<JobCosts> {
        self.store.read(|tx| costs_in(tx, job_id, self.locked(tx, job_id)?))
    }
}

/// The job's costs as `tx` sees them.
fn costs_in(tx: &Transaction, job_id: i64, locked: bool) -> CoreResult<JobCosts> {
    let currency = job_currency(tx, job_id)?;
    let quote_minor: i64 = tx.query_row("SELECT quote_minor FROM jobs WHERE id = ?1", [job_id], |r| r.get(0))?;
    let money = |minor: i64| Money { minor, currency };
    let parts = parts_in(tx, job_id, currency)?;
    let timed_seconds: i64 = tx.query_row(
        "SELECT coalesce(sum(s.seconds), 0) FROM step_results s JOIN procedure_runs r ON r.id = s.run_id
             WHERE r.job_id = ?1",
        [job_id],
        |r| r.get(0),
    )?;
    let adjustments: Vec<LaborAdjustment> = tx
        .prepare("SELECT seconds, reason, at, actor FROM labor_adjustments WHERE job_id = ?1 ORDER BY id")?
        .query_map([job_id], |r| {
            Ok(LaborAdjustment { seconds: r.get(0)?, reason: r.get(1)?, at: r.get(2)?, actor: r.get(3)? })
        })?
        .collect::<Result<_, _>>()?;
    let labor_seconds = (timed_seconds + adjustments.iter().map(|a| a.seconds).sum::<i64>()).max(0);
    let labor_rate = Settings::load_in(tx)?.labor_rate.filter(|rate| rate.currency == currency);
    let labor_total = labor_rate.map(|rate| money((rate.minor as i128 * labor_seconds as i128 / 3600) as i64));
    let parts_total = money(parts.iter().map(|p| p.line_total.minor).sum());
    let total = money(parts_total.minor + labor_total.map_or(0, |l| l.minor));
    Ok(JobCosts {
        quote: money(quote_minor),
        parts,
        parts_total,
        timed_seconds,
        adjustments,
        labor_seconds,
        labor_rate,
        labor_total,
        total,
        over_quote: total.minor - quote_minor,
        locked,
    })
}

/// The parts fitted to the job, priced in its currency.
pub(crate) fn parts_in(tx: &Transaction, job_id: i64, currency: Currency) -> CoreResult<Vec<Part>> {
    let money = |minor: i64| Money { minor, currency };
    Ok(tx
        .prepare(
            "SELECT id, part_number, description, quantity, unit_cost_minor, added_by
                 FROM job_parts WHERE job_id = ?1 ORDER BY id",
        )?
        .query_map([job_id], |r| {
            let (quantity, unit): (u32, i64) = (r.get(3)?, r.get(4)?);
            Ok(Part {
                id: r.get(0)?,
                part_number: r.get(1)?,
                description: r.get(2)?,
                quantity,
                unit_cost: money(unit),
                line_total: money(unit * i64::from(quantity)),
                added_by: r.get(5)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

pub(crate) fn job_currency(tx: &Transaction, job_id: i64) -> CoreResult<Currency> {
    let code: String = tx
        .query_row("SELECT quote_currency FROM jobs WHERE id = ?1", [job_id], |r| r.get(0))
        .optional()?
        .ok_or(CoreError::JobNotFound(job_id))?;
    Currency::parse(&code)
}
