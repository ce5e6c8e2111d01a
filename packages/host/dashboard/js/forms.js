// A form generated from a JSON Schema: one field per property (text, number, checkbox, select;
// a JSON box for nested values), checked in the page before it is sent, and the server's issues
// (ERR_CONFIG_INVALID / ERR_INPUT_INVALID `data.issues`) shown under the fields they name. A schema
// that is not an object of properties gets one JSON box.
import { h } from './api.js';

export function schemaForm(schema, values = {}, { idPrefix = 'f' } = {}) {
  const props = schema && schema.type === 'object' && schema.properties ? schema.properties : null;
  const el = h('div', { class: 'schema-form' });
  if (!props) return jsonForm(el, values);
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(props).map(([name, prop]) =>
    field(name, prop, values[name], required.has(name), idPrefix),
  );
  el.append(...fields.map((f) => f.el));
  return {
    el,
    read() {
      const value = {};
      const issues = [];
      for (const f of fields) {
        const r = f.read();
        if (r.issue) issues.push({ path: f.name, message: r.issue });
        else if (r.value !== undefined) value[f.name] = r.value;
      }
      return { value, issues };
    },
    showIssues(issues) {
      for (const f of fields)
        f.setError(
          issues
            .filter((i) => i.path === f.name || i.path.startsWith(`${f.name}.`))
            .map((i) => i.message)
            .join('; '),
        );
      // An issue about the whole object (say, an unknown key) goes on the first field.
      const loose = issues.filter((i) => !fields.some((f) => i.path === f.name || i.path.startsWith(`${f.name}.`)));
      if (loose.length && fields[0])
        fields[0].setError(loose.map((i) => `${i.path || '(config)'}: ${i.message}`).join('; '));
    },
  };
}

function jsonForm(el, values) {
  const box = h('textarea', { 'data-field': '$json', 'aria-label': 'input as JSON' });
  box.value = JSON.stringify(values ?? {}, null, 2);
  const error = h('div', { class: 'error', 'data-error': '$json' });
  el.append(h('div', { class: 'field' }, h('label', {}, 'JSON'), box, error));
  return {
    el,
    read() {
      try {
        return { value: JSON.parse(box.value || '{}'), issues: [] };
      } catch (e) {
        return { value: null, issues: [{ path: '$json', message: `not JSON: ${e.message}` }] };
      }
    },
    showIssues(issues) {
      error.textContent = issues
        .map((i) => (i.path && i.path !== '$json' ? `${i.path}: ${i.message}` : i.message))
        .join('; ');
    },
  };
}

function field(name, prop, value, required, idPrefix) {
  const id = `${idPrefix}-${name}`;
  const type = Array.isArray(prop.type) ? prop.type.find((t) => t !== 'null') : prop.type;
  const current = value ?? prop.default;
  let input;
  let read;
  if (Array.isArray(prop.enum)) {
    input = h(
      'select',
      { id, 'data-field': name },
      ...(required ? [] : [h('option', { value: '' }, '—')]),
      ...prop.enum.map((v) => h('option', { value: JSON.stringify(v) }, String(v))),
    );
    if (current !== undefined) input.value = JSON.stringify(current);
    read = () => (input.value === '' ? undefined : JSON.parse(input.value));
  } else if (type === 'boolean') {
    input = h('input', { id, type: 'checkbox', 'data-field': name });
    input.checked = current === true;
    read = () => input.checked;
  } else if (type === 'number' || type === 'integer') {
    input = h('input', { id, type: 'number', step: type === 'integer' ? '1' : 'any', 'data-field': name });
    if (current !== undefined) input.value = String(current);
    read = () => (input.value.trim() === '' ? undefined : Number(input.value));
  } else if (type === 'string') {
    input = h('input', { id, type: 'text', 'data-field': name });
    if (current !== undefined) input.value = String(current);
    read = () => input.value;
  } else {
    input = h('textarea', { id, 'data-field': name });
    input.value = current === undefined ? '' : JSON.stringify(current, null, 2);
    read = () => {
      if (input.value.trim() === '') return undefined;
      return JSON.parse(input.value);
    };
  }
  const error = h('div', { class: 'error', 'data-error': name });
  const wrap = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, prop.title ?? name, required ? ' *' : ''),
    input,
    prop.description ? h('div', { class: 'help' }, prop.description) : null,
    error,
  );
  const setError = (message) => {
    error.textContent = message;
    wrap.classList.toggle('invalid', !!message);
  };
  return {
    name,
    el: wrap,
    setError,
    read() {
      setError('');
      let v;
      try {
        v = read();
      } catch (e) {
        return { issue: `not JSON: ${e.message}` };
      }
      const issue = check(v, prop, type, required);
      if (issue) setError(issue);
      return { value: v, issue };
    },
  };
}

/** The page's own check, worded as the server's (Ajv) words it, so both read alike. */
function check(v, prop, type, required) {
  if (v === undefined) return required ? 'is required' : null;
  if ((type === 'number' || type === 'integer') && Number.isNaN(v)) return 'must be a number';
  if (type === 'integer' && !Number.isInteger(v)) return 'must be integer';
  if (typeof v === 'number') {
    if (prop.minimum !== undefined && v < prop.minimum) return `must be >= ${prop.minimum}`;
    if (prop.maximum !== undefined && v > prop.maximum) return `must be <= ${prop.maximum}`;
    if (prop.exclusiveMinimum !== undefined && v <= prop.exclusiveMinimum) return `must be > ${prop.exclusiveMinimum}`;
    if (prop.exclusiveMaximum !== undefined && v >= prop.exclusiveMaximum) return `must be < ${prop.exclusiveMaximum}`;
  }
  if (typeof v === 'string') {
    if (prop.minLength !== undefined && v.length < prop.minLength)
      return `must NOT have fewer than ${prop.minLength} characters`;
    if (prop.maxLength !== undefined && v.length > prop.maxLength)
      return `must NOT have more than ${prop.maxLength} characters`;
    if (prop.pattern !== undefined && !new RegExp(prop.pattern, 'u').test(v))
      return `must match pattern "${prop.pattern}"`;
  }
  return null;
}
