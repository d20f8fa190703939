// The console when time and the network work against the agent, in Chromium against a real
// gateway and the Meta simulator:
//   1. the 24-hour window (shortened) runs out while the chat is open: the alert with
//      "+Selecionar Template" and the disabled composer appear by themselves at the instant the
//      gateway gave, and the customer's next message clears them;
//   2. the connection drops and comes back without losing or repeating a message: (a) the gateway
//      restarts while the customer writes; (b) the page's network path is cut while the gateway
//      stays up (an HTTP CONNECT proxy of the page's context drops every TCP connection: Chromium's
//      offline emulation does not close an open WebSocket, so it cannot stand for a lost network).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { launchBrowser } from './lib/browser.mjs';
import { AgentPage, SHOW_TIMEOUT_MS, addAgent, eventually, startCutPath, startGateway, startStack } from './lib/console.mjs';

const LINE = '1001';
const ANA = '5511987654321';

// Chromium reports a WebSocket that cannot be opened as a console error, whatever the page does
// about it. These are the only ones a test below provokes: the gateway down (connection refused,
// or 503 if an attempt reaches it while it is still stopping) and the cut network path (the proxy
// refuses the tunnel).
const WS_REFUSED = /^console: WebSocket connection to 'wss:\/\/localhost:\d+\/ws' failed: Error in connection establishment: net::ERR_CONNECTION_REFUSED$/;
const WS_STOPPING = /^console: WebSocket connection to 'wss:\/\/localhost:\d+\/ws' failed: Error during WebSocket handshake: Unexpected response code: 503$/;
const WS_NO_TUNNEL = /^console: WebSocket connection to 'wss:\/\/localhost:\d+\/ws' failed: Establishing a tunnel via proxy server failed\.$/;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** The customer writes on line 1001; resolves to the simulator's answer (wamid, webhook_seq). */
function customerWrites(stack, text) {
  return stack.control('reply', { from: ANA, line: LINE, text });
}

/** The simulator's record of one webhook (state, attempts, last_status). */
async function webhook(stack, seq) {
  const { webhooks } = await stack.control(`webhooks?since=${seq - 1}`);
  return webhooks.find((w) => w.seq === seq);
}

/** Texts of the current conversation's messages in Chat, in the order shown. */
function shownTexts(p, direction) {
  return p.testId('messages').locator(`[data-testid="message"][data-direction="${direction}"] [data-testid="message-text"]`).allTextContents();
}

async function waitMessage(p, text, timeout = SHOW_TIMEOUT_MS) {
  await p.testId('messages').locator('[data-testid="message"]', { hasText: text }).first().waitFor({ timeout });
}

/** The customer's first message lands in the line's queue; the agent clicks "Assumir". */
async function takeFromQueue(p, customerName) {
  await p.testId('queue').getByRole('button', { name: `Assumir conversa com ${customerName}` }).click();
  await p.conversationItem('my-conversations', customerName).waitFor();
  await p.page.locator('[data-testid="composer-text"]:enabled').waitFor();
}

/** The agent types into the composer and presses Enviar; waits until the message is listed. */
async function agentSends(p, text) {
  await p.page.getByLabel('Mensagem', { exact: true }).fill(text);
  await p.page.getByRole('button', { name: 'Enviar' }).click();
  await waitMessage(p, text);
}

