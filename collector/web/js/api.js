// Every call the UI makes goes through here, to the collector's JSON API
// (the same one scripts use). The CSRF token of the login is kept in memory
// (and read again from GET /api/v1/session after a reload) and sent on every
// state-changing call; a 401 from any call hands control back to the login.
let csrf = null;
let unauthorized = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || 'HTTP ' + status);
    this.status = status;
    this.body = body;
  }
}

export function setCsrf(token) {
  csrf = token || null;
}

export function onUnauthorized(fn) {
  unauthorized = fn;
}

// api('GET', '/api/v1/alerts?limit=50') -> parsed JSON; throws ApiError.
// A body is sent as JSON, or as it is with {text: true} (a rule set).
export async function api(method, path, body, { quiet401 = false, text = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = text ? 'text/plain; charset=utf-8' : 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : text ? body : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  let data = null;
  try {
    data = await r.json();
  } catch (_) {
    /* no JSON body */
  }
  if (r.status === 401 && !quiet401) unauthorized();
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}
