// Settings travel back to the core as a form; this builds one from what the core last returned.
import type { Settings, SettingsForm } from './api';

export function settingsForm(settings: Settings, changes: Partial<SettingsForm> = {}): SettingsForm {
  return {
    shopName: settings.shopName,
    shopAddress: settings.shopAddress,
    language: settings.language,
    technicians: [...settings.technicians],
    currentTechnician: settings.currentTechnician ?? '',
    laborRate: settings.laborRate ? (settings.laborRate.minor / 100).toFixed(2) : '',
    laborCurrency: settings.laborRate?.currency ?? 'CNY',
    labelSize: settings.labelSize,
    ...changes,
  };
}
