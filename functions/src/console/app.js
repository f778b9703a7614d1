// Tributary console: signs in with the admin token, loads each panel, wires the controls.
import { $, ApiError, setStatus, showSignIn, tokenKey } from './dom.js';
import { loadFailed } from './events.js';
import { loadOptional } from './lists.js';
import { loadOverview } from './overview.js';

const sourcePaths = ['/v1/sources'];
const webhookPaths = ['/v1/webhook-endpoints'];

async function start() {
  if (!sessionStorage.getItem(tokenKey)) return showSignIn();
  try {
    await Promise.all([loadOverview(), loadFailed(true)]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      sessionStorage.removeItem(tokenKey);
      return showSignIn('That token was not accepted.');
    }
    setStatus(`Could not load: ${error.message}`);
  }
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('refresh').hidden = false;
  $('sign-out').hidden = false;
  setStatus(`Updated ${new Date().toLocaleTimeString()}`);
  void loadOptional('sources', sourcePaths);
  void loadOptional('webhooks', webhookPaths);
}

document.addEventListener('DOMContentLoaded', () => {
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(tokenKey, $('token').value.trim());
    $('token').value = '';
    void start();
  });
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(tokenKey);
    showSignIn();
  });
  $('refresh').addEventListener('click', () => void start());
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadFailed(true).catch((error) => setStatus(error.message));
  });
  $('failed-more').addEventListener(
    'click',
    () => void loadFailed(false).catch((error) => setStatus(error.message)),
  );
  $('detail-close').addEventListener('click', () => ($('detail').hidden = true));
  void start();
});
