// The page's view of the HTTP API. The token is an HttpOnly cookie this script never sees; the
// browser sends it with every same-origin request.

/** Thrown for an error answer: `code`, `message` and `data` are the server's. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code ?? 'ERR_INTERNAL';
    this.data = error?.data;
  }
}

export async function api(method, path, body) {
  const res = await fetch(`/api${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = res.headers.get('content-type')?.startsWith('application/json') ? await res.json() : null;
  if (!res.ok) throw new ApiError(res.status, json?.error);
  return json;
}

const handlers = new Map();

/** Calls `fn(data, event)` for each live event of `type` ('*' for all); returns an unsubscribe. */
export function on(type, fn) {
  if (!handlers.has(type)) handlers.set(type, new Set());
  handlers.get(type).add(fn);
  return () => handlers.get(type).delete(fn);
}

const TYPES = ['job', 'progress', 'job.log', 'plugin', 'plugin.log', 'resources', 'reset', 'error'];

/** One EventSource for the page; it resumes with Last-Event-ID by itself after a drop. */
export function connect(status) {
  const source = new EventSource('/api/events');
  source.onopen = () => {
    status.textContent = 'live';
    status.classList.add('on');
  };
  source.onerror = () => {
    status.textContent = 'reconnecting…';
    status.classList.remove('on');
  };
  for (const type of TYPES) {
    source.addEventListener(type, (e) => {
      let data = null;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      for (const key of [type, '*']) for (const fn of handlers.get(key) ?? []) fn(data, type);
    });
  }
  return source;
}

// ─── small DOM helpers ───

/** h('td', { class: 'num' }, 'text', child…) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat())
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function badge(state) {
  return h('span', { class: `badge ${state}`, 'data-state': state }, state);
}

export function bar(fraction, done) {
  const pct = Math.max(0, Math.min(1, fraction ?? 0)) * 100;
  const el = h('div', { class: `bar${done ? ' done' : ''}`, role: 'progressbar', 'aria-valuenow': Math.round(pct) });
  const fill = h('span');
  fill.style.width = `${pct}%`;
  el.append(fill);
  return el;
}

export function setBar(el, fraction, done) {
  const pct = Math.max(0, Math.min(1, fraction ?? 0)) * 100;
  el.setAttribute('aria-valuenow', String(Math.round(pct)));
  el.classList.toggle('done', !!done);
  el.firstChild.style.width = `${pct}%`;
}

export function ago(ms) {
  if (!ms) return '';
  const s = Math.round((Date.now() - ms) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return new Date(ms).toLocaleString();
}

export function mb(bytes) {
  return `${(bytes / 1048576).toFixed(0)} MB`;
}

/** Runs `fn` at most once per `ms`, trailing. */
export function throttle(fn, ms) {
  let timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}
