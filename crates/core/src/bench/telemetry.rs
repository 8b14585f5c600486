//! Live telemetry: a sampler thread reads every GPU's fast-changing values at a fixed rate, hands
//! each batch to a sink (the UI's channel), and keeps a rolling window that a diagnostic run stores
//! packed in SQLite, 15 bytes a sample.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::bench::{GpuProvider, NvmlProvider, Sample};
use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::worker::Worker;

pub const DEFAULT_INTERVAL_MS: u64 = 1_000;
/// 10 Hz: NVML power is a 1-s average on Ampere and newer, so faster sampling only repeats it.
pub const MIN_INTERVAL_MS: u64 = 100;
pub const MAX_INTERVAL_MS: u64 = 60_000;
/// How much history a run can take with it: ten minutes at 1 Hz.
pub const WINDOW_SAMPLES: usize = 600;
const PACKED_VERSION: u8 = 1;
const SAMPLE_BYTES: usize = 15;

pub fn check_interval(interval_ms: u64) -> CoreResult<Duration> {
    if !(MIN_INTERVAL_MS..=MAX_INTERVAL_MS).contains(&interval_ms) {
        return Err(CoreError::invalid(
            Field::SampleInterval,
            Problem::OutOfRange { min: MIN_INTERVAL_MS, max: MAX_INTERVAL_MS },
        ));
    }
    Ok(Duration::from_millis(interval_ms))
}

/// The last [`WINDOW_SAMPLES`] samples of each GPU.
#[derive(Debug, Default)]
pub struct Window {
    per_gpu: HashMap<u32, VecDeque<Sample>>,
}

