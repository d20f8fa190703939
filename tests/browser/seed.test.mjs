// The seed's story in the browser (../shared/seed, PRODUCT.md "What must happen"), one agent in
// Chromium against a real gateway and the Meta simulator: the queue; "Nova Conversa" with the
// window open (the chat opens with the last conversation's history); with the window closed
// (the pop-up grows the alert, "Escolher Modelo" and "Texto do Modelo", Meta's parameter rules);
// the composer disabled until the customer replies; "+Selecionar Template" sending a second
// template; "Finalizar Atendimento" with both notifications; "Histórico" listing it; and
// "+ Iniciar Nova Conversa" from the history, for a customer whose window is open and one whose
// window closed days ago.
//
// With ATIVA_SCREENSHOTS_DIR set (scripts/screenshots.sh) it also saves the screens for docs/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { buildDir, run } from '../integration/harness.mjs';
import { launchBrowser, newPage } from './lib/browser.mjs';
import { AgentPage, SHOW_TIMEOUT_MS, addAgent, chooseOption, consoleUrl, eventually, startGateway, startStack } from './lib/console.mjs';

const LINE = '1001';
const ANA = '5511987654321';
const BRUNO = '5511912345678';
const CARLOS = '5511976543210';
const admin = path.join(buildDir, 'tools', 'ativa-admin');

/** The message bodies that reached the simulator's /messages endpoint. */
async function sentBodies(stack) {
  const { requests } = await stack.control('sent');
  return requests.filter((r) => r.path.endsWith('/messages')).map((r) => JSON.parse(r.body));
}

