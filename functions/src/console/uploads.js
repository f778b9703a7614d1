// CSV uploads: a file chosen or dropped is uploaded for a server key with the admin
// token (POST /v1/admin/uploads?keyId=), its progress shown, then its counts and every
// failed row. Two API calls to render: the earlier uploads and the keys to choose from.
import {
  $,
  api,
  apiError,
  authorization,
  badge,
  el,
  errorText,
  facts,
  number,
  say,
  table,
  when,
  problemText,
} from './dom.js';
import { href } from './router.js';

let chosen = null;
let keyNames = new Map();

export function setup() {
  const input = $('upload-file');
  input.addEventListener('change', () => choose(input.files?.[0] ?? null));
  const drop = $('upload-drop');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    choose(event.dataTransfer?.files?.[0] ?? null);
  });
  $('upload-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void upload();
  });
}

function choose(file) {
  chosen = file;
  $('upload-file-name').textContent = file ? `${file.name} (${size(file.size)})` : '';
}

export async function render(route, isCurrent) {
  const detail = route.id !== null;
  $('upload-card').hidden = detail;
  $('uploads-card').hidden = detail;
  $('upload-detail').hidden = !detail;
  if (detail) return renderBatch(route.id, isCurrent);
  const [uploads, keys] = await Promise.all([
    api('/v1/admin/uploads?limit=20'),
    api('/v1/admin/api-keys'),
  ]);
  if (!isCurrent()) return;
  keyNames = new Map(keys.items.map((k) => [k.keyId, k.name]));
  const usable = keys.items.filter((k) => !k.revoked && k.browser !== true);
  const selected = $('upload-key').value;
  $('upload-key').replaceChildren(
    ...usable.map((k) =>
      el('option', { value: k.keyId, selected: k.keyId === selected }, `${k.name} (${k.keyId})`),
    ),
  );
  $('upload-send').disabled = usable.length === 0;
  if (usable.length === 0) say('uploads-message', 'Create a server API key first (API keys).');
  showUploads(uploads.items);
}

function showUploads(items) {
  $('uploads-list').replaceChildren(
    items.length === 0
      ? el('p', { class: 'muted' }, 'No uploads yet.')
      : table(
          ['Started', 'File', 'Key', 'Status', 'Rows', 'Inserted', 'Duplicates', 'Failed', ''],
          items.map((b) =>
            Object.assign(
              [
                when(b.startedAt),
                b.fileName ?? '—',
                keyNames.get(b.keyId) ?? b.keyId,
                badge(b.status),
                b.rows,
                b.insertedCount,
                b.duplicateCount,
                b.failedCount,
                el('a', { href: href('uploads', b.batchId) }, 'Details'),
              ],
              { attributes: { 'data-batch-id': b.batchId } },
            ),
          ),
          { id: 'uploads-table' },
        ),
  );
}

async function renderBatch(batchId, isCurrent) {
  const batch = await api(`/v1/admin/uploads/${encodeURIComponent(batchId)}`);
  if (!isCurrent()) return;
  $('upload-detail').replaceChildren(
    el('p', {}, el('a', { href: href('uploads') }, '← Uploads')),
    el('h3', {}, 'Upload ', el('code', {}, batch.batchId)),
    facts([
      ['File', batch.fileName],
      ['Key', batch.keyId],
      ['Status', badge(batch.status)],
      ['Started', when(batch.startedAt)],
      ['Finished', when(batch.finishedAt)],
      ['Stopped by', problemText(batch.stop)],
    ]),
    outcome(batch),
  );
}

/** Counts, how each header was read, and every failed row the API lists. */
function outcome(result) {
  const errors = result.errors ?? [];
  return el(
    'div',
    { class: 'outcome', 'data-batch-id': result.batchId },
    el(
      'div',
      { class: 'counts' },
      count('Rows', result.rows, 'rows'),
      count('Inserted', result.insertedCount, 'inserted'),
      count('Duplicates', result.duplicateCount ?? 0, 'duplicates'),
      count('Failed', result.failedCount, 'failed'),
    ),
    (result.columns ?? []).length > 0
      ? el(
          'details',
          {},
          el('summary', {}, 'How each column was read'),
          table(
            ['Header', 'Read as'],
            result.columns.map((c) => [c.header, c.field]),
          ),
        )
      : '',
    el('h3', {}, 'Failed rows'),
    errors.length === 0
      ? el('p', { class: 'muted' }, 'No row failed.')
      : table(
          ['Row', 'Column', 'Reason'],
          errors.map((e) =>
            Object.assign([e.row, e.field, e.message], { attributes: { 'data-row': e.row } }),
          ),
          { id: 'upload-errors' },
        ),
    result.errorsTruncated
      ? el(
          'p',
          { class: 'muted' },
          `The first ${errors.length} failed rows are listed; ${number(result.failedCount)} failed in all.`,
        )
      : '',
  );
}

function count(label, value, key) {
  return el(
    'div',
    { class: 'count', 'data-count': key },
    el('div', { class: 'n' }, number(value)),
    el('div', { class: 'label' }, label),
  );
}

/** Sends the file with XMLHttpRequest, whose upload events report progress (fetch's do not). */
function upload() {
  const keyId = $('upload-key').value;
  if (!chosen) return say('upload-result', 'Choose a CSV file first.', 'error');
  if (!keyId) return say('upload-result', 'Choose the API key the events belong to.', 'error');
  const file = chosen;
  const form = new FormData();
  form.append('file', file, file.name);
  const request = new XMLHttpRequest();
  request.open('POST', `/v1/admin/uploads?keyId=${encodeURIComponent(keyId)}`);
  request.setRequestHeader('authorization', authorization());
  const bar = $('upload-progress');
  const text = $('upload-progress-text');
  $('upload-progress-box').hidden = false;
  $('upload-send').disabled = true;
  say('upload-result', '');
  bar.value = 0;
  text.textContent = `Sending ${file.name}…`;
  request.upload.addEventListener('progress', (event) => {
    if (!event.lengthComputable) return;
    bar.value = Math.round((event.loaded / event.total) * 100);
    text.textContent = `Sent ${bar.value}% (${size(event.loaded)} of ${size(event.total)})`;
  });
  request.upload.addEventListener('load', () => {
    bar.value = 100;
    text.textContent = 'Sent; the last rows are being read…';
  });
  return new Promise((resolve) => {
    request.addEventListener('loadend', () => {
      $('upload-send').disabled = false;
      let body = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        // not JSON: reported below by its status
      }
      if (request.status === 0) {
        text.textContent = 'The upload did not reach the server.';
      } else if (request.status === 200) {
        text.textContent = `Done: ${number(body.rows)} rows read.`;
        $('upload-result').replaceChildren(outcome(body));
      } else {
        text.textContent = 'Refused.';
        const error = apiError(request.status, body);
        $('upload-result').replaceChildren(
          el('p', { class: 'error', role: 'alert' }, errorText(error)),
          body?.batchId ? outcome(body) : '',
        );
      }
      void refreshList();
      resolve();
    });
    request.send(form);
  });
}

async function refreshList() {
  const uploads = await api('/v1/admin/uploads?limit=20').catch(() => null);
  if (uploads) showUploads(uploads.items);
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
