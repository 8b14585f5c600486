// Unit symbols for measurement steps (symbols, not words: the same in every language).
const SYMBOLS: Record<string, string> = {
  ohm: 'Ω',
  milliohm: 'mΩ',
  kiloohm: 'kΩ',
  volt: 'V',
  millivolt: 'mV',
  ampere: 'A',
  watt: 'W',
  celsius: '°C',
  mhz: 'MHz',
  percent: '%',
  millimeter: 'mm',
  newton_meter: 'N·m',
  count: '',
  megabytes_per_second: 'MB/s',
};

export function unitSymbol(unit: string): string {
  return SYMBOLS[unit] ?? unit;
}

/** `0.2 – 5 Ω`, `≥ 0.2 Ω`, `≤ 80` */
export function limitsText(min: number | null, max: number | null, unit: string): string {
  const symbol = unitSymbol(unit);
  const withUnit = (text: string) => (symbol ? `${text} ${symbol}` : text);
  if (min !== null && max !== null) return withUnit(`${min} – ${max}`);
  if (min !== null) return withUnit(`≥ ${min}`);
  if (max !== null) return withUnit(`≤ ${max}`);
  return '';
}

/** `1:05`, `12:00`, `1:02:03` */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}
