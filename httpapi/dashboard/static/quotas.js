// The summary: quotas as progress bars, and the overage cost so far.

import { renderAlertCount } from './alerts.js';
import { $, el } from './dom.js';
import { fmtMoney, fmtPercent, fmtPeriod, levelOf, num } from './format.js';

export function renderSummary(s) {
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
