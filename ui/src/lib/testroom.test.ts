import { describe, expect, it } from 'vitest';
import type { RoomServer, RoomTask } from './api';
import { progressParts, refusalParts, slotView } from './testroom';

const server = (lost = false): RoomServer => ({ name: '机架-07', simulated: true, secondsSinceSeen: lost ? 90 : 2, lost, slots: [] });

function task(id: number, slot: number, state: RoomTask['state'], verdict: RoomTask['verdict'] = null): RoomTask {
  return {
    id, server: '机架-07', slot, ticket: `RV-2026-00000${id}`, bench: 'bench-1', scheduledBy: '王芳', state,
    attempts: 1, progress: null, verdict, refusal: null, plan: { burnInSeconds: 7200, memory: null },
  };
}

describe('test room slots', () => {
  it('shows each slot by its latest task', () => {
    const tasks = [task(1, 0, 'finished', 'failed'), task(3, 0, 'running'), task(2, 1, 'finished', 'passed'), task(4, 2, 'refused')];
    expect(slotView(server(), 0, tasks)).toEqual({ state: 'running', task: tasks[1] });
    expect(slotView(server(), 1, tasks).state).toBe('passed');
    expect(slotView(server(), 2, tasks).state).toBe('refused');
    expect(slotView(server(), 3, tasks)).toEqual({ state: 'idle', task: null });
  });

  it('calls every slot of a silent server lost, and a finished run without a verdict incomplete', () => {
    expect(slotView(server(true), 0, [task(1, 0, 'running')]).state).toBe('lost');
    expect(slotView(server(), 0, [task(1, 0, 'finished')]).state).toBe('incomplete');
    expect(slotView(server(), 0, [task(1, 0, 'cancelled')]).state).toBe('idle');
  });

  it('says where a run is: the memory pass, then the burn-in minutes', () => {
    expect(progressParts(null)).toBeNull();
    const memory = { pass: 0, passes: 3, pattern: 'own_address', bytesVerified: 12_345_000_000, mismatches: 0 } as const;
    const burnIn = { elapsedSeconds: 0, durationSeconds: 7200, iterations: 0, computeErrors: 0, tflops: 0 };
    const base = { elapsedSeconds: 30, temperatureC: 61, powerW: 650, simulated: true };
    expect(progressParts({ ...base, memory, burnIn: null })).toEqual({ key: 'room.progress.memory', values: { pass: 1, passes: 3, gb: '12.3' } });
    expect(progressParts({ ...base, memory, burnIn })).toEqual({ key: 'room.progress.memory', values: { pass: 1, passes: 3, gb: '12.3' } });
    expect(progressParts({ ...base, memory, burnIn: { ...burnIn, elapsedSeconds: 2_730 } })).toEqual({ key: 'room.progress.burnIn', values: { minutes: 45, of: 120 } });
  });
});

describe('test room refusals', () => {
  it('are said with their own details', () => {
    expect(refusalParts({ kind: 'wrong_card', found: '1654922012341', expected: '1654922012340' })).toEqual({
      key: 'room.refusal.wrong_card', values: { found: '1654922012341', expected: '1654922012340' },
    });
    expect(refusalParts({ kind: 'no_such_slot', slots: 8 })).toEqual({ key: 'room.refusal.no_such_slot', values: { slots: 8 } });
    expect(refusalParts({ kind: 'gpu_lost' })).toEqual({ key: 'room.refusal.gpu_lost', values: {} });
  });
});
