// Turns whatever a command rejected with into one translated sentence for the technician. Codes,
// fields, problems and reasons are the generated Rust unions, and the catalogs have a text for
// every member, so no failure the core can send goes untranslated.
import { en, type MessageKey } from './i18n/en';
import type { IpcError } from './api';

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** A rejection from a command; anything else (a bug, a refused argument) is not one. */
export function isIpcError(value: unknown): value is IpcError {
  return typeof value === 'object' && value !== null && typeof (value as IpcError).code === 'string';
}

/** Text the types did not foresee (a reply from another build): said as it came, never as a raw key. */
const inCatalog = (key: string): key is MessageKey => key in en;

export function errorText(error: unknown, t: Translate): string {
  if (!isIpcError(error) || !inCatalog(`error.${error.code}`)) {
    return t('error.unexpected', { message: isIpcError(error) ? error.message : String(error) });
  }
  if (error.code === 'invalid_input' && error.field && error.problem) {
    const { kind, ...limits } = error.problem;
    return t('error.invalid_input', { field: t(`field.${error.field}`), problem: t(`problem.${kind}`, limits) });
  }
  const reason = `error.certificate_not_ready.${error.reason}`;
  if (error.code === 'certificate_not_ready' && inCatalog(reason)) return t(reason);
  if (error.code === 'stress_not_ready' && error.blocker) {
    const { kind, ...detail } = error.blocker.blocker;
    return t(`error.stress_not_ready.${kind}`, { gpu: error.blocker.gpu, ...detail });
  }
  if (error.code === 'unexpected') return t('error.unexpected', { message: error.message });
  return t(`error.${error.code}`, { message: error.message });
}

/** The form field a validation error points at, so the form can focus and mark it. */
export function errorField(error: unknown): string | null {
  return isIpcError(error) && error.code === 'invalid_input' && error.field ? error.field : null;
}
