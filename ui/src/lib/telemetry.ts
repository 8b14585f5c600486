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
