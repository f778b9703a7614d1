// Tributary console: signs in with the admin token, shows the panel the URL names, and
// loads each panel's module the first time it is shown (the first load stays small).
import { $, ApiError, errorText, say, setStatus, showFlash, tokenKey } from './dom.js';
import { currentRoute } from './router.js';

const modules = {
  overview: () => import('./overview.js'),
  sites: () => import('./sites.js'),
  metrics: () => import('./metrics.js'),
  uploads: () => import('./uploads.js'),
  events: () => import('./event.js'),
  webhooks: () => import('./webhooks.js'),
  sources: () => import('./sources.js'),
  plan: () => import('./plan.js'),
  privacy: () => import('./privacy.js'),
  keys: () => import('./keys.js'),
};
const wired = new Set();
// Secrets shown once live only in these boxes; leaving a view empties them.
const onceBoxes = ['endpoint-created', 'endpoint-once', 'source-created', 'key-created'];
let shown = 0;

function showSignIn(message) {
  $('app').hidden = true;
  $('nav').hidden = true;
  $('refresh').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').hidden = !message;
  $('sign-in-error').textContent = message ?? '';
  $('token').focus();
}

/** Renders the view the URL names; an answer that arrives after another view was asked for is dropped. */
async function show({ focus = false } = {}) {
  if (!sessionStorage.getItem(tokenKey)) return showSignIn();
  const route = currentRoute();
  const mine = ++shown;
  for (const id of onceBoxes) $(id).replaceChildren();
  for (const section of document.querySelectorAll('.panel')) {
    section.hidden = section.id !== `panel-${route.panel}`;
  }
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === route.panel) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('nav').hidden = false;
  $('refresh').hidden = false;
  $('sign-out').hidden = false;
  if (focus) $(`${route.panel}-title`)?.focus();
  say(`${route.panel}-message`, '');
  showFlash();
  setStatus('Loading…');
  try {
    const panel = await modules[route.panel]();
    if (!wired.has(route.panel)) {
      wired.add(route.panel);
      panel.setup?.();
    }
    await panel.render(route, () => mine === shown);
    if (mine === shown) setStatus(`Updated ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      sessionStorage.removeItem(tokenKey);
      return showSignIn('That token was not accepted.');
    }
    if (mine !== shown) return;
    setStatus('Could not load.');
    say(`${route.panel}-message`, `Could not load: ${errorText(error)}`, 'error');
  } finally {
    // Which view is on screen and wired, for whatever drives the page (a script, a test).
    if (mine === shown) document.body.dataset.shown = location.hash;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(tokenKey, $('token').value.trim());
    $('token').value = '';
    void show();
  });
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(tokenKey);
    showSignIn();
  });
  $('refresh').addEventListener('click', () => void show());
  window.addEventListener('hashchange', () => void show({ focus: true }));
  void show();
});
