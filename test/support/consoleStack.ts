import type { Firestore } from '@google-cloud/firestore';
import type { Page } from 'playwright-core';
import { inject } from 'vitest';
import { createFirestore } from '../../functions/src/lib/clients.ts';
import { loadConfig } from '../../functions/src/lib/config.ts';
import {
  openConsoleBrowser,
  signIn,
  type ConsoleBrowser,
} from '../../scripts/lib/consoleBrowser.ts';
import type { LocalStackInfo } from '../../scripts/lib/localStack.ts';
import { runScript, startNpmStart, stopNpmStart, type RunningNpmStart } from './npmStart.ts';
import { eventually } from './pipeline.ts';

/** `npm start` with Chromium signed in to its console, and the API as a test calls it. */
export type ConsoleStack = {
  npm: RunningNpmStart;
  info: LocalStackInfo;
  firestore: Firestore;
  browser: ConsoleBrowser;
  page: Page;
  /** An operator's call: the admin token, JSON in and out; throws on an unexpected status. */
  admin: <T = Record<string, unknown>>(
    path: string,
    init?: { method?: string; body?: unknown; expect?: number },
  ) => Promise<T>;
  /** Runs the warehouse loader now (`npm run job -- load-warehouse`). */
  loadWarehouse: () => Promise<void>;
  close: () => Promise<void>;
};

export async function startConsoleStack(
  label: string,
  env: Record<string, string> = {},
): Promise<ConsoleStack> {
  const npm = await startNpmStart(label, env);
  const { info } = npm;
  const firestore = createFirestore(
    loadConfig({
      GOOGLE_CLOUD_PROJECT: info.projectId,
      FIRESTORE_EMULATOR_HOST: inject('firestoreEmulatorHost'),
    }),
  );
  const browser = await openConsoleBrowser();
  const admin = async <T>(
    path: string,
    init: { method?: string; body?: unknown; expect?: number } = {},
  ): Promise<T> => {
    const response = await fetch(`${info.apiUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${info.adminToken}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    if (response.status !== (init.expect ?? 200) && !(init.expect === undefined && response.ok))
      throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
  return {
    npm,
    info,
    firestore,
    browser,
    page: browser.page,
    admin,
    loadWarehouse: async () => {
      const run = await runScript(npm.stateDir, 'job.ts', ['load-warehouse']);
      if (run.code !== 0) throw new Error(`npm run job: ${run.output}`);
    },
    close: async () => {
      await browser.close();
      await firestore.terminate();
      await stopNpmStart(npm.process, npm.stateDir);
    },
  };
}

/** Signs the console in and opens a view. */
/**
 * Which of the views (by their hash) are wider than a phone's screen, in a browser of a
 * phone's size signed in to the stack's console; with that browser's console errors.
 */
export async function viewsWiderThanAPhone(
  stack: Pick<ConsoleStack, 'info'>,
  hashes: readonly string[],
  loaded: (page: Page, hash: string) => Promise<void>,
): Promise<{ tooWide: string[]; errors: string[] }> {
  const phone = await openConsoleBrowser({ width: 390, height: 844 });
  try {
    await signIn(phone.page, stack.info.apiUrl, stack.info.adminToken);
    const tooWide: string[] = [];
    for (const hash of hashes) {
      await phone.page.goto(`${stack.info.apiUrl}/console${hash}`);
      await loaded(phone.page, hash);
      const widths = await phone.page.evaluate<{ page: number; viewport: number }>(
        '({ page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth })',
      );
      if (widths.page > widths.viewport) tooWide.push(hash);
    }
    return { tooWide, errors: [...phone.errors] };
  } finally {
    await phone.close();
  }
}

/** What the label check reads of a form control in the page. */
type Control = {
  labels?: ArrayLike<unknown>;
  tagName: string;
  textContent: string | null;
  outerHTML: string;
  getAttribute: (name: string) => string | null;
};

/** The controls of a panel with no label, no aria-label and (for a button) no text. */
export function unlabelledControls(page: Page, panel: string): Promise<string[]> {
  return page
    .locator(`#panel-${panel}`)
    .evaluate((section) =>
      [...section.querySelectorAll('input, select, textarea, button')]
        .filter(
          (c: Control) =>
            (c.labels?.length ?? 0) === 0 &&
            !c.getAttribute('aria-label') &&
            !(c.tagName === 'BUTTON' && (c.textContent ?? '').trim()),
        )
        .map((c: Control) => c.outerHTML.slice(0, 80)),
    );
}

/** A view is loaded once the page says it shows that hash. */
export async function hashShown(page: Page, hash: string): Promise<void> {
  await page.locator(`body[data-shown=${JSON.stringify(hash)}]`).waitFor({ state: 'attached' });
}

export async function openView(stack: ConsoleStack, hash: string): Promise<void> {
  if (!stack.page.url().startsWith(stack.info.apiUrl)) {
    await signIn(stack.page, stack.info.apiUrl, stack.info.adminToken);
  }
  await stack.page.goto(`${stack.info.apiUrl}/console${hash}`);
  // Its panel's code loaded, its form wired and its first answer drawn.
  await stack.page
    .locator(`body[data-shown=${JSON.stringify(hash)}]`)
    .waitFor({ state: 'attached' });
}

/** A table's body rows as the operator reads them: the text of each cell. */
export function tableRows(page: Page, selector: string): Promise<string[][]> {
  type Row = { cells: ArrayLike<{ textContent: string | null }> };
  return page
    .locator(`${selector} tbody tr`)
    .evaluateAll((rows) =>
      rows.map((row) =>
        Array.from((row as unknown as Row).cells, (cell) => (cell.textContent ?? '').trim()),
      ),
    );
}

/** Numbers as the console writes them (the browser's locale groups thousands). */
export const shown = (n: number | null): string => (n === null ? '—' : n.toLocaleString('en-US'));

/** Waits until the loader has put `count` events in the warehouse, as the metrics count them. */
export async function waitForWarehouse(
  stack: ConsoleStack,
  from: string,
  to: string,
  count: number,
): Promise<void> {
  await eventually(
    async () => {
      await stack.loadWarehouse();
      const metrics = await stack.admin<{ data: { metrics: { count: number }[] }[] }>(
        `/v1/metrics?from=${from}&to=${to}`,
      );
      const loaded = metrics.data.flatMap((d) => d.metrics).reduce((sum, m) => sum + m.count, 0);
      return loaded >= count ? true : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 1000, what: `${count} events in the warehouse` },
  );
}
