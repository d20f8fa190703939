// Several people on one line at once, in real Chromium against a real gateway and the Meta
// simulator: two agents share line 1001's queue, one takes a conversation and the other loses
// every trace of it, a supervisor follows it live without being able to write in it; unread
// counts; and a customer's text and profile name that look like HTML stay plain text everywhere.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { launchBrowser } from './lib/browser.mjs';
import { addAgent, AgentPage, eventually, SHOW_TIMEOUT_MS, startStack } from './lib/console.mjs';

const LINE = '1001';
const ANA = '5511987654321';
const JOSE = '5582999448232';
const CARLA = '5511955554444';

// What a customer might write, or call themselves, to make a careless console run their markup.
const MARKUP = '<script>window.__ativaXss = 1</script><img src=x onerror="window.__ativaXss = 2"><b>negrito</b>';
const MARKUP_NAME = '<img src=x onerror="window.__ativaXss = 3"><b>Carla</b>';

const customers = [
  { number: ANA, name: 'Ana Lima', last_inbound_ago_s: 7200 },
  { number: '5511912345678', name: 'Bruno Costa', last_inbound_ago_s: 3 * 86400 },
  // Meta's wa_id for this Brazilian mobile lacks the ninth digit, as the seed's José.
  { number: JOSE, wa_id: '558299448232', name: 'José Nunes' },
  { number: CARLA, name: MARKUP_NAME },
];

/** The customer writes `text` on line 1001 (a signed webhook from the simulator to the gateway). */
function customerWrites(stack, from, text) {
  return stack.control('reply', { from, line: LINE, text });
}

/** The message texts of the Chat, in order. */
function chatTexts(p) {
  return p.testId('messages').locator('[data-testid="message"] [data-testid="message-text"]').allTextContents();
}

/** Waits until the Chat shows a message whose text is exactly `text`. */
async function waitForMessage(p, text, direction) {
  const sel = direction ? `[data-testid="message"][data-direction="${direction}"]` : '[data-testid="message"]';
  await p.page.waitForFunction(
    ([s, t]) => [...document.querySelectorAll(`[data-testid="messages"] ${s} [data-testid="message-text"]`)]
      .some((n) => n.textContent === t),
    [sel, text],
    { timeout: SHOW_TIMEOUT_MS },
  );
}

/**
 * Records, from now on, whether any of `texts` ever appears in the page's DOM text, so that
 * "never shown" covers every moment and not only the instants the test looks.
 */
async function watchNeverShown(p, texts) {
  await p.page.evaluate((list) => {
    window.__ativaShown = window.__ativaShown ?? [];
    const check = () => {
      const all = document.documentElement.textContent;
      for (const t of list) if (all.includes(t) && !window.__ativaShown.includes(t)) window.__ativaShown.push(t);
    };
    check();
    new MutationObserver(check).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
  }, texts);
}

async function shownOfWatched(p) {
  return p.page.evaluate(() => window.__ativaShown ?? []);
}

