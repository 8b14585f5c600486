import { describe, expect, it } from 'vitest';
import { formatMoney, formatTime, modelName } from './format';

describe('formatting', () => {
  it('shows minor units as money in the technician’s locale', () => {
    expect(formatMoney({ minor: 1_200_050, currency: 'CNY' }, 'zh-CN')).toBe('¥12,000.50');
    expect(formatMoney({ minor: 7, currency: 'USD' }, 'en')).toBe('$0.07');
  });

  it('keeps an unparseable timestamp as it is', () => {
    expect(formatTime('not a time', 'en')).toBe('not a time');
  });

  it('names models from the catalogue and translates "other"', () => {
    const models = [{ id: 'h20-96gb', name: 'H20 96GB', architecture: 'hopper', form_factor: 'sxm', memory_gib: 96, pci_device_ids: [], cooling: 'passive' }];
    expect(modelName(models, 'h20-96gb', () => 'x')).toBe('H20 96GB');
    expect(modelName(models, 'other', () => '其他型号')).toBe('其他型号');
    expect(modelName(models, 'retired-id', () => 'x')).toBe('retired-id');
  });
});
