// Keeps the last samples of each GPU for the live charts: a fixed-size window, so a bench left
// open all day uses the same memory as one opened a minute ago.
import type { Sample } from './api';

export const WINDOW = 300;

export interface Series {
  /** Seconds since the epoch. */
  time: number[];
  temperature: (number | null)[];
  memoryTemperature: (number | null)[];
  power: (number | null)[];
  smClock: (number | null)[];
  pcieGeneration: (number | null)[];
  pcieWidth: (number | null)[];
}

export function emptySeries(): Series {
  return { time: [], temperature: [], memoryTemperature: [], power: [], smClock: [], pcieGeneration: [], pcieWidth: [] };
}

/** Appends one sample, dropping the oldest beyond `WINDOW`. A lost GPU's sample is a gap. */
export function append(series: Series, sample: Sample): Series {
  const keep = <T>(values: T[], value: T) => [...values, value].slice(-WINDOW);
  const read = <T>(value: T) => (sample.lost ? null : value);
  return {
    time: keep(series.time, sample.atMs / 1000),
    temperature: keep(series.temperature, read(sample.temperatureC)),
    memoryTemperature: keep(series.memoryTemperature, read(sample.memoryTemperatureC)),
    power: keep(series.power, read(sample.powerW)),
    smClock: keep(series.smClock, read(sample.smClockMhz)),
    pcieGeneration: keep(series.pcieGeneration, read(sample.pcieGeneration)),
    pcieWidth: keep(series.pcieWidth, read(sample.pcieWidth)),
  };
}

/** NVML clock-event reason bits, named as the findings name them. */
const REASONS: [number, string][] = [
  [0x1, 'gpu_idle'],
  [0x2, 'applications_clocks_setting'],
  [0x4, 'sw_power_cap'],
  [0x8, 'hw_slowdown'],
  [0x10, 'sync_boost'],
  [0x20, 'sw_thermal_slowdown'],
  [0x40, 'hw_thermal_slowdown'],
  [0x80, 'hw_power_brake_slowdown'],
  [0x100, 'display_clock_setting'],
];

export function reasonNames(bits: number): string[] {
  return REASONS.filter(([bit]) => (bits & bit) !== 0).map(([, name]) => name);
}
