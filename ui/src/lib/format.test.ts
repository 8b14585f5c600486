import { describe, expect, it } from 'vitest';
import { evidenceItems, formatClock, formatDate, formatMoney, formatShortTime, formatTime, modelName } from './format';
import { translate } from './i18n.svelte';

describe('formatting', () => {
  it('shows minor units as money in the technician’s locale', () => {
    expect(formatMoney({ minor: 1_200_050, currency: 'CNY' }, 'zh-CN')).toBe('¥12,000.50');
    expect(formatMoney({ minor: 7, currency: 'USD' }, 'en')).toBe('$0.07');
  });

  it('keeps an unparseable timestamp as it is', () => {
    expect(formatTime('not a time', 'en')).toBe('not a time');
    expect(formatShortTime('not a time', 'en')).toBe('not a time');
    expect(formatDate('', 'zh-CN')).toBe('');
  });

  it('shows table times numeric and 24-hour, in the shop’s time zone', () => {
    const at = '2026-03-09T14:05:00.000Z';
    const local = new Date(at);
    const hh = String(local.getHours()).padStart(2, '0');
    const mm = String(local.getMinutes()).padStart(2, '0');
    expect(formatShortTime(at, 'zh-CN')).toContain(`${hh}:${mm}`);
    expect(formatShortTime(at, 'zh-CN')).toMatch(/^2026\/3\/\d+/);
    expect(formatDate(at, 'en')).toMatch(/^03\/\d{2}\/2026$/);
    expect(formatDate(at, 'zh-CN')).toMatch(/^2026\/03\/\d{2}$/);
  });

  it('puts chart times in the 24-hour form of either language', () => {
    const at = Date.UTC(2026, 11, 1, 7, 26, 5) / 1000;
    const local = new Date(at * 1000);
    const hh = String(local.getHours()).padStart(2, '0');
    expect(formatClock(at, 'zh-CN')).toBe(`${hh}:26:05`);
    expect(formatClock(at, 'en')).toBe(`${hh}:26:05`);
  });

  it('names models from the catalogue and translates "other"', () => {
    const models = [{ id: 'h20-96gb', name: 'H20 96GB', architecture: 'hopper', formFactor: 'sxm', memoryGib: 96, pciDeviceIds: [], cooling: 'passive', memoryBandwidth: null }];
    expect(modelName(models, 'h20-96gb', () => 'x')).toBe('H20 96GB');
    expect(modelName(models, 'other', () => '其他型号')).toBe('其他型号');
    expect(modelName(models, 'retired-id', () => 'x')).toBe('retired-id');
  });

  it('shows evidence through the catalogue: names, numbers and flags in the chosen language', () => {
    const evidence = { replays: 12345, inforom_valid: false, expected: ['0x2330'], source: 'nvml_event', brand_new: 'x', gone: null };
    const zh = evidenceItems(evidence, 'zh-CN', (key, params) => translate('zh-CN', key, params));
    expect(zh).toEqual([
      { name: 'PCIe 重传次数', value: '12,345' },
      { name: 'InfoROM 校验通过', value: '否' },
      { name: '应有的 PCI 设备 ID', value: '0x2330' },
      { name: '来源', value: '连接期间的 NVML 事件' },
      { name: 'brand_new', value: 'x' },
    ]);
    const english = evidenceItems({ temperature_c: 91.456 }, 'en', (key, params) => translate('en', key, params));
    expect(english).toEqual([{ name: 'GPU temperature (°C)', value: '91.46' }]);
  });
});
