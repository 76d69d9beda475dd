// Calls of the REST API, relative to the page (../v1/…), with the signed-in key.

// session is who calls: the API key, and what to do when the API stops
// accepting it.
export const session = { key: '', onRejected: null };

export class APIError extends Error {
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

export async function api(path, { method = 'GET', params, body } = {}) {
  // A section still loading when the user signs out asks no more, and an answer
  // that comes after the sign-out is dropped, never shown to the next user.
  const key = session.key;
  const signedOut = () => new APIError(401, { detail: 'Signed out.' });
  if (!key) throw signedOut();
  const headers = { Authorization: 'Bearer ' + key, Accept: 'application/json' };
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(apiURL(path, params), init);
  if (session.key !== key) throw signedOut();
  if (!res.ok) {
    let problem = {};
    try { problem = await res.json(); } catch { /* not a problem document */ }
    if (res.status === 401 && session.onRejected) session.onRejected();
    throw new APIError(res.status, problem);
  }
  return res;
}

export async function getJSON(path, params) {
  return (await api(path, { params })).json();
}

// listAll reads every page of a list, up to max items.
export async function listAll(path, params, max = 500) {
  const items = [];
  let cursor = '';
  do {
    const page = await getJSON(path, { ...params, cursor, limit: 100 });
    items.push(...(page.items || []));
    cursor = page.next_cursor || '';
  } while (cursor && items.length < max);
  return items;
}
