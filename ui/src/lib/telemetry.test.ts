import { describe, expect, it } from 'vitest';
import { append, emptySeries, WINDOW } from './telemetry';
import type { Sample } from './api';

const sample = (atMs: number, temperatureC: number, lost = false): Sample => ({
  atMs, gpu: 0, temperatureC, memoryTemperatureC: temperatureC + 6, powerW: 500, smClockMhz: 1980,
  pcieGeneration: 5, pcieWidth: 16, clockEventReasons: [], lost,
});

describe('telemetry window', () => {
  it('keeps the newest samples only', () => {
    let series = emptySeries();
    for (let second = 0; second < WINDOW + 10; second++) series = append(series, sample(second * 1000, second));
    expect(series.time).toHaveLength(WINDOW);
    expect(series.time[0]).toBe(10);
    expect(series.temperature.at(-1)).toBe(WINDOW + 9);
    expect(series.memoryTemperature.at(-1)).toBe(WINDOW + 15);
  });

  it('records a lost GPU as a gap, not a zero', () => {
    const series = append(append(emptySeries(), sample(1000, 40)), sample(2000, 0, true));
    expect(series.temperature).toEqual([40, null]);
    expect(series.pcieWidth).toEqual([16, null]);
  });
});
