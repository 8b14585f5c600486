import { describe, expect, it } from 'vitest';
import { catalogs, LOCALES, translate } from './i18n.svelte';
import { en } from './i18n/en';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('message catalogs', () => {
  it('translate every key into every language, with the same placeholders', () => {
    const keys = Object.keys(en).sort();
    for (const locale of LOCALES) {
      const catalog = catalogs[locale];
      expect(Object.keys(catalog).sort()).toEqual(keys);
      for (const key of keys as (keyof typeof en)[]) {
        expect(catalog[key].trim(), `${locale} ${key}`).not.toBe('');
        expect(placeholders(catalog[key]), `${locale} ${key}`).toEqual(placeholders(en[key]));
      }
    }
  });

  it('really is Chinese where it should be', () => {
    expect(translate('zh-CN', 'intake.title')).toBe('收取 GPU');
    expect(translate('zh-CN', 'status.burn_in')).toBe('老化测试');
  });

  it('fills placeholders and leaves missing ones visible', () => {
    expect(translate('en', 'intake.created', { ticket: 'RV-2026-000001' })).toBe('Job RV-2026-000001 created.');
    expect(translate('en', 'intake.created')).toBe('Job {ticket} created.');
  });
});
