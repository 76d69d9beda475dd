// The anomalies found in the tenant's usage.

import { listAll } from './api.js';
import { $, el, loaded, sectionError } from './dom.js';
import { fmtNumber, fmtTime } from './format.js';

export async function loadAnomalies() {
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
