// Small live line charts as inline SVG: a few dozen points each, redrawn per sample.
import { h } from './api.js';

const NS = 'http://www.w3.org/2000/svg';

/** A chart card: title, the latest figure, and a line of `values` (0..max) with an optional dashed `mark` (reserved). */
export function chart(title, id) {
  const figure = h('div', { class: 'figure', 'data-figure': id });
  const sub = h('div', { class: 'muted', 'data-sub': id });
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 300 70');
  svg.setAttribute('preserveAspectRatio', 'none');
  const el = h('div', { class: 'card chart', 'data-chart': id }, h('div', { class: 'muted' }, title), figure, svg, sub);
  return {
    el,
    draw(values, max, text, subText, mark) {
      figure.textContent = text;
      sub.textContent = subText ?? '';
      svg.replaceChildren();
      const n = Math.max(values.length, 2);
      const y = (v) => 68 - (Math.max(0, Math.min(max, v)) / (max || 1)) * 64;
      if (mark !== undefined && mark > 0) {
        const line = document.createElementNS(NS, 'line');
        for (const [k, v] of [
          ['x1', 0],
          ['x2', 300],
          ['y1', y(mark)],
          ['y2', y(mark)],
        ])
          line.setAttribute(k, String(v));
        line.setAttribute('stroke', '#b7791f');
        line.setAttribute('stroke-dasharray', '4 3');
        svg.append(line);
      }
      if (values.length === 0) return;
      const points = values.map((v, i) => `${(i / (n - 1)) * 300},${y(v)}`).join(' ');
      const area = document.createElementNS(NS, 'polygon');
      area.setAttribute('points', `0,68 ${points} ${((values.length - 1) / (n - 1)) * 300},68`);
      area.setAttribute('fill', 'rgba(47,111,237,0.12)');
      const path = document.createElementNS(NS, 'polyline');
      path.setAttribute('points', points);
      path.setAttribute('fill', 'none');
      path.setAttribute('stroke', '#2f6fed');
      path.setAttribute('stroke-width', '1.5');
      svg.append(area, path);
    },
  };
}
