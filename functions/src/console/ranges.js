// The day ranges of the Sites and Metrics panels: today, the last 7, 30 or 90 days, or
// two dates. Days are UTC days, as the API counts them.

export const presets = { today: 1, '7d': 7, '30d': 30, '90d': 90 };

export const utcToday = () => new Date().toISOString().slice(0, 10);

/** The `day` a view's address asks for, when it is a date; today (UTC) otherwise. */
export function dayOf(params) {
  const asked = params.get('day') ?? '';
  return /^\d{4}-\d{2}-\d{2}$/.test(asked) ? asked : utcToday();
}

export function addDays(day, days) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** The range a view's parameters name: `range` a preset, or `custom` with `from` and `to`. */
export function rangeOf(params, fallback = '7d') {
  const range = params.get('range') ?? fallback;
  const today = utcToday();
  if (range === 'custom') {
    const from = params.get('from') ?? today;
    const to = params.get('to') ?? today;
    return { range, from, to };
  }
  const days = presets[range] ?? presets[fallback];
  return { range: presets[range] ? range : fallback, from: addDays(today, 1 - days), to: today };
}

/** Sets a range form's controls to a range. */
export function showRange(form, { range, from, to }) {
  form.elements.range.value = range;
  form.elements.from.value = from;
  form.elements.to.value = to;
  const custom = range === 'custom';
  form.querySelector('.custom').hidden = !custom;
}

/** What a range form says: the preset, or the two dates (both required). */
export function readRange(form) {
  const range = form.elements.range.value;
  if (range !== 'custom') return { range };
  return { range, from: form.elements.from.value, to: form.elements.to.value };
}

/** Wires a range form: choosing "two dates" shows them; every change calls `apply`. */
export function wireRange(form, apply) {
  form.elements.range.addEventListener('change', () => {
    const custom = form.elements.range.value === 'custom';
    form.querySelector('.custom').hidden = !custom;
    if (!custom) apply(readRange(form));
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply(readRange(form));
  });
}
