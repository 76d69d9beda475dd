// The usage dashboard. It signs in with an API key kept in sessionStorage, calls the
// REST API relative to the page (../v1/…) with an Authorization header, and draws
// its charts as SVG. Every section loads on its own, so one failing call leaves the
// others readable; a section marks itself data-loaded once it shows its data.

import { loadAlerts } from './alerts.js';
import { loadAnomalies } from './anomalies.js';
import { getJSON, session } from './api.js';
import { forgetCharts, redrawCharts, renderForecast, renderTrend } from './charts.js';
import { $, announce, loaded, sectionError } from './dom.js';
import { loadTop } from './operator.js';
import { renderSummary } from './quotas.js';
import { defaultReportDates, generateReport, loadReports } from './reports.js';

const KEY_STORAGE = 'usage.apiKey';

// summary is the signed-in tenant's latest summary: the charts draw its limits.
let summary = null;

async function signIn(key) {
  session.key = key;
  $('sign-in-error').textContent = '';
  let who;
  try {
    who = await getJSON('whoami');
  } catch (err) {
    session.key = '';
    sessionStorage.removeItem(KEY_STORAGE);
    $('sign-in-error').textContent = err.status === 401 ? 'That API key was not accepted.' : err.message;
    return;
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  session.onRejected = () => signOut('Your API key was not accepted any more; sign in again.');
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
  session.key = '';
  session.onRejected = null;
  summary = null;
  forgetCharts();
  for (const id of ['tenant-view', 'operator-view']) {
    const view = $(id);
    view.hidden = true;
    for (const s of view.querySelectorAll('section')) delete s.dataset.loaded;
  }
  for (const id of ['quotas', 'alerts', 'metric', 'anomalies', 'reports', 'top']) $(id).replaceChildren();
  for (const id of ['period', 'overage-total', 'alerts-count']) $(id).textContent = '';
  $('session').hidden = true;
  $('sign-in-section').hidden = false;
  announce(message || 'Signed out.');
  $('api-key').focus();
}

async function loadTenant() {
  // The alerts load after the forecast, which may raise one.
  await Promise.all([loadSummary().then(loadMetric).then(loadAlerts), loadAnomalies(), loadReports()]);
}

async function loadSummary() {
  sectionError('quotas-section', null);
  try {
    const s = await getJSON('summary');
    summary = s;
    renderSummary(s);
    loaded('quotas-section');
  } catch (err) {
    sectionError('quotas-section', err);
  }
}

function quotaOf(metric) {
  return summary && summary.quotas.find((q) => q.metric === metric);
}

async function loadMetric() {
  const metric = $('metric').value;
  if (!metric) return;
  await Promise.all([loadTrend(metric), loadForecast(metric)]);
}

async function loadTrend(metric) {
  sectionError('trend-section', null);
  delete $('trend-section').dataset.loaded;
  try {
    const t = await getJSON('trends/' + encodeURIComponent(metric), { step: 'day' });
    if ($('metric').value !== metric) return;
    renderTrend(t, quotaOf(metric));
    loaded('trend-section');
  } catch (err) {
    for (const id of ['trend-chart', 'trend-table']) $(id).replaceChildren();
    $('trend-text').textContent = '';
    sectionError('trend-section', err);
  }
}

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

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('api-key').value.trim();
  if (key) signIn(key);
});
$('sign-out').addEventListener('click', () => signOut());
$('metric').addEventListener('change', loadMetric);
$('report-form').addEventListener('submit', generateReport);
$('top-form').addEventListener('submit', loadTop);
window.addEventListener('resize', redrawCharts);
defaultReportDates();

const saved = sessionStorage.getItem(KEY_STORAGE);
if (saved) signIn(saved);
else $('api-key').focus();
