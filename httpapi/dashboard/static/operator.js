// The operator's view: the top consumers of a metric.

import { listAll } from './api.js';
import { $, el, loaded, sectionError } from './dom.js';
import { fmtMoney, fmtPercent } from './format.js';

export async function loadTop(event) {
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
