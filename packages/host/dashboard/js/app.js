// The dashboard: one page, four views chosen by the URL's hash, fed by one event stream.
import { api, connect } from './api.js';
import { jobView } from './job.js';
import { jobsView } from './jobs.js';
import { pluginsView } from './plugins.js';
import { resourcesView } from './resources.js';
import './state.js';

const root = document.getElementById('view');
let cleanup = null;

function route() {
  const hash = location.hash || '#/plugins';
  const [, view, id] = hash.split('/');
  cleanup?.();
  root.replaceChildren();
  for (const a of document.querySelectorAll('nav a'))
    a.classList.toggle('active', a.dataset.view === view || (view === 'jobs' && a.dataset.view === 'jobs'));
  if (view === 'jobs' && id) cleanup = jobView(root, id);
  else if (view === 'jobs') cleanup = jobsView(root);
  else if (view === 'resources') cleanup = resourcesView(root);
  else cleanup = pluginsView(root);
}

window.addEventListener('hashchange', route);
connect(document.getElementById('live'));
route();
api('GET', '/health').then((h) => {
  document.getElementById('host').textContent = `Bulkhead ${h.version} · pid ${h.pid}`;
});

// A queue shared through Redis: the footer names it and its hosts; a banner says when it is down.
const banner = document.getElementById('banner');
const backend = document.getElementById('backend');
async function checkBackend() {
  const { backend: b } = await api('GET', '/hosts').catch(() => ({}));
  if (!b) return;
  backend.textContent = ` · Redis ${b.url} · ${b.hosts.length} host${b.hosts.length === 1 ? '' : 's'}`;
  banner.hidden = b.connected;
  banner.textContent = b.connected
    ? ''
    : `Redis at ${b.url} is unreachable (${b.error ?? 'reconnecting'}): reconnecting…`;
  setTimeout(checkBackend, 3000);
}
checkBackend();
