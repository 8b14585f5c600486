// The history table's data: pages fetched as the person scrolls, kept per query, and what the
// statistics charts need to draw. No Svelte here, so Vitest covers it without a window.
import type { HistoryQuery, HistoryRow, HistoryPage, Money } from './api';

/** Rows fetched per request: a few screens. */
export const PAGE_SIZE = 200;
/** Row height in pixels; the table is virtual, so every row must be this tall. */
export const ROW_HEIGHT = 30;
/** WebKit lays out at most 2^25 pixels: past this many rows the table stops and asks for filters. */
export const MAX_SCROLL_ROWS = Math.floor(33_000_000 / ROW_HEIGHT);
/** Pages kept in memory: scrolling through a million rows keeps the ones read last, not all. */
export const PAGES_KEPT = 50;

export function emptyQuery(): HistoryQuery {
  return {
    text: '', from: '', to: '', status: '', model: '', customer: '', technician: '',
    outcome: '', certificate: '', sort: 'received', descending: true,
    utcOffsetMinutes: -new Date().getTimezoneOffset(),
    // The zone by name, so each date's own offset counts (daylight saving time) where there is one.
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone ?? '',
  };
}

/** How many filters are set (search text included), for the "clear" button. */
export function activeFilters(query: HistoryQuery): number {
  const fields = ['text', 'from', 'to', 'status', 'model', 'customer', 'technician', 'outcome', 'certificate'] as const;
  return fields.filter((field) => query[field].trim() !== '').length;
}

/**
 * The rows of one query, page by page. Every answer carries the generation it was asked for, so
 * an answer to an older query (the person typed on) is dropped instead of shown.
 */
export class PageCache {
  private pages = new Map<number, HistoryRow[]>();
  private asked = new Set<number>();
  generation = 0;
  /** Jobs matching so far: exact when `exact`, else at least this many. */
  total = 0;
  exact = false;

  /** Forgets everything: a new query. Returns the new generation. */
  reset(): number {
    this.pages.clear();
    this.asked.clear();
    this.total = 0;
    this.exact = false;
    return ++this.generation;
  }

  /** A row of a fetched page; reading it makes its page the last one evicted. */
  row(index: number): HistoryRow | undefined {
    const page = Math.floor(index / PAGE_SIZE);
    const rows = this.pages.get(page);
    if (rows !== undefined) {
      this.pages.delete(page);
      this.pages.set(page, rows);
    }
    return rows?.[index % PAGE_SIZE];
  }

  /** The pages that rows `first..=last` need and nobody has asked for yet; marks them asked. */
  claim(first: number, last: number): number[] {
    const wanted: number[] = [];
    for (let page = Math.floor(Math.max(first, 0) / PAGE_SIZE); page <= Math.floor(Math.max(last, 0) / PAGE_SIZE); page++) {
      if (!this.pages.has(page) && !this.asked.has(page)) {
        this.asked.add(page);
        wanted.push(page);
      }
    }
    return wanted;
  }

  /** Takes an answer; false when it belongs to an older query and was dropped. */
  accept(generation: number, page: HistoryPage): boolean {
    if (generation !== this.generation) return false;
    this.pages.set(Math.floor(page.offset / PAGE_SIZE), page.rows);
    // A Map iterates in insertion order and `row` re-inserts what it reads: the first is the
    // least recently read. An evicted page is asked for again when it comes back into view.
    for (const oldest of this.pages.keys()) {
      if (this.pages.size <= PAGES_KEPT) break;
      this.pages.delete(oldest);
      this.asked.delete(oldest);
    }
    // A later page can only learn more: the count never shrinks while a query stands, and a
    // lower bound never replaces an exact count.
    if (page.exact || (!this.exact && page.total > this.total)) {
      this.total = page.total;
      this.exact = page.exact;
    }
    return true;
  }

  /**
   * How many rows the table holds: every match when the count is exact, else a page more than
   * counted, so scrolling to the end asks for the next page (and its count) instead of stopping.
   */
  scrollRows(): number {
    return Math.min(this.exact ? this.total : this.total + PAGE_SIZE, MAX_SCROLL_ROWS);
  }

  /** Takes the exact count asked for apart; false when it belongs to an older query. */
  acceptCount(generation: number, total: number): boolean {
    if (generation !== this.generation) return false;
    this.total = total;
    this.exact = true;
    return true;
  }

  /** A page whose request failed may be asked again. */
  release(generation: number, page: number) {
    if (generation === this.generation) this.asked.delete(page);
  }
}

/** Sums of money per currency, in a stable currency order. */
export function totalsByCurrency(amounts: Money[]): Money[] {
  const sums = new Map<string, number>();
  for (const amount of amounts) sums.set(amount.currency, (sums.get(amount.currency) ?? 0) + amount.minor);
  return [...sums.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, minor]) => ({ currency, minor }) as Money);
}

/** Gridline values from 0 up to at least `value`: about four steps of 1, 2 or 5 times a power of
 * ten, never finer than `minStep` (1 for counts, 100 minor units for money), so every tick is a
 * round number a person would write. */
export function axisTicks(value: number, minStep = 1): number[] {
  const rough = Math.max(value, 0) / 4;
  const power = 10 ** Math.floor(Math.log10(Math.max(rough, Number.MIN_VALUE)));
  const nice = ([1, 2, 5, 10].find((factor) => factor * power >= rough) ?? 10) * power;
  const step = Math.max(nice, minStep);
  const count = Math.max(1, Math.ceil(value / step));
  return Array.from({ length: count + 1 }, (_, i) => i * step);
}

/** Hours as a person says them: "18 h" under two days, else "3.5 d". */
export function durationParts(hours: number): { value: string; unit: 'hours' | 'days' } {
  if (hours < 48) return { value: hours.toFixed(hours < 10 ? 1 : 0), unit: 'hours' };
  return { value: (hours / 24).toFixed(1), unit: 'days' };
}
