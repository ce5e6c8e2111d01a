// What the page remembers across views: the last minute of resource samples (for the charts and
// each plugin's live CPU/RSS/GPU), fed by the event stream.
import { on } from './api.js';

export const samples = [];
const MAX_SAMPLES = 60;
export const telemetry = new Map();

on('resources', (s) => {
  samples.push(s);
  if (samples.length > MAX_SAMPLES) samples.shift();
  telemetry.clear();
  for (const p of s.plugins ?? []) telemetry.set(p.name, p);
});
