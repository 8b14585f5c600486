// What the test-room screen shows of each GPU slot, worked out from the room the shop server sent.
// No Svelte here, so Vitest covers it without a window.
import type { Refusal, RoomServer, RoomTask, TaskProgress } from './api';
import type { MessageKey } from './i18n/en';

export type SlotState = 'idle' | 'queued' | 'running' | 'passed' | 'failed' | 'incomplete' | 'refused' | 'lost';

export interface SlotView {
  state: SlotState;
  /** The slot's latest task, when it has had one. */
  task: RoomTask | null;
}

/** A slot's state: its latest task's, except that a server whose agent went silent is lost. */
export function slotView(server: RoomServer, slot: number, tasks: RoomTask[]): SlotView {
  const task = tasks
    .filter((candidate) => candidate.server === server.name && candidate.slot === slot)
    .reduce<RoomTask | null>((latest, candidate) => (latest === null || candidate.id > latest.id ? candidate : latest), null);
  if (server.lost) return { state: 'lost', task };
  if (task === null || task.state === 'cancelled') return { state: 'idle', task };
  if (task.state === 'finished') return { state: task.verdict ?? 'incomplete', task };
  return { state: task.state, task };
}

/** Where a running task is, as short words: the memory test's pass, else the burn-in's minutes. */
export function progressParts(progress: TaskProgress | null): { key: MessageKey; values: Record<string, string | number> } | null {
  if (progress === null) return null;
  if (progress.burnIn !== null && (progress.memory === null || progress.burnIn.elapsedSeconds > 0)) {
    return {
      key: 'room.progress.burnIn',
      values: {
        minutes: Math.floor(progress.burnIn.elapsedSeconds / 60),
        of: Math.round(progress.burnIn.durationSeconds / 60),
      },
    };
  }
  if (progress.memory !== null) {
    return {
      key: 'room.progress.memory',
      values: { pass: progress.memory.pass + 1, passes: progress.memory.passes, gb: (progress.memory.bytesVerified / 1e9).toFixed(1) },
    };
  }
  return null;
}

/** Why an agent refused a task, as a message and its values; a failed run is said by its error. */
export function refusalParts(refusal: Exclude<Refusal, { kind: 'run_failed' }>): { key: MessageKey; values: Record<string, string | number> } {
  switch (refusal.kind) {
    case 'no_such_slot':
      return { key: 'room.refusal.no_such_slot', values: { slots: refusal.slots } };
    case 'wrong_card':
      return { key: 'room.refusal.wrong_card', values: { found: refusal.found, expected: refusal.expected } };
    default:
      return { key: `room.refusal.${refusal.kind}`, values: {} };
  }
}
