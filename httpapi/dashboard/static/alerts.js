// The alerts to acknowledge.

import { api, listAll } from './api.js';
import { $, announce, el, loaded, sectionError } from './dom.js';
import { fmtTime } from './format.js';

export function renderAlertCount(n) {
  $('alerts-count').textContent = n === 1 ? '1 alert to acknowledge.' : n + ' alerts to acknowledge.';
}

export async function loadAlerts() {
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
