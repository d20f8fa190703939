// Starts Debian's Chromium for the console's end-to-end tests.
//
// The browser is the system package (/usr/bin/chromium, installed by scripts/install-deps.sh);
// playwright-core only drives it and never downloads a browser of its own. Playwright gives the
// browser a fresh temporary profile and removes it on close; every agent of a test gets its own
// context (cookies, storage), as if on a machine of their own.
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  throw new Error(`playwright-core is not installed in tests/browser: run scripts/install-browser-deps.sh (${err.message})`);
}

export const CHROMIUM_PATH = process.env.ATIVA_CHROMIUM || '/usr/bin/chromium';

// Headless, and quiet on the network: no QUIC, no first-run pages, no background fetches,
// updates or sync, so a test only ever talks to the gateway under test.
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/** The console's smallest supported size. */
export const VIEWPORT = Object.freeze({ width: 1280, height: 720 });

/**
 * Launch headless Chromium.
 * @returns {Promise<import('playwright-core').Browser>} close it with browser.close().
 */
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
}

/**
 * A new isolated context and page at 1280×720 in pt-BR.
 * @param {import('playwright-core').Browser} browser
 * @param {object} [options] viewport; ignoreHTTPSErrors (default true: the gateway's certificate
 *        comes from a development CA the browser does not know); proxy (Playwright's context proxy,
 *        e.g. { server: 'http://127.0.0.1:PORT' }: every connection of the page goes through it,
 *        localhost included)
 */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({
    viewport: options.viewport ?? VIEWPORT,
    ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? true,
    locale: 'pt-BR',
    timezoneId: 'America/Sao_Paulo',
    ...(options.proxy ? { proxy: options.proxy } : {}),
  });
  return context.newPage();
}
