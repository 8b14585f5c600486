// The message catalog at run time: the current locale is reactive state, so every `t()` in a
// template re-renders when the technician switches language.
import { en, type MessageKey } from './i18n/en';
import { zhCN } from './i18n/zh-CN';

export type Locale = 'en' | 'zh-CN';
export type Params = Record<string, string | number>;

export const LOCALES: Locale[] = ['en', 'zh-CN'];
export const catalogs: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };

/** Looks `key` up in `locale` and fills `{name}` placeholders; a missing parameter stays visible. */
export function translate(locale: Locale, key: MessageKey, params: Params = {}): string {
  const template = catalogs[locale][key] ?? en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as string[]).includes(value);
}

const current = $state({ locale: 'en' as Locale });

export function locale(): Locale {
  return current.locale;
}

export function setLocale(next: Locale): void {
  current.locale = next;
  document.documentElement.lang = next;
}

export function t(key: MessageKey, params?: Params): string {
  return translate(current.locale, key, params);
}
