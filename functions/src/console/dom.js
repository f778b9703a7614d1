// The console's DOM and API helpers: plain DOM, no framework. Every data call sends the
// admin token, which the operator pastes once and this tab keeps in sessionStorage.

export const tokenKey = 'tributary.adminToken';

export const $ = (id) => document.getElementById(id);

export class ApiError extends Error {
  constructor(status, message, fields = []) {
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

/** What the operator reads of an error: the API's message and each field it names. */
export function errorText(error) {
  const fields = (error.fields ?? []).map((f) => `${f.field}: ${f.message}`);
  return fields.length > 0 ? `${error.message} (${fields.join('; ')})` : error.message;
}

export const authorization = () => `Bearer ${sessionStorage.getItem(tokenKey) ?? ''}`;

export async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: {
      authorization: authorization(),
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
  });
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw apiError(response.status, body);
  return body;
}

export function apiError(status, body) {
  return new ApiError(status, body?.error?.message ?? `HTTP ${status}`, body?.error?.fields);
}

/** POST a JSON body. */
export const send = (method, path, body) => api(path, { method, body: JSON.stringify(body ?? {}) });

/** A recorded error as one line (`code: message`), or null when there is none. */
export const problemText = (problem) => (problem ? `${problem.code}: ${problem.message}` : null);

/** Queues a failed or dead-lettered event again. */
export const replayEvent = (eventId) =>
  send('POST', `/v1/admin/events/${encodeURIComponent(eventId)}/replay`);

/** Sends one webhook delivery again. */
export const replayDelivery = (eventId, endpointId) =>
  send(
    'POST',
    `/v1/events/${encodeURIComponent(eventId)}/deliveries/${encodeURIComponent(endpointId)}/replay`,
  );

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : shownAsText(child));
  }
  return node;
}

// A value a spreadsheet would run as a formula (OWASP "CSV injection") is shown with a
// leading ', so that copying it into a sheet keeps it text. The API keeps it as sent.
export function shownAsText(value) {
  const text = String(value);
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** An event id as lists show it: a UUID's first block (the whole id in its title). */
export const shortId = (id) => (/^[0-9a-f]{8}-[0-9a-f-]{27}$/.test(id) ? id.slice(0, 8) : id);

export const badge = (status) =>
  el('span', { class: `badge ${status}`, 'data-status': status }, status);
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
export const number = (n) => (typeof n === 'number' ? n.toLocaleString() : '—');
export const orDash = (value) =>
  value === null || value === undefined || value === '' ? '—' : value;

/** A table: a header row and one row per item, each cell a node or a value shown as text. */
export function table(columns, rows, options = {}) {
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: options.class ?? 'compact', ...(options.id ? { id: options.id } : {}) },
      options.caption ? el('caption', {}, options.caption) : null,
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...columns.map((c, i) =>
            el(
              'th',
              { scope: 'col', class: typeof rows[0]?.[i] === 'number' ? 'num' : undefined },
              c,
            ),
          ),
        ),
      ),
      el(
        'tbody',
        {},
        ...rows.map((cells) =>
          el(
            'tr',
            cells.attributes ?? {},
            ...cells.map((cell) =>
              cell instanceof Node || cell === ''
                ? el('td', {}, cell)
                : typeof cell === 'number'
                  ? el('td', { class: 'num' }, number(cell))
                  : el('td', {}, orDash(cell)),
            ),
          ),
        ),
      ),
    ),
  );
}

/** Terms and their values, in order. */
export function facts(pairs, options = {}) {
  return el(
    'dl',
    { class: `facts${options.wide ? ' wide' : ''}` },
    ...pairs.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, orDash(value))]),
  );
}

/** A message in a panel's own message area; errors are announced. */
export function say(target, text, kind = 'info') {
  const box = typeof target === 'string' ? $(target) : target;
  box.replaceChildren(
    text ? el('p', { class: kind, role: kind === 'error' ? 'alert' : 'status' }, text) : '',
  );
}

// A message to show once the next view has rendered (an action that moves to another
// view reports what it did there).
let flash = null;

export function sayNext(target, text, kind = 'info') {
  flash = { target, text, kind };
}

export function showFlash() {
  if (flash) say(flash.target, flash.text, flash.kind);
  flash = null;
}

export function setStatus(text) {
  $('status-line').textContent = text;
}

/** A button that is disabled while its action runs, and reports the action's error. */
export function actionButton(label, action, props = {}) {
  const button = el('button', { type: 'button', ...props }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await action(button);
    } catch (error) {
      setStatus(`${label} failed: ${errorText(error)}`);
    } finally {
      if (button.isConnected) button.disabled = false;
    }
  });
  return button;
}

/**
 * A secret shown once (a key, a signing secret): in a box the operator copies from and
 * dismisses. Nothing keeps it: dismissing or leaving the panel removes the node.
 */
export function shownOnce(target, title, secret, extra = []) {
  const box = typeof target === 'string' ? $(target) : target;
  const value = el('code', { class: 'secret', 'data-secret': '' }, secret);
  box.replaceChildren(
    el(
      'div',
      { class: 'once', role: 'status' },
      el('h3', {}, title),
      el('p', { class: 'muted' }, 'Shown this once: copy it now. It is not stored in this page.'),
      value,
      ...extra,
      el(
        'div',
        { class: 'row' },
        el(
          'button',
          {
            type: 'button',
            class: 'quiet',
            onclick: () => void navigator.clipboard?.writeText(secret).catch(() => undefined),
          },
          'Copy',
        ),
        el(
          'button',
          { type: 'button', class: 'quiet', onclick: () => box.replaceChildren() },
          'Done',
        ),
      ),
    ),
  );
}
