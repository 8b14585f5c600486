import { describe, expect, it } from 'vitest';
import { duration, limitsText, unitSymbol } from './units';

describe('measurement display', () => {
  it('shows limits with unit symbols', () => {
    expect(limitsText(0.2, 5, 'ohm')).toBe('0.2 – 5 Ω');
    expect(limitsText(0.2, null, 'ohm')).toBe('≥ 0.2 Ω');
    expect(limitsText(null, 80, 'count')).toBe('≤ 80');
    expect(unitSymbol('unknown_unit')).toBe('unknown_unit');
  });

  it('shows step times as a clock', () => {
    expect(duration(65)).toBe('1:05');
    expect(duration(3723)).toBe('1:02:03');
    expect(duration(-3)).toBe('0:00');
  });
});