async function adminRun(stack, ...args) {
  const r = await run(admin, ['--data', stack.config.data_dir, ...args]);
  assert.equal(r.code, 0, `ativa-admin ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('the seed, in the browser', () => {
  let stack;
  let browser;
  let maria;
  let login;

  before(async () => {
    stack = await startStack({
      sim: {
        customers: [
          { number: ANA, name: 'Ana Lima', last_inbound_ago_s: 7200 },
          { number: BRUNO, name: 'Bruno Costa', last_inbound_ago_s: 3 * 86400 },
          { number: CARLOS, name: 'Carlos Pereira', last_inbound_ago_s: 3 * 86400 },
        ],
      },
    });
    login = await addAgent(stack, 'maria', { name: 'Maria Souza', lines: [LINE] });
    // Carlos was served three days ago: his attendance is in the history and his window is
    // closed. The store's write commands want the gateway stopped.
    const stopped = await stack.gateway.stop();
    assert.equal(stopped.code, 0);
    await adminRun(stack, 'seed-inbound', LINE, CARLOS, 'Carlos Pereira', String(3 * 86400), 'Obrigado pelo atendimento!');
    await adminRun(stack, 'finalize', LINE, CARLOS, 'maria', 'Cobrança', 'Cliente agradeceu; boleto enviado.');
    stack.gateway = await startGateway({ dir: stack.dir, config: stack.config });
    browser = await launchBrowser();
  });

  after(async () => {
    await maria?.close();
    await browser?.close();
    const r = await stack?.stop();
    assert.equal(r?.code, 0);
  });

  it('logs in and shows the agent, the connection and an empty screen', async () => {
    if (process.env.ATIVA_SCREENSHOTS_DIR) {
      // The login screen, for the documentation only.
      const p = new AgentPage(await newPage(browser));
      await p.page.goto(consoleUrl(stack));
      await p.testId('login-form').waitFor();
      await p.screenshot('login');
      await p.close();
    }
    maria = await AgentPage.login(browser, stack, login);
    const page = maria.page;
    assert.equal(await maria.testId('agent-name').textContent(), 'Maria Souza');
    await maria.testId('my-conversations-empty').waitFor();
    await maria.testId('queue-empty').waitFor();
    assert.equal(await maria.testId('chat-empty').isVisible(), true);
    assert.equal(await page.getByRole('button', { name: 'Nova Conversa' }).isEnabled(), true);
    assert.deepEqual(await maria.overflow(), { x: false, y: false }, 'the three columns fit 1280×720');
    assert.deepEqual(await maria.unlabelledControls(), []);
    maria.assertCleanLog();
  });

  it('1. window open: the queued conversation is taken, then "Nova Conversa" opens a chat with the last conversation\'s history', async () => {
    const page = maria.page;
    await stack.control('reply', { from: ANA, line: LINE, text: 'Oi, quero saber do meu pedido' });
    const queued = maria.conversationItem('queue', 'Ana Lima');
    await queued.waitFor();
    assert.equal(await queued.locator('[data-testid="conversation-window"]').getAttribute('data-open'), 'true');
    assert.match(await queued.textContent(), /janela aberta · \d+ h \d+ min|janela aberta/);
    await maria.screenshot('queue');

    await maria.testId('take-conversation').first().click();
    await maria.conversationItem('my-conversations', 'Ana Lima').waitFor();
    await maria.testId('queue-empty').waitFor();
    await page.locator('[data-testid="message"][data-direction="in"]', { hasText: 'Oi, quero saber do meu pedido' }).waitFor();
    await maria.testId('finalize').click();
    await page.locator('[data-testid="toast"][data-kind="success"]', { hasText: 'Atendimento finalizado.' }).waitFor();
    await maria.testId('chat-finalized').waitFor();
    await maria.testId('my-conversations-empty').waitFor();

    // "Nova Conversa": a pasted, formatted number is cleaned; a bad one is explained.
    await page.getByRole('button', { name: 'Nova Conversa' }).click();
    const dialog = maria.testId('new-conversation-dialog');
    await dialog.waitFor();
    const to = dialog.getByLabel('Para');
    const create = dialog.getByRole('button', { name: '+Criar Conversa' });
    await to.fill('11 9876');
    const feedback = maria.testId('nc-to-feedback');
    assert.equal(await feedback.getAttribute('data-ok'), 'false');
    assert.ok((await feedback.textContent()).length > 10, 'the problem is said in words');
    assert.equal(await create.isDisabled(), true);
    await to.fill('+55 (11) 98765-4321');
    assert.equal(await feedback.getAttribute('data-ok'), 'true');
    assert.match(await feedback.textContent(), /5511987654321/);
    assert.equal(await maria.testId('nc-template-part').isHidden(), true);
    assert.equal(await create.isEnabled(), true);
    await maria.screenshot('new-conversation');
    await create.click();

    // The chat opens at once, with the previous conversation above the current one.
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('[data-testid="previous-message"]', { hasText: 'Oi, quero saber do meu pedido' }).waitFor();
    await maria.testId('previous-divider').waitFor();
    assert.match(await maria.testId('chat-customer').textContent(), /Ana Lima/);
    assert.equal(await maria.testId('window-alert').isHidden(), true);
    assert.match(await maria.testId('window-countdown').textContent(), /^Janela: .+ restantes$/);
    const composer = page.getByLabel('Mensagem');
    assert.equal(await composer.isEnabled(), true);

    // The agent writes freely; delivery statuses arrive live.
    await composer.fill('Olá Ana, seu pedido saiu hoje.');
    await composer.press('Enter');
    const mine = page.locator('[data-testid="message"][data-direction="out"]', { hasText: 'Olá Ana, seu pedido saiu hoje.' });
    await mine.waitFor();
    await page.locator('[data-testid="message"][data-direction="out"][data-status="read"]', { hasText: 'Olá Ana' }).waitFor();
    assert.equal(await mine.locator('[data-testid="message-status"]').textContent(), 'lida');
    assert.ok((await sentBodies(stack)).some((b) => b.type === 'text' && b.to === ANA && b.text.body === 'Olá Ana, seu pedido saiu hoje.'));
    await maria.screenshot('chat-open');
    maria.assertCleanLog();
  });

  it('shows a message WhatsApp refused as failed, with the reason in words', async () => {
    const page = maria.page;
    // At Meta, Ana's window closed (say, her last message was lost on the way): Meta accepts the
    // text, then reports it failed with 131047.
    await stack.control('set-window', { from: ANA, line: LINE, last_inbound_ago_s: 25 * 3600 });
    const composer = page.getByLabel('Mensagem');
    await composer.fill('Consegue confirmar o endereço?');
    await composer.press('Enter');
    const failed = page.locator('[data-testid="message"][data-direction="out"][data-status="failed"]', { hasText: 'Consegue confirmar o endereço?' });
    await failed.waitFor();
    assert.equal(await failed.locator('[data-testid="message-status"]').textContent(), 'falhou');
    assert.match(await failed.locator('[data-testid="message-failure"]').textContent(), /^Falhou: .*24 horas/);
    await stack.control('set-window', { from: ANA, line: LINE, last_inbound_ago_s: 60 });
    maria.assertCleanLog();
  });

  it('2. window closed: the pop-up asks for an approved template and its parameters, and the composer waits for the reply', async () => {
    const page = maria.page;
    await page.getByRole('button', { name: 'Nova Conversa' }).click();
    const dialog = maria.testId('new-conversation-dialog');
    await dialog.waitFor();
    await dialog.getByLabel('Para').fill('55 11 91234 5678');
    const create = dialog.getByRole('button', { name: '+Criar Conversa' });
    await create.click();

    // The pop-up updates: the alert, "Escolher Modelo" and "Texto do Modelo".
    await maria.testId('nc-template-part').waitFor();
    assert.match(await maria.testId('nc-alert').textContent(), /mais de 24 horas/);
    assert.equal(await dialog.getByLabel('Para').inputValue(), BRUNO);
    const select = dialog.getByLabel('Escolher Modelo');
    await eventually(async () => (await select.locator('option').count()) > 1, { what: 'the templates' });
    const offered = await select.locator('option').allTextContents();
    assert.ok(offered.some((o) => o.startsWith('retomar_contato')));
    assert.ok(offered.some((o) => o.startsWith('lembrete_nome')));
    assert.ok(!offered.some((o) => /promocao_pendente|aviso_pausado/.test(o)), `only approved templates: ${offered}`);
    assert.equal(await create.isDisabled(), true, 'no template yet');

    await chooseOption(select, 'retomar_contato');
    const params = maria.testId('nc-param');
    assert.equal(await params.count(), 2);
    const preview = maria.testId('nc-preview');
    await params.nth(0).fill('Bruno');
    assert.match(await preview.textContent(), /^Olá Bruno, aqui é da .+\. Podemos falar sobre o seu pedido\?$/);
    assert.equal(await create.isDisabled(), true, 'one parameter still empty');
    // Meta refuses more than four spaces in a row: the console says so before sending.
    await params.nth(1).fill('Loja     Ativa');
    await eventually(async () => (await maria.testId('nc-param-error').nth(1).textContent()).length > 0, { what: 'the parameter error' });
    assert.equal(await create.isDisabled(), true, 'an invalid parameter');
    await params.nth(1).fill('Loja Ativa');
    assert.equal(await preview.textContent(), 'Olá Bruno, aqui é da Loja Ativa. Podemos falar sobre o seu pedido?');
    assert.equal(await create.isEnabled(), true);
    assert.deepEqual(await maria.unlabelledControls(), [], 'the pop-up and its parameter inputs are labelled');
    await maria.screenshot('new-conversation-template');
    await create.click();

    // The chat opens with the template; the composer waits for the customer.
    await dialog.waitFor({ state: 'hidden' });
    const template = page.locator('[data-testid="message"][data-direction="out"]', { hasText: 'Olá Bruno, aqui é da Loja Ativa.' });
    await template.waitFor();
    await maria.testId('window-alert').waitFor();
    assert.match(await maria.testId('window-alert-text').textContent(), /mais de 24 horas.*quando o cliente responder/);
    assert.equal(await page.getByRole('button', { name: '+Selecionar Template' }).isVisible(), true);
    assert.equal(await page.getByLabel('Mensagem').isDisabled(), true);
    assert.equal(await maria.testId('composer-send').isDisabled(), true);
    assert.match(await maria.testId('composer-state').textContent(), /Aguardando a resposta do cliente/);
    await page.locator('[data-testid="message"][data-direction="out"][data-status="read"]', { hasText: 'Olá Bruno' }).waitFor();

    const sent = (await sentBodies(stack)).find((b) => b.type === 'template' && b.to === BRUNO);
    assert.equal(sent.template.name, 'retomar_contato');
    assert.deepEqual(sent.template.components[0].parameters.map((p) => p.text), ['Bruno', 'Loja Ativa']);
    await maria.screenshot('chat-awaiting-reply');
    maria.assertCleanLog();
  });

  it('3. "+Selecionar Template" reopens the pop-up with both numbers and sends a second template', async () => {
    const page = maria.page;
    await page.getByRole('button', { name: '+Selecionar Template' }).click();
    const dialog = maria.testId('new-conversation-dialog');
    await dialog.waitFor();
    assert.equal(await dialog.getByLabel('Número de Origem').inputValue(), LINE);
    assert.equal(await dialog.getByLabel('Para').inputValue(), BRUNO);
    await maria.testId('nc-template-part').waitFor();
    const select = dialog.getByLabel('Escolher Modelo');
    await eventually(async () => (await select.locator('option').count()) > 1, { what: 'the templates' });
    // Meta pauses a template while the pop-up is open: it leaves "Escolher Modelo" at once, and
    // comes back when reinstated.
    const offered = () => select.locator('option').allTextContents();
    assert.ok((await offered()).some((o) => o.startsWith('retomar_contato')));
    await stack.control('template-status', { name: 'retomar_contato', language: 'pt_BR', event: 'PAUSED' });
    await eventually(async () => !(await offered()).some((o) => o.startsWith('retomar_contato')), { what: 'the paused template gone' });
    await stack.control('template-status', { name: 'retomar_contato', language: 'pt_BR', event: 'REINSTATED' });
    await eventually(async () => (await offered()).some((o) => o.startsWith('retomar_contato')), { what: 'the template back' });
    await chooseOption(select, 'lembrete_nome');
    await dialog.getByLabel('Campo {{nome}} do corpo').fill('Bruno');
    await dialog.getByLabel('Campo {{pedido}} do corpo').fill('4521');
    assert.equal(await maria.testId('nc-preview').textContent(), 'Oi Bruno, seu pedido 4521 está pronto.');
    await dialog.getByRole('button', { name: '+Criar Conversa' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // The same chat now holds both templates, and still waits for the customer.
    await page.locator('[data-testid="message"][data-direction="out"]', { hasText: 'Oi Bruno, seu pedido 4521 está pronto.' }).waitFor();
    assert.equal(await page.locator('[data-testid="message"][data-direction="out"]').count(), 2);
    assert.equal(await maria.testId('my-conversations').locator('[data-testid="conversation-item"]').count(), 2);
    assert.equal(await page.getByLabel('Mensagem').isDisabled(), true);
    const second = (await sentBodies(stack)).find((b) => b.type === 'template' && b.template.name === 'lembrete_nome');
    assert.deepEqual(second.template.components[0].parameters.map((p) => [p.parameter_name, p.text]), [['nome', 'Bruno'], ['pedido', '4521']]);
    maria.assertCleanLog();
  });

  it('4. the customer replies: the alert goes and the composer opens, without a reload', async () => {
    const page = maria.page;
    const marker = await page.evaluate(() => {
      window.__ativaSamePage = true;
      return performance.timeOrigin;
    });
    await stack.control('reply', { from: BRUNO, line: LINE, text: 'Oi! Pode falar sim.' });
    await page.locator('[data-testid="message"][data-direction="in"]', { hasText: 'Oi! Pode falar sim.' }).waitFor();
    await maria.testId('window-alert').waitFor({ state: 'hidden' });
    const composer = page.getByLabel('Mensagem');
    await eventually(() => composer.isEnabled(), { what: 'the composer enabled' });
    assert.equal(await page.evaluate(() => [window.__ativaSamePage, performance.timeOrigin]).then((v) => v[0] && v[1]), marker, 'no reload');
    assert.match(await maria.testId('window-countdown').textContent(), /^Janela: 2[34]:\d\d:\d\d restantes$/);

    await composer.fill('Que bom! Seu pedido 4521 já pode ser retirado.');
    await maria.testId('composer-send').click();
    await page.locator('[data-testid="message"][data-direction="out"][data-status="read"]', { hasText: 'já pode ser retirado' }).waitFor();
    await maria.screenshot('chat-replied');
    maria.assertCleanLog();
  });

  it('5. "Finalizar Atendimento" saves the reason and the description, with one notification each', async () => {
    const page = maria.page;
    const qualify = maria.testId('qualify');
    await chooseOption(qualify.getByLabel('motivo de contato'), 'Suporte');
    await qualify.getByLabel('Descrição do Atendimento').fill('Cliente confirmou a retirada do pedido 4521 amanhã.');
    assert.match(await maria.testId('qualify-bytes').textContent(), /^\d+ de 4000 bytes$/);
    await page.getByRole('button', { name: 'Finalizar Atendimento' }).click();
    await page.locator('[data-testid="toast"][data-kind="success"]', { hasText: 'Qualificação realizada com sucesso: Suporte.' }).waitFor();
    await page.locator('[data-testid="toast"][data-kind="success"]', { hasText: 'Descrição do Atendimento salva com sucesso.' }).waitFor();
    await maria.testId('chat-finalized').waitFor();
    assert.equal(await page.getByLabel('Mensagem').isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Finalizar Atendimento' }).isDisabled(), true);
    await maria.screenshot('finalized');
    // Bruno's conversation left "Minhas conversas"; Ana's (scenario 1) is still there.
    await eventually(async () => (await maria.conversationItem('my-conversations', 'Bruno Costa').count()) === 0, { what: 'Bruno gone from the list' });
    assert.equal(await maria.conversationItem('my-conversations', 'Ana Lima').count(), 1);

    // The record as the operators' export sees it.
    const exported = JSON.parse(await adminRun(stack, 'attendances', '--customer', BRUNO, '--format', 'json'));
    const rec = (exported.attendances ?? exported)[0];
    assert.equal(rec.reason, 'Suporte');
    assert.equal(rec.description, 'Cliente confirmou a retirada do pedido 4521 amanhã.');
    maria.assertCleanLog();
  });

  it('6. "Histórico" lists the attendances, filters them, and starts a new conversation from one', async () => {
    const page = maria.page;
    await page.getByRole('tab', { name: 'Histórico' }).click();
    await maria.testId('panel-historico').waitFor();
    await page.getByRole('heading', { name: 'Histórico de atendimentos' }).waitFor();
    const rows = maria.testId('history-row');
    await eventually(async () => (await rows.count()) === 3, { what: 'three attendances (Ana, Bruno, Carlos)' });
    const bruno = rows.filter({ hasText: BRUNO });
    const cells = await bruno.locator('td').allTextContents();
    assert.equal(cells[0], 'Bruno Costa');
    assert.equal(cells[1], BRUNO);
    assert.match(cells[2], /Loja Ativa/);
    assert.equal(cells[3], 'Maria Souza');
    assert.ok(cells[4] && cells[5], 'start and end');
    assert.equal(cells[6], 'Suporte');
    assert.equal(cells[7], 'Cliente confirmou a retirada do pedido 4521 amanhã.');

    // Filters: by contact reason, then by number.
    const filters = maria.testId('history-filters');
    await chooseOption(filters.getByLabel('Motivo de contato'), 'Cobrança');
    await page.getByRole('button', { name: 'Buscar' }).click();
    await eventually(async () => (await rows.count()) === 1 && /Carlos Pereira/.test(await rows.first().textContent()), { what: 'only Carlos' });
    await filters.getByLabel('Motivo de contato').selectOption('');
    await maria.testId('panel-historico').getByLabel('Número', { exact: true }).fill(`+${BRUNO}`);
    await page.getByRole('button', { name: 'Buscar' }).click();
    await eventually(async () => (await rows.count()) === 1 && /Bruno Costa/.test(await rows.first().textContent()), { what: 'only Bruno' });
    await maria.testId('panel-historico').getByLabel('Número', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Buscar' }).click();
    await eventually(async () => (await rows.count()) === 3, { what: 'all three again' });
    assert.equal((await maria.overflow()).x, false, 'the history table fits 1280 px');
    await maria.screenshot('historico');

    // Bruno replied minutes ago: the pop-up opens with his line and number, window open.
    await page.getByRole('button', { name: 'Ações do atendimento de Bruno Costa' }).click();
    await maria.testId('history-menu').waitFor();
    assert.deepEqual(await maria.unlabelledControls(), [], 'the filters, the table\'s actions and the menu are labelled');
    await maria.screenshot('historico-menu');
    await page.getByRole('menuitem', { name: '+ Iniciar Nova Conversa' }).click();
    const dialog = maria.testId('new-conversation-dialog');
    await dialog.waitFor();
    assert.equal(await dialog.getByLabel('Número de Origem').inputValue(), LINE);
    assert.equal(await dialog.getByLabel('Para').inputValue(), BRUNO);
    assert.equal(await maria.testId('nc-template-part').isHidden(), true, 'Bruno\'s window is open');
    await dialog.getByRole('button', { name: '+Criar Conversa' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await maria.testId('panel-atendimento').waitFor();
    await page.locator('[data-testid="previous-message"]', { hasText: 'Oi! Pode falar sim.' }).waitFor();
    assert.equal(await page.getByLabel('Mensagem').isEnabled(), true);

    // Carlos was served three days ago: the pop-up opens already asking for a template.
    await page.getByRole('tab', { name: 'Histórico' }).click();
    await page.getByRole('button', { name: 'Ações do atendimento de Carlos Pereira' }).click();
    await page.getByRole('menuitem', { name: '+ Iniciar Nova Conversa' }).click();
    await dialog.waitFor();
    assert.equal(await dialog.getByLabel('Para').inputValue(), CARLOS);
    await maria.testId('nc-template-part').waitFor();
    const select = dialog.getByLabel('Escolher Modelo');
    await eventually(async () => (await select.locator('option').count()) > 1, { what: 'the templates' });
    await chooseOption(select, 'boas_vindas');
    assert.equal(await maria.testId('nc-param').count(), 0);
    assert.equal(await maria.testId('nc-preview').textContent(), 'Bem-vindo à Loja Ativa!');
    await dialog.getByRole('button', { name: '+Criar Conversa' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('[data-testid="message"][data-direction="out"]', { hasText: 'Bem-vindo à Loja Ativa!' }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    await maria.testId('window-alert').waitFor();
    assert.equal(await page.getByLabel('Mensagem').isDisabled(), true);
    maria.assertCleanLog();
  });

  it('works from the keyboard alone: "Nova Conversa" to a chat without the mouse', async () => {
    const page = maria.page;
    await page.getByRole('button', { name: 'Nova Conversa' }).focus();
    await page.keyboard.press('Enter');
    const dialog = maria.testId('new-conversation-dialog');
    await dialog.waitFor();
    // One line only: the focus starts in "Para".
    await page.keyboard.type('5511987654321');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    assert.match(await maria.testId('chat-customer').textContent(), /Ana Lima/);
    // Ana's conversation from scenario 1 is still open: the pop-up went back to it.
    await page.locator('[data-testid="message"]', { hasText: 'Olá Ana, seu pedido saiu hoje.' }).waitFor();
    await eventually(() => page.evaluate(() => document.activeElement?.dataset?.testid === 'composer-text'), { what: 'the focus in the composer' });
    maria.assertCleanLog();
  });

  it('fills a larger screen (1920×1080) without scrolling the page', async () => {
    const wide = await AgentPage.login(browser, stack, login, { viewport: { width: 1920, height: 1080 } });
    try {
      await wide.conversationItem('my-conversations', 'Ana Lima').waitFor();
      assert.deepEqual(await wide.overflow(), { x: false, y: false });
      const chatWidth = await wide.testId('chat').evaluate((n) => n.getBoundingClientRect().width);
      assert.ok(chatWidth > 800, `the chat takes the room (${chatWidth} px)`);
      wide.assertCleanLog();
    } finally {
      await wide.close();
    }
  });

  it('"Sair" ends the session: the login screen, and a reload does not bring the console back', async () => {
    const page = maria.page;
    await page.getByRole('button', { name: 'Sair' }).click();
    await maria.testId('login-screen').waitFor();
    assert.equal(await maria.testId('app').isHidden(), true);
    await page.reload();
    await maria.testId('login-screen').waitFor();
    assert.equal(await maria.testId('app').isHidden(), true);
    const session = await page.evaluate(async () => (await fetch('/api/session', { credentials: 'same-origin' })).status);
    assert.equal(session, 401, 'the gateway ended the session too');

    // A wrong password is refused in words; the right one brings the console back, live.
    await page.getByLabel('Usuário').fill(login.login);
    await page.getByLabel('Senha').fill('senha-errada');
    await page.getByRole('button', { name: 'Entrar' }).click();
    await maria.testId('login-error').waitFor();
    assert.ok((await maria.testId('login-error').textContent()).length > 5);
    await page.getByLabel('Senha').fill(login.password);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await maria.waitLive();
    await maria.conversationItem('my-conversations', 'Ana Lima').waitFor();
    // The refused login is the one error the browser logs here (fetch's 401 on /api/login), and
    // the 401 of /api/session above.
    maria.assertCleanLog([/status of 401/]);
  });
});
