// Jobs: a submit form generated from the plugin's input schema; running jobs with live progress;
// pending jobs in run order (drag a row, or move up / down); the durable history with search, filters and
// cursor paging; a cancel button on every live job.
import { ApiError, ago, api, badge, bar, h, on, setBar, throttle } from './api.js';
import { schemaForm } from './forms.js';

const PAGE = 50;

export function jobsView(root) {
  const submitCard = h('div', { class: 'card', 'data-card': 'submit' });
  const running = h('tbody', { 'data-table': 'running' });
  const pending = h('tbody', { 'data-table': 'pending' });
  const history = h('tbody', { 'data-table': 'history' });
  const search = h('input', { type: 'search', placeholder: 'search id, plugin, error…', 'data-search': '', size: 32 });
  const status = h(
    'select',
    { 'data-filter': 'status' },
    ...['', 'completed', 'failed', 'cancelled', 'pending', 'running'].map((s) =>
      h('option', { value: s }, s || 'any status'),
    ),
  );
  const plugin = h('select', { 'data-filter': 'plugin' }, h('option', { value: '' }, 'any plugin'));
  const prev = h('button', { 'data-page': 'prev' }, '‹ Newer');
  const next = h('button', { 'data-page': 'next' }, 'Older ›');
  const pageInfo = h('span', { class: 'muted', 'data-page-info': '' });
  const head = (...cols) => h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', {}, c))));
  root.append(
    h('h2', {}, 'Submit a job'),
    submitCard,
    h('h2', {}, 'Running'),
    h('div', { class: 'card' }, h('table', {}, head('job', 'plugin', 'progress', '', 'started', ''), running)),
    h('h2', {}, 'Pending (in run order)'),
    h('div', { class: 'card' }, h('table', {}, head('#', 'job', 'plugin', 'priority', 'queued', ''), pending)),
    h('h2', {}, 'History'),
    h(
      'div',
      { class: 'card' },
      h(
        'div',
        { class: 'row' },
        search,
        status,
        plugin,
        h('span', { style: 'margin-left:auto' }),
        prev,
        pageInfo,
        next,
      ),
      h('table', { 'data-table-history': '' }, head('job', 'plugin', 'status', 'created', 'took', 'error'), history),
    ),
  );

  const cancel = (id) =>
    h(
      'button',
      {
        class: 'danger',
        'data-cancel': id,
        onclick: async (e) => {
          e.target.disabled = true;
          await api('POST', `/jobs/${id}/cancel`).catch((err) => alert(err.message));
        },
      },
      'Cancel',
    );
  const link = (id) => h('a', { href: `#/jobs/${id}`, class: 'mono', 'data-job-link': id }, id.slice(0, 8));

  // ─── running and pending ───
  const bars = new Map();
  const refreshQueue = async () => {
    const q = await api('GET', '/queue');
    bars.clear();
    running.replaceChildren(
      ...(q.running.length === 0
        ? [h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'nothing running'))]
        : q.running.map((j) => {
            const b = bar(j.progress?.fraction);
            const msg = h('span', { class: 'muted' }, j.progress?.message ?? '');
            bars.set(j.id, { b, msg });
            return h(
              'tr',
              { 'data-job': j.id },
              h('td', {}, link(j.id)),
              h(
                'td',
                {},
                j.plugin,
                j.host ? h('span', { class: 'muted', 'data-host': j.host }, ` on ${j.host}`) : null,
              ),
              h('td', {}, b),
              h('td', {}, msg),
              h('td', {}, ago(j.startedAt)),
              h('td', {}, cancel(j.id)),
            );
          })),
    );
    const move = (j, to) => async () => {
      await api('POST', `/jobs/${j.id}/reorder`, { position: to }).catch((err) => alert(err.message));
      await refreshQueue();
    };
    pending.replaceChildren(
      ...(q.pending.length === 0
        ? [h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'nothing waiting'))]
        : q.pending.map((j, i) =>
            h(
              'tr',
              { 'data-job': j.id, 'data-position': i, draggable: 'true', title: 'drag to change the run order' },
              h('td', { class: 'num' }, i + 1),
              h('td', {}, link(j.id)),
              h('td', {}, j.plugin),
              h('td', { class: 'num' }, j.priority),
              h('td', {}, ago(j.createdAt)),
              h(
                'td',
                { class: 'row' },
                h('button', { onclick: move(j, i - 1), disabled: i === 0, title: 'run sooner' }, '↑'),
                h('button', { onclick: move(j, i + 1), disabled: i === q.pending.length - 1, title: 'run later' }, '↓'),
                cancel(j.id),
              ),
            ),
          )),
    );
  };

  // Drag a pending row onto another: it takes that row's place in the run order (the rows
  // between shift by one), as the same number of ↑/↓ clicks would. Native drag and drop, so the
  // ↑/↓ buttons stay the keyboard way.
  let dragged = null;
  const rowOf = (e) => e.target.closest?.('tr[data-position]');
  pending.addEventListener('dragstart', (e) => {
    const row = rowOf(e);
    if (!row) return;
    dragged = row.dataset.job;
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', dragged);
    row.classList.add('dragging');
  });
  pending.addEventListener('dragover', (e) => {
    const row = rowOf(e);
    if (!row || dragged === null) return;
    e.preventDefault(); // allows the drop
    for (const r of pending.querySelectorAll('.drop-target')) r.classList.remove('drop-target');
    if (row.dataset.job !== dragged) row.classList.add('drop-target');
  });
  pending.addEventListener('dragend', () => {
    dragged = null;
    for (const r of pending.querySelectorAll('.dragging, .drop-target')) r.classList.remove('dragging', 'drop-target');
  });
  pending.addEventListener('drop', async (e) => {
    const row = rowOf(e);
    const id = dragged;
    if (!row || id === null) return;
    e.preventDefault();
    if (row.dataset.job === id) return;
    await api('POST', `/jobs/${id}/reorder`, { position: Number(row.dataset.position) }).catch((err) =>
      alert(err.message),
    );
    await refreshQueue();
  });

  // ─── history ───
  const cursors = [null];
  let page = 0;
  const refreshHistory = async () => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (search.value.trim()) q.set('q', search.value.trim());
    if (status.value) q.set('status', status.value);
    if (plugin.value) q.set('plugin', plugin.value);
    if (cursors[page]) q.set('cursor', cursors[page]);
    const res = await api('GET', `/jobs?${q}`);
    cursors[page + 1] = res.next;
    prev.disabled = page === 0;
    next.disabled = res.next === null;
    pageInfo.textContent = res.jobs.length ? `${page * PAGE + 1}–${page * PAGE + res.jobs.length}` : 'no jobs';
    history.replaceChildren(
      ...res.jobs.map((j) =>
        h(
          'tr',
          { 'data-job': j.id },
          h('td', {}, link(j.id)),
          h('td', {}, j.plugin),
          h('td', {}, badge(j.status)),
          h('td', {}, ago(j.createdAt)),
          h('td', { class: 'num' }, j.startedAt && j.finishedAt ? `${j.finishedAt - j.startedAt} ms` : ''),
          h('td', { class: 'muted' }, j.error ? `${j.error.code}: ${j.error.message}` : ''),
        ),
      ),
    );
  };
  const fromStart = () => {
    page = 0;
    cursors.length = 1;
    void refreshHistory();
  };
  let typing = null;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(fromStart, 250);
  });
  status.addEventListener('change', fromStart);
  plugin.addEventListener('change', fromStart);
  prev.addEventListener('click', () => {
    page = Math.max(0, page - 1);
    void refreshHistory();
  });
  next.addEventListener('click', () => {
    if (cursors[page + 1]) {
      page++;
      void refreshHistory();
    }
  });

  // ─── submit ───
  const renderSubmit = async () => {
    const plugins = (await api('GET', '/plugins')).filter((p) => p.enabled);
    for (const p of plugins) plugin.append(h('option', { value: p.name }, p.name));
    const choose = h(
      'select',
      { 'data-submit-plugin': '' },
      ...plugins.map((p) => h('option', { value: p.name }, p.name)),
    );
    const priority = h('input', {
      type: 'number',
      value: '0',
      step: '1',
      'data-submit-priority': '',
      style: 'width:80px',
    });
    const formBox = h('div');
    const statusEl = h('span', { class: 'form-status', 'data-submit-status': '' });
    let form = null;
    const pick = async () => {
      const { input } = await api('GET', `/plugins/${encodeURIComponent(choose.value)}/schemas`);
      form = schemaForm(input, {}, { idPrefix: 'in' });
      formBox.replaceChildren(
        input
          ? form.el
          : h(
              'div',
              {},
              h('div', { class: 'muted' }, 'This plugin declares no input schema: give its input as JSON.'),
              form.el,
            ),
      );
    };
    choose.addEventListener('change', pick);
    const submit = h('button', { class: 'primary', 'data-submit': '' }, 'Submit');
    submit.addEventListener('click', async () => {
      statusEl.textContent = '';
      statusEl.className = 'form-status';
      const { value, issues } = form.read();
      form.showIssues(issues);
      if (issues.length) return;
      try {
        const { id } = await api('POST', '/jobs', {
          plugin: choose.value,
          input: value,
          options: { priority: Number(priority.value) || 0 },
        });
        statusEl.replaceChildren('submitted ', link(id));
        statusEl.classList.add('ok');
        void refreshQueue();
      } catch (e) {
        if (e instanceof ApiError && Array.isArray(e.data?.issues)) form.showIssues(e.data.issues);
        statusEl.textContent = `${e.code}: ${e.message}`;
        statusEl.classList.add('bad');
      }
    });
    submitCard.replaceChildren(
      h('div', { class: 'row' }, h('label', {}, 'plugin ', choose), h('label', {}, 'priority ', priority)),
      formBox,
      h('div', { class: 'row' }, submit, statusEl),
    );
    if (plugins.length) await pick();
  };

  void renderSubmit();
  void refreshQueue();
  void refreshHistory();
  const queueSoon = throttle(refreshQueue, 250);
  const historySoon = throttle(() => page === 0 && void refreshHistory(), 1000);
  const offs = [
    on('job', () => {
      queueSoon();
      historySoon();
    }),
    on('progress', (p) => {
      const row = bars.get(p.id);
      if (!row) return;
      if (p.fraction !== undefined) setBar(row.b, p.fraction);
      if (p.message !== undefined) row.msg.textContent = p.message;
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
