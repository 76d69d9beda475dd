// The SVG charts: the period's usage against the limit, and the forecast with its band.

import { $, el, svg } from './dom.js';
import { fmtDate, fmtDay, fmtNumber, fmtPercent, fmtMoney, fmtPeriod, num } from './format.js';

// drawn keeps what the charts show, to draw them again when the width changes.
const drawn = { trend: null, forecast: null };

// redrawCharts draws the charts again when their container's width changed.
export function redrawCharts() {
  const svgNow = $('trend-chart').querySelector('svg');
  if (!svgNow || Number(svgNow.dataset.width) === chartBox($('trend-chart')).w) return;
  if (drawn.trend) renderTrend(...drawn.trend);
  if (drawn.forecast) renderForecast(...drawn.forecast);
}

// forgetCharts clears the charts, their text and tables.
export function forgetCharts() {
  drawn.trend = null;
  drawn.forecast = null;
  for (const id of ['trend-chart', 'trend-table', 'forecast-chart', 'forecast-table']) $(id).replaceChildren();
  for (const id of ['trend-text', 'forecast-text']) $(id).textContent = '';
}

// chartBox is the drawing area of a chart in its container: as wide as the
// container in CSS pixels, so that its text keeps its size on a phone.
function chartBox(container) {
  const w = Math.max(280, Math.round(container.clientWidth || 640));
  return { w, h: w < 480 ? 220 : 260, left: 48, right: 20, top: 16, bottom: 32 };
}

// niceMax rounds a chart's top up to 1, 2, 2.5 or 5 times a power of ten.
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function scales(box, x0, x1, yMax) {
  const { w, h, left, right, top, bottom } = box;
  return {
    x: (t) => left + ((t - x0) / (x1 - x0 || 1)) * (w - left - right),
    y: (v) => h - bottom - (v / yMax) * (h - top - bottom),
  };
}

function axes(box, sx, sy, x0, x1, yMax) {
  const { w, h, left, right, bottom } = box;
  const g = svg('g', { 'aria-hidden': 'true' });
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    g.append(svg('line', { class: 'axis', x1: left, x2: w - right, y1: sy(v), y2: sy(v) }),
      svg('text', { x: left - 6, y: sy(v) + 4, 'text-anchor': 'end', text: fmtNumber(v) }));
  }
  const day = 86400000;
  const days = Math.max(1, Math.round((x1 - x0) / day));
  // A date label takes about 60 pixels: a tick every day, two days or week.
  const fit = Math.max(1, Math.floor((w - left - right) / 60));
  const every = [1, 2, 7, 14].find((n) => days / n <= fit) || 14;
  let lastCentre = -Infinity;
  for (let t = x0; t <= x1; t += every * day) {
    const x = sx(t);
    const anchor = x > w - right - 24 ? 'end' : 'middle';
    const centre = anchor === 'end' ? x - 24 : x;
    if (centre - lastCentre < 56) continue; // it would overlap the label before
    lastCentre = centre;
    g.append(svg('text', { x, y: h - bottom + 18, 'text-anchor': anchor, text: fmtDay(new Date(t)) }));
  }
  return g;
}

// renderTrend draws the period's cumulative usage (or the level, for gauges) up to
// now, and the quota's limit across the whole period.
export function renderTrend(t, quota) {
  drawn.trend = [t, quota];
  const container = $('trend-chart');
  const box = chartBox(container);
  const cumulative = !t.aggregation || t.aggregation === 'sum' || t.aggregation === 'count';
  const x0 = Date.parse(t.period.start);
  const x1 = Date.parse(t.period.end);
  const points = [];
  let running = 0;
  const rows = [];
  for (const p of t.series) {
    const v = num(p.value);
    running = cumulative ? running + v : v;
    const start = Date.parse(p.start);
    const end = Math.min(start + 86400000, x1);
    points.push([Math.min(end, Date.now()), running]);
    rows.push([fmtDate(p.start), fmtNumber(v), fmtNumber(running)]);
  }
  const limit = quota && !quota.unlimited ? num(quota.limit) : null;
  const top = niceMax(Math.max(limit || 0, ...points.map((p) => p[1])) * 1.1);
  const { x: sx, y: sy } = scales(box, x0, x1, top);
  const unit = quota && quota.unit ? ' ' + quota.unit : '';

  const titleId = 'trend-title';
  const chart = svg('svg', {
    viewBox: `0 0 ${box.w} ${box.h}`, 'data-width': box.w, role: 'img',
    'aria-labelledby': titleId, 'aria-describedby': 'trend-text',
  }, svg('title', { id: titleId, text: (cumulative ? 'Cumulative ' : '') + t.metric + ' this period' + (limit !== null ? ' against its limit' : '') }),
  axes(box, sx, sy, x0, x1, top));
  if (points.length) {
    const line = [[x0, cumulative ? 0 : points[0][1]], ...points];
    const d = line.map(([x, y], i) => (i ? 'L' : 'M') + sx(x).toFixed(1) + ' ' + sy(y).toFixed(1)).join(' ');
    const last = line[line.length - 1];
    chart.append(
      svg('path', { class: 'usage-area', d: d + ` L${sx(last[0]).toFixed(1)} ${sy(0)} L${sx(x0)} ${sy(0)} Z` }),
      svg('path', { class: 'usage-line', d, 'data-last-value': last[1] }));
  }
  if (limit !== null) {
    chart.append(
      svg('line', { class: 'limit-line', x1: sx(x0), x2: sx(x1), y1: sy(limit), y2: sy(limit), 'data-limit': limit }),
      svg('text', { class: 'limit-label', x: sx(x1) - 4, y: sy(limit) - 6, 'text-anchor': 'end', text: 'Limit ' + fmtNumber(limit) }));
  }
  container.replaceChildren(chart);

  let text = `${t.metric}: ${t.total}${unit} used this period (${fmtPeriod(t.period)})`;
  if (limit !== null) text += `, ${fmtPercent(num(quota.percent))} of the limit of ${quota.limit}${unit}`;
  text += '.';
  if (t.peak && t.series.length) text += ` The busiest day was ${fmtDate(t.peak.start)} with ${t.peak.value}${unit}.`;
  if (t.has_change) text += ` The previous period's total was ${t.previous_total}${unit}, ${num(t.change_percent) >= 0 ? 'up' : 'down'} ${fmtPercent(Math.abs(num(t.change_percent)))} so far.`;
  $('trend-text').textContent = text;
  $('trend-text').dataset.total = t.total;

  $('trend-table').replaceChildren(
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Day' }), el('th', { scope: 'col', class: 'num', text: 'Usage' }),
      el('th', { scope: 'col', class: 'num', text: cumulative ? 'Cumulative' : 'Level' }))),
    el('tbody', {}, ...rows.map(([d, v, c]) => el('tr', {}, el('th', { scope: 'row', text: d }),
      el('td', { class: 'num', text: v }), el('td', { class: 'num', text: c })))));
}

