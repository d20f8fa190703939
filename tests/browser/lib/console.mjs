// The console as an agent sees it: a real gateway and the Meta simulator (the integration tests'
// stack), an agent account made with ativa-admin, and a Chromium page logged in to the console.
// Every page records what the browser logged as an error, so that each test can require a clean
// log.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

import { addAgent } from '../../integration/console.mjs';
import { startStack } from '../../integration/harness.mjs';
import { newPage } from './browser.mjs';

export { addAgent, startStack };
export { eventually, startGateway } from '../../integration/harness.mjs';

/** How long a test waits for the console to show something (the default of every wait below). */
export const SHOW_TIMEOUT_MS = 10000;

/** The console's address on a stack (the origin the gateway allows). */
export function consoleUrl(stack) {
  return `https://localhost:${stack.config.listen.port}/`;
}

/** A locator by data-testid, from a page or a locator. */
export function byTestId(scope, id) {
  return scope.locator(`[data-testid="${id}"]`);
}

export class AgentPage {
  /**
   * @param {import('playwright-core').Page} page
   */
  constructor(page) {
    this.page = page;
    /** Browser log entries of type error, uncaught exceptions, and failed requests. */
    this.errors = [];
    page.setDefaultTimeout(SHOW_TIMEOUT_MS);
    page.on('console', (m) => {
      if (m.type() === 'error') this.errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.errors.push(`uncaught: ${e.message}`));
    /**
     * Every JSON frame of the page's WebSockets, in order: {dir: 'sent'|'received', at (ms since
     * epoch), frame}. For checking what the console asked and what the gateway gave (a resume's
     * last_seq, an expires_at_ms); a test never acts through it.
     */
    this.frames = [];
    page.on('websocket', (ws) => {
      const record = (dir) => ({ payload }) => {
        try {
          this.frames.push({ dir, at: Date.now(), frame: JSON.parse(payload) });
        } catch {
          /* not JSON: not an ativa.v1 frame */
        }
      };
      ws.on('framesent', record('sent'));
      ws.on('framereceived', record('received'));
    });
  }

  /**
   * Open the console in a new context of `browser` and log in as `agent` ({login, password});
   * `options` go to newPage (viewport, proxy).
   */
  static async login(browser, stack, agent, options = {}) {
    const p = new AgentPage(await newPage(browser, options));
    p.stack = stack;
    await p.page.goto(consoleUrl(stack));
    await p.page.getByLabel('Usuário').fill(agent.login);
    await p.page.getByLabel('Senha').fill(agent.password);
    await p.page.getByRole('button', { name: 'Entrar' }).click();
    await p.waitLive();
    return p;
  }

  testId(id) {
    return byTestId(this.page, id);
  }

  /** Waits until the console says it is connected and showing live state. */
  async waitLive(timeout = SHOW_TIMEOUT_MS) {
    await this.page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout });
    await this.page.locator('[data-testid="app"][data-live="true"]').waitFor({ timeout });
  }

  /** The list item of the conversation with `number` (digits) in "Minhas conversas" or the queue. */
  conversationItem(listTestId, text) {
    return this.testId(listTestId).locator('[data-testid="conversation-item"]', { hasText: text });
  }

  /**
   * The visible controls without an accessible name (a <label>, aria-label or aria-labelledby,
   * or a button's own text): each is described by its tag and data-testid or id.
   */
  unlabelledControls() {
    return this.page.evaluate(() => {
      const visible = (n) => n.getClientRects().length > 0 && getComputedStyle(n).visibility !== 'hidden';
      const named = (n) =>
        (n.labels && [...n.labels].some((l) => l.textContent.trim() !== '')) ||
        (n.getAttribute('aria-label') ?? '').trim() !== '' ||
        (n.getAttribute('aria-labelledby') ?? '').split(/\s+/).some((id) => document.getElementById(id)?.textContent.trim()) ||
        (n.tagName === 'BUTTON' && n.textContent.trim() !== '');
      return [...document.querySelectorAll('input, select, textarea, button')]
        .filter((n) => visible(n) && !named(n))
        .map((n) => `${n.tagName.toLowerCase()}[${n.dataset.testid ?? n.id}]`);
    });
  }

  /** Whether the page scrolls horizontally (x) or vertically (y) at the current viewport. */
  overflow() {
    return this.page.evaluate(() => {
      const d = document.documentElement;
      return { x: d.scrollWidth > d.clientWidth, y: d.scrollHeight > d.clientHeight };
    });
  }

  /** The toasts' texts of a kind ('success' or 'error') shown now. */
  async toasts(kind) {
    return this.page.locator(`[data-testid="toast"][data-kind="${kind}"]`).allTextContents();
  }

  /**
   * Fails the test if the browser logged an error, except entries matching one of `allowed`
   * (regular expressions, for errors a test provokes on purpose and names).
   */
  assertCleanLog(allowed = []) {
    const unexpected = this.errors.filter((e) => !allowed.some((re) => re.test(e)));
    assert.deepEqual(unexpected, [], 'the browser logged errors');
  }

  /** Saves a screenshot as NAME.png when ATIVA_SCREENSHOTS_DIR is set (scripts/screenshots.sh). */
  async screenshot(name) {
    const dir = process.env.ATIVA_SCREENSHOTS_DIR;
    if (!dir) return;
    await mkdir(dir, { recursive: true });
    // Let transitions and the countdown settle so the picture shows a resting screen.
    await this.page.waitForTimeout(300);
    await this.page.screenshot({ path: path.join(dir, `${name}.png`) });
  }

  async close() {
    await this.page.context().close();
  }
}

/**
 * Picks an option of a <select> by its visible text (a substring), as an agent would.
 * @param {import('playwright-core').Locator} select
 */
export async function chooseOption(select, text) {
  const value = await select.evaluate((node, t) => {
    const option = [...node.options].find((o) => o.textContent.includes(t));
    return option ? option.value : null;
  }, text);
  assert.notEqual(value, null, `no option "${text}"`);
  await select.selectOption(value);
}

/**
 * A network path a test can cut: an HTTP CONNECT proxy on 127.0.0.1 for a page's context
 * (newPage / AgentPage.login option `proxy: { server: path.server }`). Every TCP connection of the
 * page (TLS passes through untouched) is a tunnel the test can drop, while the gateway stays up.
 *   cut()         destroys every open tunnel, both sides, as a network that fails does: the page
 *                 sees its connections end without a WebSocket close frame (code 1006)
 *   setDown(bool) while down, new tunnels are refused (502), so the page cannot reconnect
 *   close()       stops the proxy and drops what is left
 */
export async function startCutPath() {
  const tunnels = new Set();
  let down = false;
  const server = http.createServer((req, res) => {
    res.writeHead(405).end(); // only CONNECT is proxied
  });
  server.on('connect', (req, client, head) => {
    const m = /^([^:]+):(\d+)$/.exec(req.url);
    if (down || !m) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(m[2]), m[1] === 'localhost' ? '127.0.0.1' : m[1]);
    const tunnel = { client, upstream };
    tunnels.add(tunnel);
    const drop = () => {
      tunnels.delete(tunnel);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.on('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head?.length) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server: `http://127.0.0.1:${server.address().port}`,
    /** Open tunnels now. */
    get open() {
      return tunnels.size;
    },
    cut() {
      const n = tunnels.size;
      for (const t of [...tunnels]) {
        t.client.destroy();
        t.upstream.destroy();
      }
      tunnels.clear();
      return n;
    },
    setDown(value) {
      down = Boolean(value);
    },
    async close() {
      this.cut();
      server.close();
      await once(server, 'close');
    },
  };
}
