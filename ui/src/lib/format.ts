// Display formatting that depends on the technician's language.
import type { Locale } from './i18n.svelte';
import type { GpuModel, Money } from './api';

export function formatMoney(money: Money, locale: Locale): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency: money.currency }).format(money.minor / 100);
}

export function formatTime(iso: string, locale: Locale): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
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
