import { describe, expect, it } from 'vitest';
import type { HistoryRow } from './api';
import { activeFilters, axisTicks, durationParts, emptyQuery, MAX_SCROLL_ROWS, PAGE_SIZE, PAGES_KEPT, PageCache, totalsByCurrency } from './history';

function rows(offset: number, count: number): HistoryRow[] {
  return Array.from({ length: count }, (_, i) => ({ id: offset + i + 1, ticket: `RV-2026-${String(offset + i + 1).padStart(6, '0')}` }) as HistoryRow);
}

describe('PageCache', () => {
  it('asks once for each page the visible rows need', () => {
    const cache = new PageCache();
    cache.reset();
    expect(cache.claim(0, 30)).toEqual([0]);
    expect(cache.claim(10, PAGE_SIZE + 5)).toEqual([1]);
    expect(cache.claim(0, PAGE_SIZE + 5)).toEqual([]);
    cache.release(cache.generation, 1);
    expect(cache.claim(PAGE_SIZE, PAGE_SIZE)).toEqual([1]);
  });

  it('reads rows from their page and drops answers to an older query', () => {
    const cache = new PageCache();
    const first = cache.reset();
    expect(cache.accept(first, { offset: 0, total: 10_200, exact: false, rows: rows(0, PAGE_SIZE) })).toBe(true);
    expect(cache.row(5)?.id).toBe(6);
    expect(cache.row(PAGE_SIZE)).toBeUndefined();
    expect([cache.total, cache.exact]).toEqual([10_200, false]);

    const second = cache.reset();
    expect(cache.row(5)).toBeUndefined();
    expect(cache.accept(first, { offset: PAGE_SIZE, total: 99, exact: true, rows: rows(PAGE_SIZE, 10) })).toBe(false);
    expect(cache.total).toBe(0);
    expect(cache.accept(second, { offset: PAGE_SIZE, total: 10_400, exact: false, rows: rows(PAGE_SIZE, PAGE_SIZE) })).toBe(true);
    expect(cache.row(PAGE_SIZE + 1)?.id).toBe(PAGE_SIZE + 2);
  });

  it('holds a page more than a lower bound, so scrolling reaches the next page', () => {
    const cache = new PageCache();
    const generation = cache.reset();
    expect(cache.scrollRows()).toBe(PAGE_SIZE);
    cache.accept(generation, { offset: 0, total: PAGE_SIZE, exact: false, rows: rows(0, PAGE_SIZE) });
    expect(cache.scrollRows()).toBe(2 * PAGE_SIZE);
    cache.accept(generation, { offset: PAGE_SIZE, total: PAGE_SIZE + 17, exact: true, rows: rows(PAGE_SIZE, 17) });
    expect(cache.scrollRows()).toBe(PAGE_SIZE + 17);
    cache.accept(generation, { offset: 0, total: 5_000_000, exact: true, rows: [] });
    expect(cache.scrollRows()).toBe(MAX_SCROLL_ROWS);
  });

  it('takes an exact count for the current query only, and keeps it', () => {
    const cache = new PageCache();
    const old = cache.reset();
    const current = cache.reset();
    expect(cache.acceptCount(old, 7)).toBe(false);
    cache.accept(current, { offset: 0, total: 2_200, exact: false, rows: rows(0, PAGE_SIZE) });
    expect(cache.acceptCount(current, 1_000_000)).toBe(true);
    expect([cache.total, cache.exact, cache.scrollRows()]).toEqual([1_000_000, true, 1_000_000]);
    cache.accept(current, { offset: 400_000, total: 402_400, exact: false, rows: rows(400_000, PAGE_SIZE) });
    expect([cache.total, cache.exact]).toEqual([1_000_000, true]);
  });

  it('keeps the pages read last when scrolling through a million rows, and asks again for one evicted', () => {
    const cache = new PageCache();
    const generation = cache.reset();
    for (let page = 0; page < 5_000; page++) {
      expect(cache.claim(page * PAGE_SIZE, page * PAGE_SIZE)).toEqual([page]);
      cache.accept(generation, { offset: page * PAGE_SIZE, total: 1_000_000, exact: true, rows: rows(page * PAGE_SIZE, PAGE_SIZE) });
      if (page >= 10) expect(cache.row(10)?.id).toBe(11);
    }
    expect(cache.row(10)?.id).toBe(11);
    expect(cache.row(4_999 * PAGE_SIZE)?.id).toBe(4_999 * PAGE_SIZE + 1);
    expect(cache.row(4_999 * PAGE_SIZE - PAGES_KEPT * PAGE_SIZE)).toBeUndefined();
    expect(cache.claim(20 * PAGE_SIZE, 20 * PAGE_SIZE)).toEqual([20]);
    expect(cache.claim(4_990 * PAGE_SIZE, 4_990 * PAGE_SIZE)).toEqual([]);
  });

  it('lets a lower bound only grow until the count is exact', () => {
    const cache = new PageCache();
    const generation = cache.reset();
    cache.accept(generation, { offset: 2_000, total: 12_200, exact: false, rows: [] });
    cache.accept(generation, { offset: 0, total: 10_200, exact: false, rows: [] });
    expect(cache.total).toBe(12_200);
    cache.accept(generation, { offset: 4_000, total: 11_000, exact: true, rows: [] });
    expect([cache.total, cache.exact]).toEqual([11_000, true]);
  });
});

describe('history helpers', () => {
  it('counts the filters set', () => {
    expect(activeFilters(emptyQuery())).toBe(0);
    expect(activeFilters({ ...emptyQuery(), text: '  ', status: 'rma', from: '2026-01-01', descending: false })).toBe(2);
  });

  it('puts gridlines on round numbers only', () => {
    expect(axisTicks(0)).toEqual([0, 1]);
    expect(axisTicks(3)).toEqual([0, 1, 2, 3]);
    // Not 13 and 38 (quarters of 50).
    expect(axisTicks(50)).toEqual([0, 20, 40, 60]);
    expect(axisTicks(180)).toEqual([0, 50, 100, 150, 200]);
    expect(axisTicks(49_000)).toEqual([0, 20_000, 40_000, 60_000]);
    // Money in minor units: never a fraction of a yuan (CN¥0.0025).
    expect(axisTicks(1, 100)).toEqual([0, 100]);
    expect(axisTicks(1_234_567, 100)).toEqual([0, 500_000, 1_000_000, 1_500_000]);
  });

  it('sums money per currency', () => {
    expect(totalsByCurrency([
      { minor: 100, currency: 'USD' }, { minor: 250, currency: 'CNY' }, { minor: 5, currency: 'USD' },
    ])).toEqual([{ minor: 250, currency: 'CNY' }, { minor: 105, currency: 'USD' }]);
  });

  it('says short turnarounds in hours and long ones in days', () => {
    expect(durationParts(5.25)).toEqual({ value: '5.3', unit: 'hours' });
    expect(durationParts(30)).toEqual({ value: '30', unit: 'hours' });
    expect(durationParts(84)).toEqual({ value: '3.5', unit: 'days' });
  });
});
