// How long a customer's message takes to appear in an agent's open chat, end to end: the
// simulator posts the signed webhook, the gateway commits it, pushes the event over WSS, and the
// console in Chromium draws it. Measured twice in one run, side by side: with an almost empty
// console, and with QUEUE_SIZE further conversations waiting in the line's queue (each one a
// list item the console keeps up to date every second). Also: how long a loaded login page takes
// from the click on "Entrar" to a live screen listing those conversations.
//
// Usage: node bench/console_latency.mjs [SAMPLES] [QUEUE_SIZE]   (scripts/bench-console.sh)
// Prints medians, 95th percentiles and the ratio loaded/empty.
import { performance } from 'node:perf_hooks';

import { launchBrowser, newPage } from '../tests/browser/lib/browser.mjs';
import { AgentPage, addAgent, consoleUrl, eventually, startStack } from '../tests/browser/lib/console.mjs';

const SAMPLES = Number(process.argv[2] ?? 100);
const QUEUE_SIZE = Number(process.argv[3] ?? 300);
const LINE = '1001';
const ANA = '5511987654321';

const now = () => performance.timeOrigin + performance.now();

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summary(values) {
  const s = [...values].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p95: quantile(s, 0.95), max: s[s.length - 1] };
}

const fmt = (ms) => `${ms.toFixed(1)} ms`;

/** Records, in the page, the instant each message text starting with `prefix` is first drawn. */
async function watchMessages(page, prefix) {
  await page.evaluate((p) => {
    window.__drawn = new Map();
    const record = () => {
      for (const n of document.querySelectorAll('[data-testid="message-text"]')) {
        const t = n.textContent;
        if (t.startsWith(p) && !window.__drawn.has(t)) window.__drawn.set(t, performance.timeOrigin + performance.now());
      }
    };
    new MutationObserver(record).observe(document.getElementById('messages'), { childList: true, subtree: true });
  }, prefix);
}

async function measure(stack, page, label, samples) {
  const latencies = [];
  for (let i = 0; i < samples; i++) {
    const text = `${label}-${i}`;
    const sent = now();
    await stack.control('reply', { from: ANA, line: LINE, text });
    const drawn = await page.waitForFunction((t) => window.__drawn.get(t), text, { polling: 5, timeout: 10000 });
    latencies.push((await drawn.jsonValue()) - sent);
  }
  return summary(latencies);
}

async function main() {
  const stack = await startStack({ gateway: { log: { level: 'warn' } } });
  const browser = await launchBrowser();
  try {
    const login = await addAgent(stack, 'maria', { name: 'Maria Souza', lines: [LINE] });
    const maria = await AgentPage.login(browser, stack, login);
    await stack.control('reply', { from: ANA, line: LINE, text: 'Oi' });
    await maria.testId('take-conversation').first().click();
    await maria.page.locator('[data-testid="message"]', { hasText: 'Oi' }).waitFor();
    await watchMessages(maria.page, 'bench');

    // Warm-up: TLS sessions, JIT, the store's first pages.
    await measure(stack, maria.page, 'bench-warm', 10);
    const empty = await measure(stack, maria.page, 'bench-empty', SAMPLES);

    // QUEUE_SIZE customers write; each conversation waits in the queue of Maria's console.
    for (let i = 0; i < QUEUE_SIZE; i++) {
      await stack.control('reply', { from: `55119${String(70000000 + i).padStart(8, '0')}`, line: LINE, text: `fila ${i}` });
    }
    await eventually(async () => (await maria.testId('queue').locator('li').count()) === QUEUE_SIZE,
      { timeoutMs: 120000, intervalMs: 250, what: `${QUEUE_SIZE} queued conversations` });
    const loaded = await measure(stack, maria.page, 'bench-loaded', SAMPLES);

    // A fresh page, loaded and filled in: from the click on "Entrar" to a live screen with the
    // whole queue drawn (the password check on the gateway is part of it).
    const loads = [];
    for (let i = 0; i < 5; i++) {
      const fresh = new AgentPage(await newPage(browser));
      await fresh.page.goto(consoleUrl(stack));
      await fresh.page.getByLabel('Usuário').fill(login.login);
      await fresh.page.getByLabel('Senha').fill(login.password);
      const t0 = now();
      await fresh.page.getByRole('button', { name: 'Entrar' }).click();
      await fresh.page.waitForFunction((n) => document.querySelectorAll('[data-testid="queue"] li').length === n
        && document.querySelector('[data-testid="connection-state"]').dataset.state === 'live', QUEUE_SIZE, { polling: 5, timeout: 30000 });
      loads.push(now() - t0);
      fresh.assertCleanLog();
      await fresh.close();
    }
    const load = summary(loads);

    console.log(`customer message -> drawn in the open chat (${SAMPLES} sequential samples each)`);
    console.log(`  console with 1 conversation      median ${fmt(empty.median)}  p95 ${fmt(empty.p95)}  max ${fmt(empty.max)}`);
    console.log(`  with ${QUEUE_SIZE} more in the queue     median ${fmt(loaded.median)}  p95 ${fmt(loaded.p95)}  max ${fmt(loaded.max)}`);
    console.log(`  ratio loaded/empty               median ${(loaded.median / empty.median).toFixed(2)}  p95 ${(loaded.p95 / empty.p95).toFixed(2)}`);
    console.log(`"Entrar" clicked -> live screen with ${QUEUE_SIZE} queued conversations drawn (5 logins)`);
    console.log(`  median ${fmt(load.median)}  max ${fmt(load.max)}`);
    maria.assertCleanLog();
  } finally {
    await browser.close();
    await stack.stop();
  }
}

await main();
