// Keeps the last samples of each GPU's readings for the live charts: a fixed-size window, so a bench
// left open all day uses the same memory as one opened a minute ago.
import type { GpuReading } from './api';

export const WINDOW = 120;

export interface Series {
  /** Seconds since the epoch. */
  time: number[];
  temperature: (number | null)[];
  memoryTemperature: (number | null)[];
  power: (number | null)[];
}

export function emptySeries(): Series {
  return { time: [], temperature: [], memoryTemperature: [], power: [] };
}

/** Appends one reading at `time`, dropping the oldest beyond `WINDOW`. A lost GPU adds a gap. */
export function append(series: Series, reading: GpuReading, time: number): Series {
  const health = reading.state === 'present' ? reading.health : null;
  const keep = <T>(values: T[], value: T) => [...values, value].slice(-WINDOW);
  return {
    time: keep(series.time, time),
    temperature: keep(series.temperature, health?.temperatureC ?? null),
    memoryTemperature: keep(series.memoryTemperature, health?.memoryTemperatureC ?? null),
    power: keep(series.power, health?.powerW ?? null),
  };
}
