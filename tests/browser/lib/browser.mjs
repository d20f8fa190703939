// Starts Debian's Chromium for the console's end-to-end tests.
//
// The browser is the system package (/usr/bin/chromium, installed by scripts/install-deps.sh);
// playwright-core only drives it and never downloads a browser of its own. Every launch gets a
// fresh profile directory, removed again by close(), so no cookie or cache leaks between tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.ATIVA_CHROMIUM || '/usr/bin/chromium';

// Headless, and quiet on the network: no QUIC, no first-run pages, no background fetches,
// updates or sync, so a test only ever talks to the gateway under test.
export const CHROMIUM_ARGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/**
 * Launch Chromium with a fresh profile.
 * @param {object} [options]
 * @param {{width: number, height: number}} [options.viewport] default 1280×720, the console's
 *        smallest supported size.
 * @param {boolean} [options.ignoreHTTPSErrors] accept the gateway's development certificate
 *        (default true; pass false when the test machine trusts the certificate).
 * @param {string} [options.locale] default pt-BR, the console's language.
 * @returns {Promise<{context: import('playwright-core').BrowserContext,
 *                    page: import('playwright-core').Page,
 *                    close: () => Promise<void>}>}
 *          close() ends the browser and deletes its profile.
 */
export async function launch(options = {}) {
  const userDataDir = await mkdtemp(join(tmpdir(), 'ativa-chromium-'));
  let context;
  try {
    // Playwright refuses --user-data-dir among args; the persistent context passes it itself.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: options.viewport ?? { width: 1280, height: 720 },
      ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? true,
      locale: options.locale ?? 'pt-BR',
    });
  } catch (err) {
    await rm(userDataDir, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  let closed = false;
  return {
    context,
    page,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await context.close();
      } finally {
        await rm(userDataDir, { recursive: true, force: true });
      }
    },
  };
}
