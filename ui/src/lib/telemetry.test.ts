import { describe, expect, it } from 'vitest';
import { append, emptySeries, WINDOW } from './telemetry';
import type { GpuReading } from './api';

const reading = (temperatureC: number): GpuReading => ({
  state: 'present',
  index: 0,
  identity: {} as never,
  health: { temperatureC, memoryTemperatureC: temperatureC + 6, powerW: 500 } as never,
});

describe('telemetry window', () => {
  it('keeps the newest samples only', () => {
    let series = emptySeries();
    for (let second = 0; second < WINDOW + 10; second++) series = append(series, reading(second), second);
    expect(series.time).toHaveLength(WINDOW);
    expect(series.time[0]).toBe(10);
    expect(series.temperature.at(-1)).toBe(WINDOW + 9);
    expect(series.memoryTemperature.at(-1)).toBe(WINDOW + 15);
  });

  it('records a lost GPU as a gap, not a zero', () => {
    const series = append(append(emptySeries(), reading(40), 1), { state: 'lost', index: 0 }, 2);
    expect(series.temperature).toEqual([40, null]);
    expect(series.power).toEqual([500, null]);
  });
});
