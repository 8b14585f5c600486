import { describe, expect, it } from 'vitest';
import type { StressProgress } from './api';
import { applyProgress, size, throughput } from './stress';

const base: StressProgress = { gpu: 0, memory: null, burnIn: null, sample: null, elapsedSeconds: 0, simulated: true };

describe('the stress panel live state', () => {
  it('keeps each GPU its own latest progress and telemetry', () => {
    const memory = { pass: 0, passes: 2, pattern: 'random' as const, bytesVerified: 3e9, mismatches: 4 };
    let live = applyProgress({}, { ...base, memory, elapsedSeconds: 30 });
    const sample = {
      atMs: 1,
      gpu: 0,
      temperatureC: 71,
      memoryTemperatureC: 80,
      powerW: 655,
      smClockMhz: 1830,
      pcieGeneration: 5,
      pcieWidth: 16,
      clockEventReasons: [],
      lost: false,
    };
    live = applyProgress(live, { ...base, sample, elapsedSeconds: 31 });
    live = applyProgress(live, { ...base, gpu: 3, elapsedSeconds: 5 });
    expect(live[0].memory).toEqual(memory);
    expect(live[0].sample?.powerW).toBe(655);
    expect(live[0].elapsedSeconds).toBe(31);
    expect(live[3].memory).toBeNull();
  });

  it('never moves the clock back for a late event', () => {
    const live = applyProgress(applyProgress({}, { ...base, elapsedSeconds: 90 }), { ...base, elapsedSeconds: 60 });
    expect(live[0].elapsedSeconds).toBe(90);
  });

  it('shows sizes and throughput in the unit that reads', () => {
    expect(size(79_600_000_000)).toBe('79.6 GB');
    expect(size(8_388_608)).toBe('8.4 MB');
    expect(throughput(612.44)).toBe('612.4 TFLOP/s');
    expect(throughput(0.000512)).toBe('0.5 GFLOP/s');
  });
});