impl Window {
    pub fn push(&mut self, sample: Sample) {
        let samples = self.per_gpu.entry(sample.gpu).or_default();
        if samples.len() == WINDOW_SAMPLES {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    pub fn of(&self, gpu: u32) -> Vec<Sample> {
        self.per_gpu.get(&gpu).map(|samples| samples.iter().copied().collect()).unwrap_or_default()
    }
}

/// Samples every GPU every `interval` until the returned worker is dropped: each batch goes into
/// `window` and then to `sink`.
pub fn start_sampler(
    provider: Arc<NvmlProvider>,
    interval: Duration,
    window: Arc<Mutex<Window>>,
    mut sink: impl FnMut(&[Sample]) + Send + 'static,
) -> Worker {
    Worker::spawn(move |stop| {
        let mut next = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            if let Ok(batch) = provider.sample() {
                let mut kept = window.lock().unwrap_or_else(|p| p.into_inner());
                batch.iter().for_each(|sample| kept.push(*sample));
                drop(kept);
                sink(&batch);
            }
            next += interval;
            // Sleep in short steps so a stop is honoured quickly even at a 60-s interval.
            while !stop.load(Ordering::Relaxed) && Instant::now() < next {
                std::thread::sleep((next - Instant::now()).min(Duration::from_millis(50)));
            }
        }
    })
}

/// Packs one GPU's samples: a version byte, the first timestamp, then 15 bytes a sample
/// (ms offset u32, °C u8, HBM °C u8, 0.1 W u16, SM MHz u16, PCIe gen u8, width u8, reasons u16,
/// flags u8), little-endian; "not read" is the field's maximum value.
pub fn pack(samples: &[Sample]) -> Vec<u8> {
    let start = samples.first().map_or(0, |s| s.at_ms);
    let mut out = Vec::with_capacity(9 + samples.len() * SAMPLE_BYTES);
    out.push(PACKED_VERSION);
    out.extend_from_slice(&start.to_le_bytes());
    let small = |v: Option<u32>| v.map_or(u8::MAX, |v| v.min(u32::from(u8::MAX - 1)) as u8);
    let wide = |v: Option<u32>| v.map_or(u16::MAX, |v| v.min(u32::from(u16::MAX - 1)) as u16);
    for s in samples {
        out.extend_from_slice(&(s.at_ms.saturating_sub(start).min(u64::from(u32::MAX)) as u32).to_le_bytes());
        out.push(small(s.temperature_c));
        out.push(small(s.memory_temperature_c));
        out.extend_from_slice(&wide(s.power_w.map(|w| (w * 10.0).round().max(0.0) as u32)).to_le_bytes());
        out.extend_from_slice(&wide(s.sm_clock_mhz).to_le_bytes());
        out.push(small(s.pcie_generation));
        out.push(small(s.pcie_width));
        out.extend_from_slice(&((s.clock_event_reasons & 0xffff) as u16).to_le_bytes());
        out.push(u8::from(s.lost));
    }
    out
}

/// Reverses [`pack`]; anything malformed is an encoding error, never a panic.
pub fn unpack(bytes: &[u8], gpu: u32) -> CoreResult<Vec<Sample>> {
    let malformed = || CoreError::Encoding(serde::de::Error::custom("malformed packed telemetry"));
    let (header, body) = bytes.split_at_checked(9).ok_or_else(malformed)?;
    if header[0] != PACKED_VERSION || body.len() % SAMPLE_BYTES != 0 {
        return Err(malformed());
    }
    let start = u64::from_le_bytes(header[1..9].try_into().map_err(|_| malformed())?);
    let small = |b: u8| (b != u8::MAX).then_some(u32::from(b));
    let wide = |lo: u8, hi: u8| {
        let v = u16::from_le_bytes([lo, hi]);
        (v != u16::MAX).then_some(u32::from(v))
    };
    Ok(body
        .chunks_exact(SAMPLE_BYTES)
        .map(|c| Sample {
            at_ms: start + u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            gpu,
            temperature_c: small(c[4]),
            memory_temperature_c: small(c[5]),
            power_w: wide(c[6], c[7]).map(|deci| f64::from(deci) / 10.0),
            sm_clock_mhz: wide(c[8], c[9]),
            pcie_generation: small(c[10]),
            pcie_width: small(c[11]),
            clock_event_reasons: u64::from(u16::from_le_bytes([c[12], c[13]])),
            lost: c[14] & 1 == 1,
        })
        .collect())
}

/// The packed telemetry `query` finds for run `run_id` (it selects the GPU index and the blob).
pub(crate) fn load_packed(tx: &rusqlite::Transaction, query: &str, run_id: i64) -> CoreResult<Vec<Sample>> {
    use rusqlite::OptionalExtension;
    let stored: Option<(u32, Vec<u8>)> =
        tx.query_row(query, [run_id], |row| Ok((row.get(0)?, row.get(1)?))).optional()?;
    match stored {
        Some((gpu, packed)) => unpack(&packed, gpu),
        None => Err(CoreError::invalid(Field::Run, Problem::Unknown)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at_ms: u64, temperature: u32) -> Sample {
        Sample {
            at_ms,
            gpu: 2,
            temperature_c: Some(temperature),
            memory_temperature_c: None,
            power_w: Some(655.4),
            sm_clock_mhz: Some(1980),
            pcie_generation: Some(5),
            pcie_width: Some(16),
            clock_event_reasons: 0x60,
            lost: false,
        }
    }

    #[test]
    fn packing_round_trips_at_fifteen_bytes_a_sample() {
        let samples: Vec<Sample> =
            (0..3600).map(|i| sample(1_764_300_000_000 + i * 1000, 60 + (i % 20) as u32)).collect();
        let packed = pack(&samples);
        assert_eq!(packed.len(), 9 + 3600 * 15);
        assert_eq!(unpack(&packed, 2).unwrap(), samples);
    }

    #[test]
    fn unread_values_and_lost_gpus_survive_packing() {
        let lost = Sample { temperature_c: None, power_w: None, sm_clock_mhz: None, lost: true, ..sample(5, 0) };
        assert_eq!(unpack(&pack(&[lost]), 2).unwrap(), [lost]);
        assert_eq!(unpack(&pack(&[]), 0).unwrap(), []);
    }

    #[test]
    fn malformed_blobs_are_errors() {
        assert!(unpack(&[], 0).is_err());
        assert!(unpack(&[9, 0, 0, 0, 0, 0, 0, 0, 0], 0).is_err());
        let mut packed = pack(&[sample(1, 50)]);
        packed.pop();
        assert!(unpack(&packed, 0).is_err());
    }

    #[test]
    fn the_window_keeps_the_newest_samples_per_gpu() {
        let mut window = Window::default();
        for i in 0..(WINDOW_SAMPLES as u64 + 5) {
            window.push(sample(i, 50));
        }
        let kept = window.of(2);
        assert_eq!((kept.len(), kept[0].at_ms), (WINDOW_SAMPLES, 5));
        assert!(window.of(0).is_empty());
    }

    #[test]
    fn clock_event_reasons_travel_by_name() {
        let sample = sample(1, 50);
        let json = serde_json::to_value(sample).unwrap();
        assert_eq!(json["clockEventReasons"], serde_json::json!(["sw_thermal_slowdown", "hw_thermal_slowdown"]));
        assert_eq!(crate::bench::clock_event_reason_names(0), Vec::<String>::new());
    }

    #[test]
    fn the_interval_is_bounded() {
        assert!(check_interval(DEFAULT_INTERVAL_MS).is_ok());
        assert!(check_interval(99).is_err() && check_interval(60_001).is_err());
    }
}
