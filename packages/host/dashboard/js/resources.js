// Resources: CPU, RAM and each GPU's memory as live charts, with what running jobs reserve.
import { api, h, on } from './api.js';
import { chart } from './charts.js';
import { samples } from './state.js';

export function resourcesView(root) {
  const grid = h('div', { class: 'grid' });
  const reservations = h('tbody');
  root.append(
    h('h2', {}, 'Resources'),
    grid,
    h('h2', {}, 'Reserved by running jobs'),
    h(
      'div',
      { class: 'card' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'job'),
            h('th', {}, 'memory'),
            h('th', {}, 'GPU memory'),
            h('th', {}, 'GPUs'),
            h('th', {}, 'CPUs'),
          ),
        ),
        reservations,
      ),
    ),
  );
  const cpu = chart('CPU', 'cpu');
  const ram = chart('RAM', 'ram');
  grid.append(cpu.el, ram.el);
  const gpus = new Map();
  const draw = () => {
    const last = samples.at(-1);
    if (!last) {
      cpu.draw([], 100, '…', 'waiting for the first sample');
      return;
    }
    const { system, resources } = last;
    cpu.draw(
      samples.map((s) => s.system.cpu.percent),
      100,
      `${system.cpu.percent.toFixed(0)} %`,
      `${system.cpu.cores} cores · load ${system.cpu.loadavg.map((l) => l.toFixed(2)).join(' ')}`,
    );
    const used = (s) => s.system.memory.totalMB - s.system.memory.availableMB;
    ram.draw(
      samples.map(used),
      system.memory.totalMB,
      `${(used(last) / 1024).toFixed(1)} / ${(system.memory.totalMB / 1024).toFixed(1)} GiB`,
      `reserved by jobs: ${resources.memory.reservedMB} MB`,
      resources.memory.reservedMB,
    );
    for (const g of system.gpus) {
      if (!gpus.has(g.index)) {
        const c = chart(`GPU ${g.index} · ${g.name}`, `gpu-${g.index}`);
        gpus.set(g.index, c);
        grid.append(c.el);
      }
      const reserved = resources.gpus.find((r) => r.index === g.index);
      gpus.get(g.index).draw(
        samples.map((s) => s.system.gpus.find((x) => x.index === g.index)?.memoryUsedMB ?? 0),
        g.memoryTotalMB,
        `${(g.memoryUsedMB / 1024).toFixed(1)} / ${(g.memoryTotalMB / 1024).toFixed(1)} GiB`,
        `reserved by ${reserved?.jobs ?? 0} job(s): ${reserved?.reservedMB ?? 0} MB · ${g.utilizationPercent}% busy`,
        reserved?.reservedMB,
      );
    }
    if (system.gpus.length === 0 && !grid.querySelector('[data-no-gpu]'))
      grid.append(h('div', { class: 'card muted', 'data-no-gpu': '' }, 'No GPU (nvidia-smi not found or no driver).'));
    reservations.replaceChildren(
      ...(resources.reservations.length === 0
        ? [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'nothing reserved'))]
        : resources.reservations.map((r) =>
            h(
              'tr',
              {},
              h('td', {}, h('a', { href: `#/jobs/${r.id}`, class: 'mono' }, r.id.slice(0, 8))),
              h('td', { class: 'num' }, r.needs.memoryMB ? `${r.needs.memoryMB} MB` : '—'),
              h('td', { class: 'num' }, r.needs.gpuMemoryMB ? `${r.needs.gpuMemoryMB} MB` : '—'),
              h('td', { class: 'num' }, r.gpus.length ? r.gpus.join(', ') : '—'),
              h('td', { class: 'num' }, r.needs.cpus ?? '—'),
            ),
          )),
    );
  };
  // A queue shared through Redis: every host, with its plugins, running jobs and free resources.
  const hosts = h('tbody');
  let hostsTimer = null;
  let closed = false;
  const drawHosts = async () => {
    const { backend } = await api('GET', '/hosts').catch(() => ({}));
    if (!backend || closed) return;
    if (!hosts.isConnected)
      root.append(
        h('h2', {}, `Hosts sharing the queue (Redis ${backend.url})`),
        h(
          'div',
          { class: 'card' },
          h(
            'table',
            { 'data-hosts': '' },
            h(
              'thead',
              {},
              h('tr', {}, h('th', {}, 'host'), h('th', {}, 'plugins'), h('th', {}, 'running'), h('th', {}, 'free')),
            ),
            hosts,
          ),
        ),
      );
    hosts.replaceChildren(
      ...backend.hosts.map((x) => {
        const r = x.resources;
        const gpuFree = (r.gpus ?? []).map((g) => `GPU ${g.index}: ${(g.freeMB / 1024).toFixed(1)} GiB`).join(', ');
        const free = `${((r.memory?.freeMB ?? 0) / 1024).toFixed(1)} GiB RAM${gpuFree ? `, ${gpuFree}` : ''}`;
        return h(
          'tr',
          { 'data-host': x.id },
          h('td', { class: 'mono' }, x.id),
          h('td', {}, x.plugins.join(', ') || '—'),
          h('td', { class: 'num' }, x.running.length),
          h('td', {}, free),
        );
      }),
    );
    hostsTimer = setTimeout(drawHosts, 3000);
  };
  drawHosts();
  draw();
  const off = on('resources', draw);
  return () => {
    closed = true;
    off();
    clearTimeout(hostsTimer);
  };
}
