// The console's DOM and API helpers: plain DOM, no framework. Every data call sends the
// admin token, which the operator pastes once and this tab keeps in sessionStorage.

export const tokenKey = 'tributary.adminToken';

export const $ = (id) => document.getElementById(id);
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: {
      authorization: `Bearer ${sessionStorage.getItem(tokenKey) ?? ''}`,
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, body?.error?.message ?? `HTTP ${response.status}`);
  }
  return body;
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : shownAsText(child));
  }
  return node;
}

// A value a spreadsheet would run as a formula (OWASP "CSV injection") is shown with a
// leading ', so that copying it into a sheet keeps it text. The API keeps it as sent.
function shownAsText(value) {
  const text = String(value);
  return typeof value === 'string' && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export const badge = (status) =>
  el('span', { class: `badge ${status}`, 'data-status': status }, status);
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
export const number = (n) => (typeof n === 'number' ? n.toLocaleString() : '—');

export function setStatus(text) {
  $('status-line').textContent = text;
}

export function showSignIn(message) {
  $('app').hidden = true;
  $('refresh').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').hidden = !message;
  $('sign-in-error').textContent = message ?? '';
}