// renderForecast draws each step's forecast with its 80 % band.
export function renderForecast(f, quota) {
  drawn.forecast = [f, quota];
  const container = $('forecast-chart');
  const box = chartBox(container);
  const pts = f.points.map((p) => ({
    start: Date.parse(p.start), end: Date.parse(p.end),
    value: num(p.value), lo: num(p.lower80), hi: num(p.upper80),
  }));
  const unit = quota && quota.unit ? ' ' + quota.unit : '';
  if (!pts.length) {
    $('forecast-chart').replaceChildren();
    $('forecast-text').textContent = 'No forecast steps.';
    return;
  }
  const x0 = pts[0].start;
  const x1 = pts[pts.length - 1].end;
  const top = niceMax(Math.max(...pts.map((p) => p.hi), ...pts.map((p) => p.value)) * 1.1);
  const { x: sx, y: sy } = scales(box, x0, x1, top);
  const mid = (p) => sx((p.start + p.end) / 2).toFixed(1);
  const band = [...pts.map((p) => mid(p) + ',' + sy(Math.max(p.hi, 0)).toFixed(1)),
    ...pts.slice().reverse().map((p) => mid(p) + ',' + sy(Math.max(p.lo, 0)).toFixed(1))].join(' ');
  const line = pts.map((p, i) => (i ? 'L' : 'M') + mid(p) + ' ' + sy(p.value).toFixed(1)).join(' ');
  container.replaceChildren(svg('svg', {
    viewBox: `0 0 ${box.w} ${box.h}`, 'data-width': box.w, role: 'img', 'aria-labelledby': 'forecast-title', 'aria-describedby': 'forecast-text',
  }, svg('title', { id: 'forecast-title', text: `Forecast of ${f.metric} per ${f.step} with its 80 % band` }),
  axes(box, sx, sy, x0, x1, top),
  svg('polygon', { class: 'band', points: band }),
  svg('path', { class: 'forecast-line', d: line })));

  let text = `Forecast of ${f.metric} per ${f.step} by ${f.model}, with an 80 % band.`;
  const q = f.quota;
  if (q) {
    text += ` Expected by the end of the period: ${fmtNumber(q.expected_usage)}${unit} of a limit of ${q.limit}${unit}` +
      `; the chance of passing the limit is ${fmtPercent(num(q.exceed_probability) * 100)}.`;
    if (q.allow_overage && num(q.expected_overage) > 0) {
      text += ` Expected overage: ${fmtNumber(q.expected_overage)}${unit}, costing about ${fmtMoney(q.expected_cost)}.`;
    }
  } else {
    text += ' This metric has no limit.';
  }
  $('forecast-text').textContent = text;

  $('forecast-table').replaceChildren(
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Step' }), el('th', { scope: 'col', class: 'num', text: 'Forecast' }),
      el('th', { scope: 'col', class: 'num', text: '80 % band' }))),
    el('tbody', {}, ...pts.map((p) => el('tr', {}, el('th', { scope: 'row', text: fmtDate(new Date(p.start).toISOString()) }),
      el('td', { class: 'num', text: fmtNumber(p.value) }),
      el('td', { class: 'num', text: fmtNumber(p.lo) + ' – ' + fmtNumber(p.hi) })))));
}