/** Seconds left in "Janela: 00:00:07 restantes", or null. */
function countdownSeconds(text) {
  const m = /^Janela: (\d\d):(\d\d):(\d\d) restantes$/.exec(text);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

describe('1. the window expires while the chat is open', () => {
  const WINDOW_MS = 8000;
  let stack;
  let maria;

  before(async () => {
    stack = await startStack({ gateway: { window_ms: WINDOW_MS } });
    maria = await addAgent(stack, 'maria', { name: 'Maria Souza', lines: [LINE] });
  });
  after(async () => {
    await stack?.stop();
  });

  it('closes the chat by itself at the instant, and the customer\'s reply opens it again', async () => {
    const p = await AgentPage.login(browser, stack, maria);
    await customerWrites(stack, 'Oi, meu pedido atrasou');
    await takeFromQueue(p, 'Ana Lima');
    await waitMessage(p, 'Oi, meu pedido atrasou');

    // The instant the gateway gave for this window, as the console received it.
    const taken = p.frames.find((f) => f.dir === 'received' && f.frame.type === 'reply' && f.frame.data?.conversation?.owner &&
      f.frame.data.conversation.customer === ANA);
    assert.ok(taken, 'the take reply reached the console');
    const expiresAt = taken.frame.data.conversation.expires_at_ms;
    assert.ok(Number.isInteger(expiresAt) && expiresAt > Date.now() + 1000, `the window is still open (${expiresAt - Date.now()} ms left)`);

    // A live countdown: two different readings, going down.
    const countdown = p.testId('window-countdown');
    const first = await countdown.textContent();
    assert.ok(countdownSeconds(first) !== null && countdownSeconds(first) <= WINDOW_MS / 1000, `countdown: "${first}"`);
    await p.page.waitForFunction((before) => {
      const now = document.querySelector('[data-testid="window-countdown"]').textContent;
      return now !== before && /^Janela: \d\d:\d\d:\d\d restantes$/.test(now);
    }, first, { timeout: 3000 });
    const second = await countdown.textContent();
    assert.ok(countdownSeconds(second) < countdownSeconds(first), `"${first}" then "${second}"`);
    assert.equal(await p.testId('window-alert').isVisible(), false);
    assert.equal(await p.testId('composer-text').isEnabled(), true);
    assert.equal(await p.testId('composer-state').textContent(), '');

    // Nothing is clicked or reloaded from here: the page notices the expiry on its own. The page
    // stamps the first frame in which the alert is visible.
    const shownAt = await (await p.page.waitForFunction(() => {
      const a = document.querySelector('[data-testid="window-alert"]');
      return a.checkVisibility() ? Date.now() : false;
    }, null, { polling: 'raf', timeout: expiresAt - Date.now() + 5000 })).jsonValue();
    const late = shownAt - expiresAt;
    console.log(`expiry alert shown ${late} ms after expires_at_ms`);
    assert.ok(late >= -250, `the alert came ${-late} ms before the window's end`);
    assert.ok(late <= 2000, `the alert came ${late} ms after the window's end`);

    assert.match(await p.testId('window-alert-text').textContent(), /^Já se passaram mais de 24 horas desde a última mensagem do cliente\./);
    const selectTemplate = p.page.getByRole('button', { name: '+Selecionar Template' });
    await selectTemplate.waitFor();
    assert.equal(await selectTemplate.isEnabled(), true);
    await p.page.locator('[data-testid="composer-text"]:disabled').waitFor();
    assert.equal(await p.testId('composer-send').isDisabled(), true);
    assert.equal(await p.testId('composer-state').textContent(), 'A janela de 24 horas está fechada: envie um modelo (+Selecionar Template).');
    assert.equal(await countdown.textContent(), 'Janela fechada');
    const itemWindow = p.conversationItem('my-conversations', 'Ana Lima').locator('[data-testid="conversation-window"]');
    await itemWindow.and(p.page.locator('[data-open="false"]')).waitFor({ timeout: 2000 });
    assert.equal(await itemWindow.textContent(), 'janela fechada');
    await p.screenshot('expired');

    // The customer writes again: the window opens and the alert goes, by itself.
    await customerWrites(stack, 'Ainda estou esperando');
    await waitMessage(p, 'Ainda estou esperando');
    await p.testId('window-alert').waitFor({ state: 'hidden' });
    await p.page.locator('[data-testid="composer-text"]:enabled').waitFor();
    assert.equal(await p.testId('composer-state').textContent(), '');
    assert.equal(await selectTemplate.isVisible(), false);
    await itemWindow.and(p.page.locator('[data-open="true"]')).waitFor({ timeout: 2000 });
    assert.match(await countdown.textContent(), /^Janela: 00:00:0\d restantes$/);
    assert.deepEqual(await shownTexts(p, 'in'), ['Oi, meu pedido atrasou', 'Ainda estou esperando']);

    p.assertCleanLog();
    await p.close();
  });
});

describe('2. the connection drops and resumes without losing a message', () => {
  let stack;
  let maria;
  let cutPath;

  before(async () => {
    // The simulator keeps trying a webhook for about 25 s (200 ms doubling, 8 attempts), longer
    // than the gateway's restart.
    stack = await startStack({ sim: { webhook_max_attempts: 8, webhook_retry_ms: 200 } });
    maria = await addAgent(stack, 'maria', { name: 'Maria Souza', lines: [LINE] });
    cutPath = await startCutPath();
  });
  after(async () => {
    await cutPath?.close();
    await stack?.stop();
  });

  /** The console says, on screen, that it is offline and that sending waits for the connection. */
  async function assertOffline(p) {
    await p.page.locator('[data-testid="connection-state"][data-state="reconnecting"]').waitFor({ timeout: 5000 });
    await p.page.locator('[data-testid="app"][data-live="false"]').waitFor();
    const banner = p.testId('offline-banner');
    await banner.waitFor();
    assert.match(await banner.textContent(), /^(O servidor está reiniciando|Sem conexão com o servidor)\. Nova tentativa em \d+ s\./);
    await p.page.locator('[data-testid="composer-text"]:disabled').waitFor();
    assert.equal(await p.testId('composer-send').isDisabled(), true);
    assert.equal(await p.testId('composer-state').textContent(), 'Sem conexão: aguarde a reconexão para enviar.');
  }

  /** The newest seq the page received: its last event, or the resume point if no event came since. */
  function lastSeqReceived(p) {
    const received = p.frames.filter((f) => f.dir === 'received');
    return Math.max(0,
      ...received.filter((f) => f.frame.type === 'event').map((f) => f.frame.seq),
      ...received.filter((f) => f.frame.type === 'reply' && Number.isInteger(f.frame.data?.last_seq)).map((f) => f.frame.data.last_seq));
  }

  /** Since frame `from`, the console resumed from `seq` once it could, and needed no resync. */
  function assertResumedFrom(p, from, seq) {
    const since = p.frames.slice(from);
    const resumes = since.filter((f) => f.dir === 'sent' && f.frame.type === 'resume');
    assert.ok(resumes.length >= 1, 'the console sent resume after the drop');
    assert.ok(resumes.every((f) => f.frame.last_seq === seq), `resume from the last event applied (${seq}): ${resumes.map((f) => f.frame.last_seq)}`);
    assert.equal(since.some((f) => f.dir === 'received' && f.frame.type === 'resync'), false, 'no resync needed');
  }

  /** Each text once, in this order, and every message with its own seq. */
  async function assertShownOnce(p, direction, texts) {
    assert.deepEqual(await shownTexts(p, direction), texts);
    const seqs = await p.testId('messages').locator('[data-testid="message"]').evaluateAll((ns) => ns.map((n) => n.dataset.seq));
    assert.equal(new Set(seqs).size, seqs.length, `a message shown twice: seqs ${seqs}`);
  }

  it('(a) the gateway restarts while the customer writes: the console reconnects and shows it once', async () => {
    const p = await AgentPage.login(browser, stack, maria);
    await customerWrites(stack, 'Oi, preciso de ajuda');
    await takeFromQueue(p, 'Ana Lima');
    await agentSends(p, 'Olá Ana, estou verificando.');

    const stopped = await stack.gateway.stop();
    assert.equal(stopped.code, 0);
    const downAt = Date.now();
    await assertOffline(p);
    const seenSeq = lastSeqReceived(p);
    const framesBefore = p.frames.length;

    // The customer writes during the outage: the simulator's webhook fails and is retried.
    const during = await customerWrites(stack, 'Escrevi enquanto vocês estavam fora');
    await eventually(async () => (await webhook(stack, during.webhook_seq))?.attempts >= 2,
      { timeoutMs: 5000, what: 'the webhook retried while the gateway is down' });
    assert.notEqual((await webhook(stack, during.webhook_seq)).state, 'delivered');
    // The console's own attempt failed too (the first banner speaks of the announced restart).
    await p.testId('offline-banner').filter({ hasText: /^Sem conexão com o servidor\. Nova tentativa em \d+ s\./ }).waitFor({ timeout: 5000 });
    await assertOffline(p);
    await p.screenshot('reconnecting');

    stack.gateway = await startGateway({ dir: stack.dir, config: stack.config });
    const upAt = Date.now();
    await p.waitLive(15000);
    const liveAt = Date.now();
    console.log(`gateway down ${upAt - downAt} ms; console live ${liveAt - upAt} ms after the gateway was healthy`);
    await p.testId('offline-banner').waitFor({ state: 'hidden' });

    await waitMessage(p, 'Escrevi enquanto vocês estavam fora', 15000);
    await customerWrites(stack, 'E agora, depois da volta');
    await waitMessage(p, 'E agora, depois da volta');
    await assertShownOnce(p, 'in', ['Oi, preciso de ajuda', 'Escrevi enquanto vocês estavam fora', 'E agora, depois da volta']);
    assertResumedFrom(p, framesBefore, seenSeq);

    // The agent can send again, and it reaches the customer once.
    await p.page.locator('[data-testid="composer-text"]:enabled').waitFor();
    await agentSends(p, 'Recebi, já resolvo.');
    await assertShownOnce(p, 'out', ['Olá Ana, estou verificando.', 'Recebi, já resolvo.']);
    await eventually(async () => {
      const texts = (await stack.control('sent')).requests.filter((r) => r.path.endsWith('/messages')).map((r) => JSON.parse(r.body).text?.body);
      return texts.filter((t) => t === 'Recebi, já resolvo.').length === 1;
    }, { what: 'the text at Meta, once' });

    // The gateway going down is provoked here: Chromium logs each refused reconnection.
    p.assertCleanLog([WS_REFUSED, WS_STOPPING]);
    await p.close();
  });

  it('(b) the network drops while the gateway stays up: the console resumes from its last event', async () => {
    const p = await AgentPage.login(browser, stack, maria, { proxy: { server: cutPath.server } });
    await p.conversationItem('my-conversations', 'Ana Lima').click();
    await waitMessage(p, 'Recebi, já resolvo.');
    const before = ['Oi, preciso de ajuda', 'Escrevi enquanto vocês estavam fora', 'E agora, depois da volta'];
    await assertShownOnce(p, 'in', before);

    cutPath.setDown(true);
    assert.ok(cutPath.cut() >= 1, 'the page had a connection to cut');
    const cutAt = Date.now();
    await assertOffline(p);
    const seenSeq = lastSeqReceived(p);
    const framesBefore = p.frames.length;

    // The customer writes twice while this console is cut off; the gateway takes both.
    const sent = [await customerWrites(stack, 'Primeira durante a queda'), await customerWrites(stack, 'Segunda durante a queda')];
    for (const s of sent)
      await eventually(async () => (await webhook(stack, s.webhook_seq))?.state === 'delivered', { what: 'the webhook at the gateway' });
    // The console tries again during the cut, and Chromium reports the refused tunnel.
    await eventually(() => p.errors.some((e) => WS_NO_TUNNEL.test(e)), { what: 'a reconnection attempt during the cut' });
    await assertOffline(p);
    assert.deepEqual(await shownTexts(p, 'in'), before, 'nothing new reaches a cut console');

    cutPath.setDown(false);
    const upAt = Date.now();
    await p.waitLive(15000);
    const liveAt = Date.now();
    console.log(`network cut ${upAt - cutAt} ms; console live ${liveAt - upAt} ms after the path was back`);
    await waitMessage(p, 'Segunda durante a queda');
    await assertShownOnce(p, 'in', [...before, 'Primeira durante a queda', 'Segunda durante a queda']);

    // It resumed from the last event it had applied, and the gateway replayed the rest.
    assertResumedFrom(p, framesBefore, seenSeq);

    await agentSends(p, 'Tudo certo por aqui.');
    await assertShownOnce(p, 'out', ['Olá Ana, estou verificando.', 'Recebi, já resolvo.', 'Tudo certo por aqui.']);

    // The cut is provoked here: Chromium logs each reconnection the proxy refused.
    p.assertCleanLog([WS_NO_TUNNEL]);
    await p.close();
  });
});
