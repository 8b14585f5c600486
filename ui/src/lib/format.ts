// Display formatting that depends on the technician's language.
import type { Locale } from './i18n.svelte';
import type { EvidenceValue, Finding, GpuModel, Money, ReadingValue } from './api';
import { en, type MessageKey } from './i18n/en';

export function formatMoney(money: Money, locale: Locale): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency: money.currency }).format(money.minor / 100);
}

export function formatTime(iso: string, locale: Locale): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** A time of day on a chart axis, 24-hour with seconds; `epochSeconds` as uPlot counts. */
export function formatClock(epochSeconds: number, locale: Locale): string {
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
    .format(new Date(epochSeconds * 1000));
}

/** Date and time in a table cell: numeric, short. */
export function formatShortTime(iso: string, locale: Locale): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short', hourCycle: 'h23' }).format(date);
}

export function formatDate(iso: string, locale: Locale): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
}

/** The product name of a catalogue model; "other" is the one name that needs translating. */
export function modelName(models: GpuModel[], id: string, t: (key: 'model.other') => string): string {
  if (id === 'other') return t('model.other');
  return models.find((model) => model.id === id)?.name ?? id;
}

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** A reading's value in the chosen language: numbers in its format, yes/no for flags, lists joined. */
export function formatValue(value: EvidenceValue | ReadingValue, locale: Locale, t: Translate): string {
  if (typeof value === 'number') return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value);
  if (typeof value === 'boolean') return t(value ? 'evidence.yes' : 'evidence.no');
  if (Array.isArray(value)) return value.map((item) => formatValue(item, locale, t)).join(', ');
  if (value === null) return '—';
  return value;
}

/** One piece of a finding's evidence as a person reads it: a translated name and a value in the
 * chosen language's number format (yes/no for flags, lists joined). Names the catalogue does not
 * know yet show as they are. */
export function evidenceItems(evidence: Finding['evidence'], locale: Locale, t: Translate): { name: string; value: string }[] {
  const known = (key: string): key is MessageKey => key in en;
  return Object.entries(evidence)
    .filter((entry): entry is [string, Exclude<EvidenceValue, null>] => entry[1] !== null && entry[1] !== undefined)
    .map(([name, value]) => {
      const label = `evidence.${name}`;
      const valueKey = `evidence.${name}.${String(value)}`;
      return {
        name: known(label) ? t(label) : name,
        value: known(valueKey) ? t(valueKey) : formatValue(value, locale, t),
      };
    });
}
