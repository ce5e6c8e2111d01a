// One job: status and live progress, "why isn't this running" (explain), GPU memory used against
// reserved, its timeline, its logs following live, and its result (bytes downloadable) or its
// error with the plugin's stack.
import { api, badge, bar, h, on, setBar, throttle } from './api.js';
import { samples, telemetry } from './state.js';

const LIVE = new Set(['pending', 'running']);

export function jobView(root, id) {
  const title = h('h2', {}, 'Job ', h('span', { class: 'mono' }, id));
  const head = h('div', { class: 'card row', 'data-card': 'job' });
  const why = h('div', { class: 'card why', 'data-card': 'explain', hidden: true });
  const gpu = h('div', { class: 'card', 'data-card': 'gpu', hidden: true });
  const timeline = h('ol', { class: 'timeline', 'data-timeline': '' });
  const logs = h('pre', { class: 'logs', 'data-logs': '' });
  const outcome = h('div', { 'data-card': 'outcome' });
  root.append(
    title,
    head,
    why,
    gpu,
    h(
      'div',
      { class: 'grid' },
      h('div', { class: 'card' }, h('h2', {}, 'Timeline'), timeline),
      h('div', { class: 'card' }, h('h2', {}, 'Logs'), logs),
    ),
    outcome,
  );
  let job = null;
  const progressBar = bar(0);
  const progressMsg = h('span', { class: 'muted', 'data-progress-message': '' });

  const draw = async () => {
    job = await api('GET', `/jobs/${id}`);
    const live = LIVE.has(job.status);
    setBar(progressBar, job.status === 'completed' ? 1 : job.progress?.fraction, job.status === 'completed');
    progressMsg.textContent = job.progress?.message ?? '';
    head.replaceChildren(
      ...[
        h('span', { 'data-job-status': job.status }, badge(job.status)),
        h('span', {}, h('strong', {}, job.plugin)),
        h('span', { class: 'muted' }, `attempt ${job.attempts} of ${job.maxAttempts} · priority ${job.priority}`),
        progressBar,
        progressMsg,
        live
          ? h(
              'button',
              { class: 'danger', 'data-cancel': id, onclick: () => api('POST', `/jobs/${id}/cancel`).then(draw) },
              'Cancel',
            )
          : null,
        !live
          ? h(
              'button',
              {
                'data-retry': id,
                onclick: async () => (location.hash = `#/jobs/${(await api('POST', `/jobs/${id}/retry`)).id}`),
              },
              'Retry',
            )
          : null,
      ].filter(Boolean),
    );
    timeline.replaceChildren(
      ...job.timeline.map((e) =>
        h(
          'li',
          {},
          h('strong', {}, e.type),
          e.attempt ? ` (attempt ${e.attempt})` : '',
          ' ',
          h('span', { class: 'muted' }, new Date(e.at).toLocaleTimeString()),
          e.detail ? h('div', { class: 'muted' }, e.detail) : null,
        ),
      ),
    );
    if (job.status === 'pending') {
      const ex = await api('GET', `/jobs/${id}/explain`);
      why.hidden = false;
      why.replaceChildren(h('strong', {}, "Why isn't this running? "), h('span', { 'data-explain': '' }, ex.message));
    } else why.hidden = true;
    drawOutcome();
    drawGpu();
  };

  const drawOutcome = () => {
    if (job.status === 'completed') {
      const r = job.result;
      const isBytes = r && typeof r === 'object' && typeof r.$bytes === 'string';
      outcome.replaceChildren(
        h(
          'div',
          { class: 'card', 'data-result': '' },
          h('h2', {}, 'Result'),
          isBytes
            ? h(
                'a',
                { href: `/api/jobs/${id}/result`, download: `${id}.bin`, 'data-download': '' },
                `download ${Math.floor((r.$bytes.length * 3) / 4)} bytes`,
              )
            : h('pre', {}, JSON.stringify(r, null, 2)),
        ),
      );
    } else if (job.error) {
      outcome.replaceChildren(
        h(
          'div',
          { class: 'card', 'data-error-card': '' },
          h('h2', {}, 'Error'),
          h('div', {}, h('strong', {}, job.error.code), ' ', job.error.message),
          job.error.data?.stack ? h('pre', {}, job.error.data.stack) : null,
        ),
      );
    } else outcome.replaceChildren();
  };

  // GPU memory its plugin's processes hold, against what the scheduler reserved for the job.
  const drawGpu = () => {
    const res = samples.at(-1)?.resources?.reservations?.find((r) => r.id === id);
    const t = job && telemetry.get(job.plugin);
    const reserved = res?.needs?.gpuMemoryMB ?? 0;
    if (job?.status !== 'running' || (!reserved && !t?.gpuMemoryMB)) {
      gpu.hidden = true;
      return;
    }
    gpu.hidden = false;
    gpu.replaceChildren(
      h('strong', {}, 'GPU memory '),
      `${t?.gpuMemoryMB ?? 0} MB used of ${reserved} MB reserved`,
      res?.gpus?.length ? ` on GPU ${res.gpus.join(', ')}` : '',
    );
  };

  const loadLogs = async () => {
    const entries = await api('GET', `/jobs/${id}/logs?limit=500`);
    logs.textContent = entries.map(line).join('\n');
    if (!entries.length) logs.dataset.empty = '';
  };
  void draw();
  void loadLogs();
  const redraw = throttle(draw, 200);
  const offs = [
    // Another job's start or end can change why a pending one waits.
    on('job', (e) => (e.id === id || job?.status === 'pending') && redraw()),
    on('progress', (p) => {
      if (p.id !== id) return;
      if (p.fraction !== undefined) setBar(progressBar, p.fraction);
      if (p.message !== undefined) progressMsg.textContent = p.message;
    }),
    on('job.log', (e) => {
      if (e.id !== id) return;
      delete logs.dataset.empty;
      logs.textContent += `${logs.textContent ? '\n' : ''}${line(e.entry)}`;
      logs.scrollTop = logs.scrollHeight;
    }),
    on('resources', drawGpu),
  ];
  return () => {
    for (const off of offs) off();
  };
}

function line(e) {
  return `${new Date(e.time).toLocaleTimeString()} ${e.level.padEnd(5)} ${e.message}`;
}
