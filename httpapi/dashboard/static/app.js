// The usage dashboard. It signs in with an API key kept in sessionStorage, calls the
// REST API relative to the page (../v1/…) with an Authorization header, and draws
// its charts as SVG. Every section loads on its own, so one failing call leaves the
// others readable; a section marks itself data-loaded once it shows its data.
'use strict';

(() => {
  const KEY_STORAGE = 'usage.apiKey';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  // trend and forecast keep what the charts show, to draw them again when the
  // window's width changes.
  const state = { key: '', whoami: null, summary: null, trend: null, forecast: null };

  const $ = (id) => document.getElementById(id);

  // el makes an HTML element: attrs are attributes ("text" sets the text content),
  // children are appended.
  function el(tag, attrs, ...children) {
    return build(document.createElement(tag), attrs, children);
  }

  function svg(tag, attrs, ...children) {
    return build(document.createElementNS(SVG_NS, tag), attrs, children);
  }

  function build(node, attrs, children) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  // ---- API ----

  class APIError extends Error {
    constructor(status, problem) {
      let msg = problem.detail || problem.title || 'The server answered ' + status + '.';
      if (problem.errors) msg += ' ' + Object.entries(problem.errors).map(([f, m]) => f + ': ' + m).join('; ');
      super(msg);
      this.status = status;
    }
  }

  function apiURL(path, params) {
    const url = new URL('../v1/' + path, location.href);
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
    }
    return url;
  }

  async function api(path, { method = 'GET', params, body } = {}) {
    const headers = { Authorization: 'Bearer ' + state.key, Accept: 'application/json' };
    const init = { method, headers };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(apiURL(path, params), init);
    if (!res.ok) {
      let problem = {};
      try { problem = await res.json(); } catch { /* not a problem document */ }
      if (res.status === 401 && state.whoami) signOut('Your API key was not accepted any more; sign in again.');
      throw new APIError(res.status, problem);
    }
    return res;
  }

  async function getJSON(path, params) {
    return (await api(path, { params })).json();
  }

  // listAll reads every page of a list, up to max items.
  async function listAll(path, params, max = 500) {
    const items = [];
    let cursor = '';
    do {
      const page = await getJSON(path, { ...params, cursor, limit: 100 });
      items.push(...(page.items || []));
      cursor = page.next_cursor || '';
    } while (cursor && items.length < max);
    return items;
  }

  // ---- formatting ----

  const num = (v) => (typeof v === 'number' ? v : Number(v));
  const fmtPercent = (p) => num(p).toFixed(1) + ' %';
  const fmtMoney = (m) => (m ? m.amount + ' ' + m.currency : '');
  const utc = { timeZone: 'UTC' };

  function fmtDate(iso) {
    return new Date(iso).toLocaleDateString('en-GB', { ...utc, day: 'numeric', month: 'short', year: 'numeric' });
  }

  function fmtDay(d) {
    return d.toLocaleDateString('en-GB', { ...utc, day: 'numeric', month: 'short' });
  }

  function fmtTime(iso) {
    return new Date(iso).toLocaleString('en-GB', { ...utc, dateStyle: 'medium', timeStyle: 'short' }) + ' UTC';
  }

  // fmtNumber shows a number of a chart or a forecast with at most two decimals.
  function fmtNumber(v) {
    return num(v).toLocaleString('en-GB', { maximumFractionDigits: 2 });
  }

  function fmtBytes(n) {
    const v = num(n);
    if (v >= 1 << 20) return (v / (1 << 20)).toFixed(1) + ' MB';
    if (v >= 1024) return (v / 1024).toFixed(1) + ' kB';
    return v + ' bytes';
  }

  // fmtPeriod shows [start, end) by its first and last days.
  function fmtPeriod(p) {
    return fmtDate(p.start) + ' – ' + fmtDate(new Date(Date.parse(p.end) - 1).toISOString());
  }

  function levelOf(percent) {
    if (percent >= 100) return ['level-over', 'limit reached'];
    if (percent >= 90) return ['level-high', 'above 90 %'];
    if (percent >= 80) return ['level-warn', 'above 80 %'];
    return ['level-ok', ''];
  }

  function sectionError(section, err) {
    const box = $(section).querySelector('[data-error]');
    box.textContent = err ? err.message : '';
  }

  function loaded(section) {
    $(section).dataset.loaded = 'true';
  }

  function announce(text) {
    $('status').textContent = text;
  }

  // ---- sign-in ----

  async function signIn(key) {
    state.key = key;
    $('sign-in-error').textContent = '';
    let who;
    try {
      who = await getJSON('whoami');
    } catch (err) {
      state.key = '';
      sessionStorage.removeItem(KEY_STORAGE);
      $('sign-in-error').textContent = err.status === 401 ? 'That API key was not accepted.' : err.message;
      return;
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    state.whoami = who;
    $('api-key').value = '';
    $('sign-in-section').hidden = true;
    $('session').hidden = false;
    $('who').textContent = 'Signed in as ' + (who.name || who.subject) + (who.operator ? ' (operator)' : '');
    if (who.operator) {
      $('operator-view').hidden = false;
      $('top-heading').focus();
      await loadTop();
    } else {
      $('tenant-view').hidden = false;
      $('quotas-heading').focus();
      await loadTenant();
    }
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY_STORAGE);
    state.key = '';
    state.whoami = null;
    state.summary = null;
    state.trend = null;
    state.forecast = null;
    for (const id of ['tenant-view', 'operator-view']) {
      const view = $(id);
      view.hidden = true;
      for (const s of view.querySelectorAll('section')) delete s.dataset.loaded;
    }
    for (const id of ['quotas', 'alerts', 'metric', 'trend-chart', 'trend-table', 'forecast-chart',
      'forecast-table', 'anomalies', 'reports', 'top']) $(id).replaceChildren();
    for (const id of ['period', 'overage-total', 'alerts-count', 'trend-text', 'forecast-text']) $(id).textContent = '';
    $('session').hidden = true;
    $('sign-in-section').hidden = false;
    announce(message || 'Signed out.');
    $('api-key').focus();
  }

  // ---- tenant view ----

  async function loadTenant() {
    // The alerts load after the forecast, which may raise one.
    await Promise.all([loadSummary().then(loadMetric).then(loadAlerts), loadAnomalies(), loadReports()]);
  }

  async function loadSummary() {
    sectionError('quotas-section', null);
    try {
      const s = await getJSON('summary');
      state.summary = s;
      renderSummary(s);
      loaded('quotas-section');
    } catch (err) {
      sectionError('quotas-section', err);
    }
  }

  function renderSummary(s) {
    $('period').textContent = 'Plan ' + s.plan + ', billing period ' + fmtPeriod(s.period);
    $('quotas').replaceChildren(...s.quotas.map(renderQuota));
    $('overage-total').textContent = 'Overage cost so far: ' + fmtMoney(s.overage_cost);
    renderAlertCount(s.unacknowledged_alerts);

    const select = $('metric');
    const current = select.value;
    select.replaceChildren(...s.quotas.map((q) => el('option', { value: q.metric, text: q.metric })));
    const limited = s.quotas.filter((q) => !q.unlimited);
    const busiest = limited.sort((a, b) => num(b.percent) - num(a.percent))[0] || s.quotas[0];
    if (s.quotas.some((q) => q.metric === current)) select.value = current;
    else if (busiest) select.value = busiest.metric;
  }

  function renderQuota(q) {
    const id = 'quota-' + q.metric.replace(/[^a-z0-9_-]/gi, '-');
    const unit = q.unit ? ' ' + q.unit : '';
    const item = el('li', { class: 'quota', 'data-metric': q.metric });
    if (q.unlimited) {
      item.append(
        el('h3', { id, text: q.metric }),
        el('p', { class: 'figures' }, el('span', { class: 'used', text: q.used }), unit + ' used, unlimited'));
      return item;
    }
    const percent = num(q.percent);
    const [level, words] = levelOf(percent);
    item.classList.add(level);
    const shown = Math.min(percent, 100);
    const fill = el('div', { class: 'fill' });
    fill.style.width = shown + '%';
    item.append(
      el('h3', { id }, el('span', { text: q.metric }), el('span', { class: 'level', text: words })),
      el('div', {
        class: 'bar', role: 'progressbar', 'aria-labelledby': id,
        'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(shown * 10) / 10,
        'aria-valuetext': fmtPercent(percent) + ' of the limit: ' + q.used + ' of ' + q.limit + unit,
      }, fill),
      el('p', { class: 'figures' },
        el('span', { class: 'used', text: q.used }), ' / ',
        el('span', { class: 'limit', text: q.limit }), unit + ' · ',
        el('span', { class: 'percent', text: fmtPercent(percent) })));
    if (num(q.overage) > 0) {
      item.append(el('p', { class: 'figures' }, 'Overage ', el('span', { class: 'overage', text: q.overage }),
        unit + (q.allow_overage ? ', cost ' : ''), q.allow_overage ? el('span', { class: 'overage-cost', text: fmtMoney(q.overage_cost) }) : ''));
    }
    return item;
  }

  function quotaOf(metric) {
    return state.summary && state.summary.quotas.find((q) => q.metric === metric);
  }

  async function loadMetric() {
    const metric = $('metric').value;
    if (!metric) return;
    await Promise.all([loadTrend(metric), loadForecast(metric)]);
  }

  // ---- trend chart ----

  async function loadTrend(metric) {
    sectionError('trend-section', null);
    delete $('trend-section').dataset.loaded;
    try {
      const t = await getJSON('trends/' + encodeURIComponent(metric), { step: 'day' });
      if ($('metric').value !== metric) return;
      renderTrend(t, quotaOf(metric));
      loaded('trend-section');
    } catch (err) {
      $('trend-chart').replaceChildren();
      sectionError('trend-section', err);
    }
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
    for (let t = x0; t <= x1; t += every * day) {
      const x = sx(t);
      const anchor = x > w - right - 24 ? 'end' : 'middle';
      g.append(svg('text', { x, y: h - bottom + 18, 'text-anchor': anchor, text: fmtDay(new Date(t)) }));
    }
    return g;
  }

  // renderTrend draws the period's cumulative usage (or the level, for gauges) up to
  // now, and the quota's limit across the whole period.
  function renderTrend(t, quota) {
    state.trend = [t, quota];
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

  // ---- forecast ----

  async function loadForecast(metric) {
    sectionError('forecast-section', null);
    delete $('forecast-section').dataset.loaded;
    try {
      const f = await getJSON('forecasts/' + encodeURIComponent(metric));
      if ($('metric').value !== metric) return;
      renderForecast(f, quotaOf(metric));
      loaded('forecast-section');
    } catch (err) {
      for (const id of ['forecast-chart', 'forecast-table']) $(id).replaceChildren();
      $('forecast-text').textContent = '';
      sectionError('forecast-section', err);
    }
  }

  // renderForecast draws each step's forecast with its 80 % band.
  function renderForecast(f, quota) {
    state.forecast = [f, quota];
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

  // ---- alerts ----

  function renderAlertCount(n) {
    $('alerts-count').textContent = n === 1 ? '1 alert to acknowledge.' : n + ' alerts to acknowledge.';
  }

  async function loadAlerts() {
    sectionError('alerts-section', null);
    try {
      const alerts = await listAll('alerts', { acknowledged: 'false' });
      $('alerts').replaceChildren(...alerts.map(renderAlert));
      renderAlertCount(alerts.length);
      loaded('alerts-section');
    } catch (err) {
      sectionError('alerts-section', err);
    }
  }

  function renderAlert(a) {
    const msgId = 'alert-' + a.id;
    const button = el('button', { type: 'button', class: 'secondary', 'aria-describedby': msgId, text: 'Acknowledge' });
    const item = el('li', { class: 'alert', 'data-alert-id': a.id },
      el('div', { class: 'body' },
        el('p', {}, el('span', { class: 'severity severity-' + a.severity, text: a.severity }), ' · ', a.metric),
        el('p', { id: msgId, class: 'message', text: a.message }),
        el('p', { class: 'muted', text: fmtTime(a.created_at) })),
      button);
    button.addEventListener('click', () => acknowledge(a, item, button));
    return item;
  }

  async function acknowledge(a, item, button) {
    button.disabled = true;
    sectionError('alerts-section', null);
    try {
      await api('alerts/' + encodeURIComponent(a.id) + '/acknowledge', { method: 'POST' });
    } catch (err) {
      button.disabled = false;
      sectionError('alerts-section', err);
      return;
    }
    const next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    renderAlertCount($('alerts').children.length);
    announce('Alert acknowledged: ' + a.message);
    if (next) next.querySelector('button').focus();
    else $('alerts-heading').focus();
  }

  // ---- anomalies ----

  async function loadAnomalies() {
    sectionError('anomalies-section', null);
    try {
      const items = await listAll('anomalies', {});
      $('anomalies-empty').hidden = items.length > 0;
      $('anomalies').replaceChildren(
        el('thead', {}, el('tr', {}, ...['Time', 'Metric', 'Value', 'Expected', 'Risk', 'Fraud suspect'].map((h, i) =>
          el('th', { scope: 'col', class: i >= 2 && i <= 4 ? 'num' : null, text: h })))),
        el('tbody', {}, ...items.map((a) => el('tr', { 'data-anomaly-id': a.id },
          el('td', { text: fmtTime(a.at) }), el('td', { text: a.metric }),
          el('td', { class: 'num', text: fmtNumber(a.value) }), el('td', { class: 'num', text: fmtNumber(a.expected) }),
          el('td', { class: 'num', text: String(a.risk) }), el('td', { text: a.fraud_suspect ? 'Yes' : 'No' })))));
      $('anomalies').hidden = items.length === 0;
      loaded('anomalies-section');
    } catch (err) {
      sectionError('anomalies-section', err);
    }
  }

  // ---- reports ----

  async function loadReports() {
    sectionError('reports-section', null);
    try {
      const items = await listAll('reports', {});
      $('reports-empty').hidden = items.length > 0;
      $('reports').hidden = items.length === 0;
      $('reports').replaceChildren(
        el('thead', {}, el('tr', {}, ...['Report', 'Download', 'Created'].map((h) =>
          el('th', { scope: 'col', text: h })))),
        el('tbody', {}, ...items.map(renderReport)));
      loaded('reports-section');
    } catch (err) {
      sectionError('reports-section', err);
    }
  }

  function renderReport(r) {
    const button = el('button', { type: 'button', class: 'secondary', text: 'Download',
      'aria-label': `Download the ${r.type} report ${r.format.toUpperCase()} of ${fmtDate(r.from)}` });
    button.addEventListener('click', () => download(r, button));
    return el('tr', { 'data-report-id': r.id },
      el('td', { class: 'wrap' }, el('span', { class: 'report-kind', text: `${r.type} · ${r.format.toUpperCase()} · ${fmtBytes(r.size)}` }),
        el('br'), fmtPeriod({ start: r.from, end: r.to })),
      el('td', {}, button), el('td', { class: 'wrap', text: fmtTime(r.created_at) }));
  }

  // fileName reads the file name of a Content-Disposition field.
  function fileName(disposition) {
    if (!disposition) return '';
    const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
    if (star) {
      try { return decodeURIComponent(star[1].trim()); } catch { /* fall through */ }
    }
    const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
    return plain ? plain[1].trim() : '';
  }

  // download fetches a report with the Authorization header, which a plain link
  // cannot send, and saves it under the server's file name.
  async function download(r, button) {
    button.disabled = true;
    sectionError('reports-section', null);
    try {
      const res = await api('reports/' + encodeURIComponent(r.id));
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const link = el('a', { href: url, download: fileName(res.headers.get('Content-Disposition')) || r.id + '.' + r.format });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      announce('Report downloaded.');
    } catch (err) {
      sectionError('reports-section', err);
    } finally {
      button.disabled = false;
    }
  }

  async function generateReport(event) {
    event.preventDefault();
    sectionError('reports-section', null);
    const form = event.target;
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      const day = (v) => new Date(v + 'T00:00:00Z').toISOString().replace('.000Z', 'Z');
      await api('reports', { method: 'POST', body: {
        type: form.type.value, format: form.format.value, from: day(form.from.value), to: day(form.to.value),
      } });
      announce('Report generated.');
      await loadReports();
    } catch (err) {
      sectionError('reports-section', err);
    } finally {
      submit.disabled = false;
    }
  }

  function defaultReportDates() {
    const today = new Date();
    const from = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
    const to = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1));
    $('report-from').value = from.toISOString().slice(0, 10);
    $('report-to').value = to.toISOString().slice(0, 10);
  }

  // ---- operator view ----

  async function loadTop(event) {
    if (event) event.preventDefault();
    sectionError('top-section', null);
    delete $('top-section').dataset.loaded;
    const metric = $('top-metric').value.trim();
    try {
      const items = await listAll('admin/top', { metric, by: 'usage' }, 100);
      $('top-empty').hidden = items.length > 0;
      $('top').hidden = items.length === 0;
      $('top').replaceChildren(
        el('caption', { class: 'muted', text: 'Subjects by ' + metric + ' used this period' }),
        el('thead', {}, el('tr', {}, ...['Subject', 'Plan', 'Used', 'Limit', 'Percent', 'Overage cost'].map((h, i) =>
          el('th', { scope: 'col', class: i >= 2 ? 'num' : null, text: h })))),
        el('tbody', {}, ...items.map((s) => el('tr', { 'data-subject': s.subject },
          el('th', { scope: 'row', text: s.subject }), el('td', { text: s.plan || '' }),
          el('td', { class: 'num used', text: s.used }), el('td', { class: 'num', text: s.limit }),
          el('td', { class: 'num', text: fmtPercent(s.percent) }), el('td', { class: 'num', text: fmtMoney(s.overage_cost) })))));
      loaded('top-section');
    } catch (err) {
      sectionError('top-section', err);
    }
  }

  // ---- wiring ----

  $('sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('api-key').value.trim();
    if (key) signIn(key);
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('metric').addEventListener('change', loadMetric);
  $('report-form').addEventListener('submit', generateReport);
  $('top-form').addEventListener('submit', loadTop);
  defaultReportDates();
  window.addEventListener('resize', () => {
    const width = chartBox($('trend-chart')).w;
    const drawn = $('trend-chart').querySelector('svg');
    if (!drawn || Number(drawn.dataset.width) === width) return;
    if (state.trend) renderTrend(...state.trend);
    if (state.forecast) renderForecast(...state.forecast);
  });

  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) signIn(saved);
  else $('api-key').focus();
})();
