// The stress panel's live state: each GPU's latest memory-test and burn-in progress and its
// latest telemetry, merged from the progress events as they arrive (each carries one of them).
import type { StressProgress } from './api';

export type GpuLive = Omit<StressProgress, 'gpu'>;

/** The live state with `progress` merged in: what the event does not carry stays as it was. */
export function applyProgress(live: Record<number, GpuLive>, progress: StressProgress): Record<number, GpuLive> {
  const before = live[progress.gpu];
  return {
    ...live,
    [progress.gpu]: {
      memory: progress.memory ?? before?.memory ?? null,
      burnIn: progress.burnIn ?? before?.burnIn ?? null,
      sample: progress.sample ?? before?.sample ?? null,
      elapsedSeconds: Math.max(progress.elapsedSeconds, before?.elapsedSeconds ?? 0),
      simulated: progress.simulated,
    },
  };
}

/** Bytes as a person reads them: 79.6 GB on a card, 8.4 MB on the simulated bench's stand-in. */
export function size(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Compute throughput: TFLOP/s on a GPU, GFLOP/s for the host's stand-in. */
export function throughput(tflops: number): string {
  return tflops >= 1 ? `${tflops.toFixed(1)} TFLOP/s` : `${(tflops * 1000).toFixed(1)} GFLOP/s`;
}
