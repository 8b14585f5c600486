import { describe, expect, it } from 'vitest';
import { errorField, errorText } from './errors';
import { translate, type Locale } from './i18n.svelte';

const tIn = (locale: Locale) => (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) =>
  translate(locale, key, params);

describe('errorText', () => {
  const tooLong = {
    code: 'invalid_input',
    message: 'invalid ConditionNote: TooLong',
    field: 'condition_note',
    problem: { kind: 'too_long', max: 4000 },
  };

  it('names the field and the problem in the technician’s language', () => {
    expect(errorText(tooLong, tIn('en'))).toBe('Condition note: at most 4000 characters');
    expect(errorText(tooLong, tIn('zh-CN'))).toBe('外观备注：最多 4000 个字符');
    expect(errorField(tooLong)).toBe('condition_note');
  });

  it('fills in every limit a range problem carries', () => {
    const quantity = { code: 'invalid_input', message: 'x', field: 'quantity', problem: { kind: 'out_of_range', min: 1, max: 10000 } };
    expect(errorText(quantity, tIn('en'))).toBe('Quantity: between 1 and 10000');
    expect(errorText(quantity, tIn('zh-CN'))).not.toMatch(/[{}]/);
    const photos = { code: 'invalid_input', message: 'x', field: 'photo', problem: { kind: 'too_few', min: 2 } };
    expect(errorText(photos, tIn('en'))).toMatch(/at least 2$/);
    expect(errorText(photos, tIn('zh-CN'))).toContain('2');
  });

  it('translates known codes and falls back for unknown ones', () => {
    expect(errorText({ code: 'illegal_transition', message: 'x' }, tIn('en'))).toContain('cannot move');
    expect(errorText({ code: 'store_too_new', message: 'x' }, tIn('zh-CN'))).toContain('更新版本');
    expect(errorText({ code: 'brand_new', message: 'raw text' }, tIn('en'))).toBe('Something went wrong: raw text');
    expect(errorText('invalid args `form`', tIn('en'))).toBe('Something went wrong: invalid args `form`');
    expect(errorField('plain string')).toBeNull();
  });

  it('says which GPU cannot take a stress test and why, with its numbers', () => {
    const busy = { code: 'stress_not_ready', message: 'x', blocker: { gpu: 3, blocker: { kind: 'other_processes', count: 2 } } };
    expect(errorText(busy, tIn('en'))).toBe(
      'GPU 3 is busy with 2 other programs: close them first, the results would be theirs as much as the card\'s.',
    );
    const full = { code: 'stress_not_ready', message: 'x', blocker: { gpu: 0, blocker: { kind: 'memory_in_use', freeMib: 41559, totalMib: 81559 } } };
    expect(errorText(full, tIn('zh-CN'))).toBe('GPU 0 仅有 41559 MiB / 81559 MiB 空闲：请释放显存，以便测试覆盖整张卡。');
    expect(errorText({ code: 'stress_not_ready', message: 'x' }, tIn('en'))).toContain('cannot take a stress test');
  });

  it('says which precondition is missing when the code has several', () => {
    const notReady = { code: 'certificate_not_ready', message: 'x', reason: 'release_has_critical_findings' };
    expect(errorText(notReady, tIn('en'))).toContain('critical');
    expect(errorText(notReady, tIn('zh-CN'))).toContain('严重');
    const unknownReason = { ...notReady, reason: 'something_new' };
    expect(errorText(unknownReason, tIn('en'))).toBe(errorText({ code: 'certificate_not_ready', message: 'x' }, tIn('en')));
  });
});