describe('agents and a supervisor on one line', () => {
  let stack;
  let browser;
  let maria;
  let joao;
  let ana;
  const pages = () => [maria, joao, ana].filter(Boolean);

  before(async () => {
    [stack, browser] = await Promise.all([startStack({ sim: { customers } }), launchBrowser()]);
    const accounts = [
      await addAgent(stack, 'maria', { name: 'Maria Souza', lines: [LINE] }),
      await addAgent(stack, 'joao', { name: 'João Lima', lines: [LINE] }),
      await addAgent(stack, 'ana', { name: 'Ana Ribeiro', role: 'supervisor' }),
    ];
    [maria, joao, ana] = await Promise.all(accounts.map((a) => AgentPage.login(browser, stack, a)));
  });

  after(async () => {
    for (const p of pages()) await p.close().catch(() => {});
    await browser?.close();
    await stack?.stop();
  });

  it('a conversation taken by one agent leaves the other\'s screen; the supervisor follows it read-only', async () => {
    const first = 'Bom dia, meu pedido 4471 não chegou';
    const second = 'Alguém pode me ajudar com o pedido 4471?';
    const reply = 'Olá José, sou a Maria e vou verificar o pedido 4471.';
    await customerWrites(stack, JOSE, first);

    // The queue is shared: both agents of the line see it, and so does the supervisor.
    for (const p of [maria, joao, ana]) {
      const item = p.conversationItem('queue', 'José Nunes');
      await item.waitFor({ timeout: SHOW_TIMEOUT_MS });
      assert.match(await item.textContent(), /pedido 4471 não chegou/);
    }
    await assert.doesNotReject(maria.page.getByRole('list', { name: 'Fila da linha' })
      .getByRole('button', { name: 'Assumir conversa com José Nunes' }).waitFor({ timeout: SHOW_TIMEOUT_MS }));

    await maria.page.getByRole('button', { name: 'Assumir conversa com José Nunes' }).click();

    // Maria: in her Chat and in "Minhas conversas", no longer queued, and she can write.
    await maria.conversationItem('my-conversations', 'José Nunes').waitFor({ timeout: SHOW_TIMEOUT_MS });
    await maria.conversationItem('queue', 'José Nunes').waitFor({ state: 'detached', timeout: SHOW_TIMEOUT_MS });
    await eventually(async () => (await maria.testId('chat-customer').textContent()).includes('José Nunes'), { what: 'José in Maria\'s Chat' });
    await waitForMessage(maria, first, 'in');
    assert.equal(await maria.testId('composer-text').isEnabled(), true);

    // João: it leaves his queue, never reaches his own list, and nothing of it stays on his page.
    await joao.conversationItem('queue', 'José Nunes').waitFor({ state: 'detached', timeout: SHOW_TIMEOUT_MS });
    await joao.testId('queue-empty').waitFor({ timeout: SHOW_TIMEOUT_MS });
    assert.equal(await joao.conversationItem('my-conversations', 'José Nunes').count(), 0);
    assert.equal(await joao.testId('my-conversations-empty').isVisible(), true);
    await watchNeverShown(joao, [first, second, reply, 'José Nunes']);
    assert.deepEqual(await shownOfWatched(joao), [], 'João still shows José\'s conversation');

    // Ana (supervisor): it is Maria's now; she opens it and sees why she cannot write.
    const supervised = ana.conversationItem('my-conversations', 'José Nunes');
    await supervised.filter({ hasText: 'atendente: Maria Souza' }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    assert.equal(await ana.conversationItem('queue', 'José Nunes').count(), 0);
    await supervised.click();
    await waitForMessage(ana, first, 'in');
    await eventually(async () => (await ana.testId('composer-state').textContent()) === 'Conversa de Maria Souza.',
      { what: 'the reason Ana cannot write' });
    assert.equal(await ana.testId('composer-text').isDisabled(), true);
    assert.equal(await ana.testId('composer-send').isDisabled(), true);
    assert.equal(await ana.testId('composer-state').isVisible(), true);

    // The customer writes again: Maria and Ana see it live.
    await customerWrites(stack, JOSE, second);
    await waitForMessage(maria, second, 'in');
    await waitForMessage(ana, second, 'in');

    // Maria answers through her composer: Ana sees the answer arrive.
    await maria.page.getByLabel('Mensagem').fill(reply);
    await maria.page.getByRole('button', { name: 'Enviar' }).click();
    await waitForMessage(maria, reply, 'out');
    await waitForMessage(ana, reply, 'out');
    assert.deepEqual(await chatTexts(ana), [first, second, reply]);
    assert.equal(await ana.testId('composer-text').isDisabled(), true);
    await ana.screenshot('supervisor');
    await eventually(async () => (await stack.control('sent')).requests
      .some((r) => r.path.endsWith('/messages') && JSON.parse(r.body).text?.body === reply), { what: 'the reply at Meta' });

    // Events reach João in the gateway's order: once a later one (Ana Lima writing into the
    // shared queue) is on his screen, everything of José's before it would be too.
    const later = 'Oi, é a Ana Lima, ainda estão aí?';
    await customerWrites(stack, ANA, later);
    await joao.conversationItem('queue', 'Ana Lima').filter({ hasText: later }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    assert.deepEqual(await shownOfWatched(joao), [], 'João saw a piece of José\'s conversation');
    const joaoText = await joao.page.evaluate(() => document.documentElement.textContent);
    for (const t of [first, second, reply]) assert.ok(!joaoText.includes(t), `João's page shows "${t}"`);

    for (const p of pages()) p.assertCleanLog();
  });

  it('counts unread customer messages on a conversation not open, and clears them on opening it', async () => {
    // Maria takes Ana Lima's conversation (queued by the previous test) and so has it open.
    await maria.page.getByRole('button', { name: 'Assumir conversa com Ana Lima' }).click();
    await eventually(async () => (await maria.testId('chat-customer').textContent()).includes('Ana Lima'), { what: 'Ana Lima in Maria\'s Chat' });
    const jose = maria.conversationItem('my-conversations', 'José Nunes');
    assert.equal(await jose.getByTestId('unread-count').count(), 0);

    const unread1 = 'Consegue ver o rastreio?';
    const unread2 = 'O código é BR123';
    await watchNeverShown(joao, [unread1, unread2]);
    await customerWrites(stack, JOSE, unread1);
    const count = jose.locator('[data-testid="unread-count"]');
    await eventually(async () => (await count.textContent({ timeout: 200 })) === '1', { what: 'one unread', timeoutMs: SHOW_TIMEOUT_MS });
    assert.equal(await count.getAttribute('aria-label'), '1 não lidas');
    await customerWrites(stack, JOSE, unread2);
    await eventually(async () => (await count.textContent({ timeout: 200 })) === '2', { what: 'two unread', timeoutMs: SHOW_TIMEOUT_MS });
    // The conversation open meanwhile counts nothing.
    assert.equal(await maria.conversationItem('my-conversations', 'Ana Lima').locator('[data-testid="unread-count"]').count(), 0);

    await jose.click();
    await waitForMessage(maria, unread2, 'in');
    await count.waitFor({ state: 'detached', timeout: SHOW_TIMEOUT_MS });
    assert.equal(await maria.conversationItem('my-conversations', 'José Nunes').locator('[data-testid="unread-count"]').count(), 0);

    // Ana, following José's chat, got them live; João nothing.
    await waitForMessage(ana, unread2, 'in');
    assert.deepEqual(await shownOfWatched(joao), []);
    for (const p of pages()) p.assertCleanLog();
  });

  it('a customer\'s text and profile name that look like HTML are shown as text, never run', async () => {
    await customerWrites(stack, CARLA, MARKUP);

    // In the queue (of both agents of the line): the name and the last message, as text.
    for (const p of [maria, joao]) {
      const item = p.testId('queue').locator('[data-testid="conversation-item"]').filter({ hasText: MARKUP });
      await item.waitFor({ timeout: SHOW_TIMEOUT_MS });
      assert.equal(await item.locator('.name').textContent(), MARKUP_NAME);
      assert.equal(await item.locator('.last').textContent(), MARKUP);
      assert.equal(await item.locator('img, script, b').count(), 0);
    }

    await maria.page.getByRole('button', { name: `Assumir conversa com ${MARKUP_NAME}` }).click();
    await waitForMessage(maria, MARKUP, 'in');
    const text = maria.testId('messages').locator('[data-testid="message"][data-direction="in"] [data-testid="message-text"]').last();
    assert.equal(await text.textContent(), MARKUP);
    assert.equal(await maria.testId('messages').locator('img, script, b').count(), 0);
    assert.ok((await maria.testId('chat-customer').textContent()).startsWith(`${MARKUP_NAME} · `));
    assert.equal(await maria.testId('chat-customer').locator('*').count(), 0);
    const mine = maria.conversationItem('my-conversations', MARKUP);
    assert.equal(await mine.locator('.name').textContent(), MARKUP_NAME);
    assert.equal(await mine.locator('.last').textContent(), MARKUP);

    // The supervisor's list shows it too, inert.
    const supervised = ana.conversationItem('my-conversations', MARKUP);
    await supervised.waitFor({ timeout: SHOW_TIMEOUT_MS });
    assert.equal(await supervised.locator('.name').textContent(), MARKUP_NAME);

    for (const p of pages()) {
      for (const list of ['my-conversations', 'queue', 'messages'])
        assert.equal(await p.testId(list).locator('img, script, b').count(), 0, `markup became elements in ${list}`);
      assert.equal(await p.page.evaluate(() => typeof window.__ativaXss), 'undefined');
      p.assertCleanLog();
    }
  });
});
