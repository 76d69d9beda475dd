// The stored reports: download and generate.

import { api, listAll } from './api.js';
import { $, announce, el, loaded, sectionError } from './dom.js';
import { fmtBytes, fmtDate, fmtPeriod, fmtTime } from './format.js';

export async function loadReports() {
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

export async function generateReport(event) {
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

export function defaultReportDates() {
  const today = new Date();
  const from = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
  const to = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1));
  $('report-from').value = from.toISOString().slice(0, 10);
  $('report-to').value = to.toISOString().slice(0, 10);
}
