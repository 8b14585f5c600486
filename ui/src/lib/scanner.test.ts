import { describe, expect, it } from 'vitest';
import { cleanScan, endsScan } from './scanner';

describe('barcode scanner input', () => {
  it('drops what scanners add around the code but keeps the code as printed', () => {
    expect(cleanScan(' 1654922012345\r\n')).toBe('1654922012345');
    expect(cleanScan('\t1654922012345\t')).toBe('1654922012345');
    expect(cleanScan('1654 922')).toBe('1654 922');
    expect(cleanScan('１６５４９２２０１２３４５　')).toBe('1654922012345');
  });

  it('treats a plain Enter as the end of a scan, not Ctrl+Enter or IME confirmation', () => {
    const key = (over: Partial<KeyboardEvent>) => ({ key: 'Enter', ctrlKey: false, metaKey: false, isComposing: false, ...over });
    expect(endsScan(key({}))).toBe(true);
    expect(endsScan(key({ ctrlKey: true }))).toBe(false);
    expect(endsScan(key({ isComposing: true }))).toBe(false);
    expect(endsScan(key({ key: 'a' }))).toBe(false);
  });
});
