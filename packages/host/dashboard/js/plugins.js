// Plugins: state, version, runtime, live CPU / RSS / GPU memory, enable / disable / reload, and a
// config form generated from each plugin's JSON Schema.
import { ApiError, api, badge, h, mb, on, throttle } from './api.js';
import { schemaForm } from './forms.js';
import { telemetry } from './state.js';

export function pluginsView(root) {
  const body = h('tbody');
  const configs = h('div');
  root.append(
    h('h2', {}, 'Plugins'),
    h(
      'div',
      { class: 'card' },
      h(
        'table',
        { 'data-table': 'plugins' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['name', 'version', 'runtime', 'state', 'pid', 'CPU', 'RSS', 'GPU', ''].map((t) => h('th', {}, t)),
          ),
        ),
        body,
      ),
    ),
    configs,
  );
  let plugins = [];
  const open = new Set();
  const live = (p) => {
    const t = telemetry.get(p.name);
    return t && p.pid ? [`${t.cpuPercent.toFixed(0)} %`, mb(t.rssBytes), `${t.gpuMemoryMB} MB`] : ['—', '—', '—'];
  };
  const act = async (name, verb, button) => {
    button.disabled = true;
    try {
      await api('POST', `/plugins/${encodeURIComponent(name)}/${verb}`);
    } catch (e) {
      alert(`${verb} ${name}: ${e.message}`);
    }
    await refresh();
  };
  const draw = () => {
    body.replaceChildren(
      ...plugins.map((p) => {
        const [cpu, rss, gpu] = live(p);
        return h(
          'tr',
          { 'data-plugin': p.name },
          h('td', {}, h('strong', {}, p.name), p.description ? h('div', { class: 'muted' }, p.description) : null),
          h('td', {}, p.version),
          h('td', {}, p.runtime),
          h('td', {}, badge(p.enabled ? p.state : 'disabled')),
          h('td', { class: 'num' }, p.pid ?? '—'),
          h('td', { class: 'num', 'data-cpu': '' }, cpu),
          h('td', { class: 'num', 'data-rss': '' }, rss),
          h('td', { class: 'num', 'data-gpu': '' }, gpu),
          h(
            'td',
            { class: 'row' },
            p.enabled
              ? h('button', { onclick: (e) => act(p.name, 'disable', e.target) }, 'Disable')
              : h('button', { onclick: (e) => act(p.name, 'enable', e.target) }, 'Enable'),
            h('button', { onclick: (e) => act(p.name, 'reload', e.target), disabled: !p.enabled }, 'Reload'),
            h(
              'button',
              { 'data-config': p.name, onclick: () => toggleConfig(p.name) },
              open.has(p.name) ? 'Hide config' : 'Config',
            ),
          ),
        );
      }),
    );
  };
  const toggleConfig = async (name) => {
    if (open.has(name)) {
      open.delete(name);
      configs.querySelector(`[data-config-form="${name}"]`)?.remove();
    } else {
      open.add(name);
      configs.append(await configCard(name, refresh));
    }
    draw();
  };
  const refresh = async () => {
    plugins = await api('GET', '/plugins');
    draw();
  };
  void refresh();
  const offs = [on('plugin', throttle(refresh, 200)), on('resources', draw)];
  return () => {
    for (const off of offs) off();
  };
}

async function configCard(name, refresh) {
  const [{ config }, schemas] = await Promise.all([
    api('GET', `/plugins/${encodeURIComponent(name)}/config`),
    api('GET', `/plugins/${encodeURIComponent(name)}/schemas`),
  ]);
  const status = h('span', { class: 'form-status', 'data-status': name });
  const card = h('div', { class: 'card', 'data-config-form': name }, h('h2', {}, `${name} · config`));
  if (!schemas.config) {
    card.append(h('div', { class: 'muted' }, 'This plugin declares no config.'));
    return card;
  }
  const form = schemaForm(schemas.config, config, { idPrefix: `cfg-${name}` });
  const save = h('button', { class: 'primary', 'data-save': name }, 'Save');
  save.addEventListener('click', async () => {
    status.textContent = '';
    status.className = 'form-status';
    const { value, issues } = form.read();
    form.showIssues(issues);
    if (issues.length) {
      status.textContent = 'fix the fields marked';
      status.classList.add('bad');
      return;
    }
    try {
      const r = await api('PUT', `/plugins/${encodeURIComponent(name)}/config`, value);
      status.textContent = `saved (applied: ${r.applied})`;
      status.classList.add('ok');
      await refresh();
    } catch (e) {
      // The server's own check: its issues name the fields.
      if (e instanceof ApiError && Array.isArray(e.data?.issues)) form.showIssues(e.data.issues);
      status.textContent = `${e.code}: ${e.message}`;
      status.classList.add('bad');
    }
  });
  card.append(form.el, h('div', { class: 'row' }, save, status));
  return card;
}
