// Turns whatever a command rejected with into one translated sentence for the technician.
import type { MessageKey } from './i18n/en';
import { en } from './i18n/en';
import type { IpcError } from './api';

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

function isIpcError(value: unknown): value is IpcError {
  return typeof value === 'object' && value !== null && typeof (value as IpcError).code === 'string';
}

function known(key: string): key is MessageKey {
  return key in en;
}

export function errorText(error: unknown, t: Translate): string {
  if (!isIpcError(error)) {
    return t('error.unexpected', { message: String(error) });
  }
  if (error.code === 'invalid_input' && error.field && error.problem) {
    const fieldKey = `field.${error.field}`;
    const problemKey = `problem.${error.problem.kind}`;
    if (known(fieldKey) && known(problemKey)) {
      const { kind: _kind, ...limits } = error.problem;
      return t('error.invalid_input', { field: t(fieldKey), problem: t(problemKey, limits) });
    }
  }
  const reasonKey = `error.${error.code}.${error.reason ?? ''}`;
  if (error.reason && known(reasonKey)) return t(reasonKey);
  const codeKey = `error.${error.code}`;
  return known(codeKey) ? t(codeKey) : t('error.unexpected', { message: error.message });
}

/** The form field a validation error points at, so the form can focus and mark it. */
export function errorField(error: unknown): string | null {
  return isIpcError(error) && error.code === 'invalid_input' && error.field ? error.field : null;
}
