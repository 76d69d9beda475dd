// How the page shows quantities, money, percentages and times.

export const num = (v) => (typeof v === 'number' ? v : Number(v));

export const fmtPercent = (p) => num(p).toFixed(1) + ' %';

export const fmtMoney = (m) => (m ? m.amount + ' ' + m.currency : '');

const utc = { timeZone: 'UTC' };

export function fmtDate(iso) {
  return new Date(iso).toLocaleDateString('en-GB', { ...utc, day: 'numeric', month: 'short', year: 'numeric' });
}

export function fmtDay(d) {
  return d.toLocaleDateString('en-GB', { ...utc, day: 'numeric', month: 'short' });
}

export function fmtTime(iso) {
  return new Date(iso).toLocaleString('en-GB', { ...utc, dateStyle: 'medium', timeStyle: 'short' }) + ' UTC';
}

// fmtNumber shows a number of a chart or a forecast with at most two decimals.
export function fmtNumber(v) {
  return num(v).toLocaleString('en-GB', { maximumFractionDigits: 2 });
}

export function fmtBytes(n) {
  const v = num(n);
  if (v >= 1 << 20) return (v / (1 << 20)).toFixed(1) + ' MB';
  if (v >= 1024) return (v / 1024).toFixed(1) + ' kB';
  return v + ' bytes';
}

// fmtPeriod shows [start, end) by its first and last days.
export function fmtPeriod(p) {
  return fmtDate(p.start) + ' – ' + fmtDate(new Date(Date.parse(p.end) - 1).toISOString());
}

export function levelOf(percent) {
  if (percent >= 100) return ['level-over', 'limit reached'];
  if (percent >= 90) return ['level-high', 'above 90 %'];
  if (percent >= 80) return ['level-warn', 'above 80 %'];
  return ['level-ok', ''];
}
