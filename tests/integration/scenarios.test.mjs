// The seed's scenarios (shared/PRODUCT.md, "What must happen") through the agents' protocol,
// over real TLS, against a real gateway and the Meta simulator: window open; window closed with a
// template; the text box disabled until the reply; "+Selecionar Template"; the reply clearing
// the alert on every console of the conversation; expiry at its instant; finalize with and
// without reason and description; history search and a new conversation from history; delivery
// statuses and failures; and who may see and touch what.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { buildDir, eventually, run, startGateway, startStack } from './harness.mjs';
import { Console, addAgent } from './console.mjs';

const LINE = '1001';
const ANA = '5511987654321';
const BRUNO = '5511912345678';
const JOSE = '5582999448232';
const admin = path.join(buildDir, 'tools', 'ativa-admin');

async function sent(stack) {
  return (await stack.control('sent')).requests.filter((r) => r.path.endsWith('/messages'));
}

describe('the seed, end to end', () => {
  let stack;
  let maria;
  let joao;
  let ana;
  let anaConv; // Ana's new conversation (scenario 1)
  let brunoConv; // Bruno's conversation (scenarios 3 to 5)

  before(async () => {
    stack = await startStack();
    const m = await addAgent(stack, 'maria', { name: 'Maria Souza', lines: [LINE] });
    const j = await addAgent(stack, 'joao', { name: 'João Lima', lines: [LINE] });
    const a = await addAgent(stack, 'ana', { name: 'Ana Ribeiro', role: 'supervisor' });
    maria = await Console.open(stack, m);
    joao = await Console.open(stack, j);
    ana = await Console.open(stack, a);
  });
  after(async () => {
    for (const c of [maria, joao, ana]) c?.close();
    const r = await stack.stop();
    assert.equal(r.code, 0);
  });

  it('1-2. window open: the conversation opens with the last one\'s history, and the agent writes freely', async () => {
    // Ana writes first; her conversation waits in the line's queue; Maria takes and finishes it.
    const reply = await stack.control('reply', { from: ANA, line: LINE, text: 'Oi, quero saber do meu pedido' });
    const queued = await maria.event((e) => e.event === 'conversation' && e.data.conversation.customer === ANA,
      { what: 'the queued conversation' });
    assert.equal(queued.data.conversation.owner, null, 'in the shared queue');
    await joao.conversationEvent(queued.data.conversation.id); // the line's other agent sees the queue too
    const first = queued.data.conversation.id;
    await maria.ok('conversation.take', { conversation_id: first });
    await maria.ok('conversation.finalize', { conversation_id: first });

    // "Nova Conversa": the window is open.
    const lookup = await maria.ok('customer.lookup', { line: LINE, number: '+55 (11) 98765-4321' });
    assert.equal(lookup.number, ANA);
    assert.equal(lookup.window.open, true);
    assert.equal(lookup.template_required, false);
    assert.ok(lookup.last_conversation.messages.some((x) => x.text === 'Oi, quero saber do meu pedido'));

    const created = await maria.ok('conversation.create', { line: LINE, number: ANA });
    anaConv = created.conversation.id;
    assert.equal(created.conversation.phase, 'open');
    assert.equal(created.conversation.composer_enabled, true);
    assert.equal(created.conversation.alert, false);
    assert.equal(created.conversation.owner.id, maria.agent.id);
    const opened = await maria.ok('conversation.open', { conversation_id: anaConv });
    assert.ok(opened.previous.messages.some((x) => x.wamid === undefined && x.text === 'Oi, quero saber do meu pedido'));
    assert.ok(reply.wamid);

    // She writes freely; the text reaches "Meta" and its statuses come back live.
    const { message } = await maria.ok('message.send_text', { conversation_id: anaConv, text: 'Olá Ana, seu pedido saiu hoje.' });
    assert.equal(message.direction, 'out');
    await eventually(async () => (await sent(stack)).some((r) => JSON.parse(r.body).text?.body === 'Olá Ana, seu pedido saiu hoje.'),
      { what: 'the text at Meta' });
    for (const status of ['sent', 'delivered', 'read']) {
      await maria.event((e) => e.event === 'status' && e.data.conversation_id === anaConv && e.data.seq === message.seq && e.data.status === status,
        { what: `status ${status}` });
    }
  });

  it('3. window closed: a template is required, and the text box stays disabled', async () => {
    const lookup = await maria.ok('customer.lookup', { line: LINE, number: BRUNO });
    assert.equal(lookup.window.open, false);
    assert.equal(lookup.template_required, true);
    assert.equal((await maria.refused('conversation.create', { line: LINE, number: BRUNO })).code, 'template_required');

    const { templates } = await maria.ok('templates.list', { line: LINE });
    const names = templates.map((t) => t.name);
    assert.ok(names.includes('retomar_contato') && names.includes('lembrete_nome'));
    assert.ok(!names.includes('promocao_pendente') && !names.includes('aviso_pausado'), 'only APPROVED templates');
    const tpl = templates.find((t) => t.name === 'retomar_contato');
    assert.deepEqual(tpl.slots.map((s) => s.key), ['body.1', 'body.2']);

    // Meta's rules are checked before anything leaves.
    const bad = await maria.refused('conversation.create', { line: LINE, number: BRUNO,
      template: { name: 'retomar_contato', language: 'pt_BR', values: { 'body.1': 'Bruno\nCosta', 'body.2': 'Loja' } } });
    assert.equal(bad.code, 'param_newline_tab');
    assert.equal((await maria.refused('conversation.create', { line: LINE, number: BRUNO,
      template: { name: 'retomar_contato', language: 'pt_BR', values: { 'body.1': 'Bruno' } } })).code, 'param_missing');

    const created = await maria.ok('conversation.create', { line: LINE, number: BRUNO,
      template: { name: 'retomar_contato', language: 'pt_BR', values: { 'body.1': 'Bruno', 'body.2': 'Loja Ativa' } } });
    brunoConv = created.conversation.id;
    const c = created.conversation;
    assert.deepEqual([c.phase, c.composer_enabled, c.alert, c.offer_template], ['awaiting_reply', false, true, true]);
    assert.equal(created.messages[0].text, 'Olá Bruno, aqui é da Loja Ativa. Podemos falar sobre o seu pedido?');

    // The text box is disabled until the customer replies.
    assert.equal((await maria.refused('message.send_text', { conversation_id: brunoConv, text: 'oi?' })).code, 'awaiting_reply');

    // "+Selecionar Template": another template may be sent.
    const again = await maria.ok('message.send_template', { conversation_id: brunoConv,
      template: { name: 'lembrete_nome', language: 'pt_BR', values: { 'body.nome': 'Bruno', 'body.pedido': '123' } } });
    assert.equal(again.message.kind, 'template');
    await eventually(async () => (await sent(stack)).filter((r) => JSON.parse(r.body).to === BRUNO).length === 2,
      { what: 'both templates at Meta' });
  });

  it('4. the customer replies: the alert clears and the text box opens on every console of the chat', async () => {
    await stack.control('reply', { from: BRUNO, line: LINE, text: 'Oi! Pode falar.' });
    const open = (c) => c.phase === 'open' && !c.alert && c.composer_enabled;
    const [forMaria, forAna] = await Promise.all([maria.conversationEvent(brunoConv, open), ana.conversationEvent(brunoConv, open)]);
    assert.ok(forMaria.data.conversation.expires_at_ms > Date.now());
    assert.equal(forAna.seq, forMaria.seq);
    await maria.event((e) => e.event === 'message' && e.data.message.conversation_id === brunoConv && e.data.message.text === 'Oi! Pode falar.');
    // Another agent of the line sees nothing of it.
    assert.ok(!joao.events.some((e) => e.event === 'message' && e.data.message.conversation_id === brunoConv));
    await maria.ok('message.send_text', { conversation_id: brunoConv, text: 'Obrigada pelo retorno!' });
  });

  it('another agent\'s conversation is invisible and untouchable; a supervisor sees it', async () => {
    assert.equal((await joao.refused('conversation.open', { conversation_id: brunoConv })).code, 'not_found');
    assert.equal((await joao.refused('message.send_text', { conversation_id: brunoConv, text: 'intruso' })).code, 'not_found');
    assert.equal((await joao.refused('conversation.finalize', { conversation_id: brunoConv })).code, 'not_found');
    const list = await joao.ok('conversation.list');
    assert.ok(!list.conversations.some((c) => c.id === brunoConv));
    const seen = await ana.ok('conversation.open', { conversation_id: brunoConv });
    assert.equal(seen.conversation.owner.id, maria.agent.id);
    assert.ok((await ana.ok('conversation.list')).conversations.some((c) => c.id === brunoConv));
  });

  it('8. a failure comes back with Meta\'s reason in words', async () => {
    // The gateway knows José wrote (seeded), but at "Meta" he never did: free text gets 131047.
    const seeded = await run(admin, ['--data', stack.config.data_dir, 'seed-inbound', LINE, JOSE, 'José', '60', 'Bom dia']);
    assert.equal(seeded.code, 0, seeded.stderr);
    const conv = JSON.parse(seeded.stdout).conversation;
    await maria.ok('conversation.take', { conversation_id: conv });
    const { message } = await maria.ok('message.send_text', { conversation_id: conv, text: 'Olá José' });
    const failed = await maria.event((e) => e.event === 'status' && e.data.conversation_id === conv && e.data.seq === message.seq && e.data.status === 'failed',
      { what: 'the failed status' });
    assert.equal(failed.data.error.code, 131047);
    assert.match(failed.data.error.text, /24 horas/);
  });

  it('6. finalize with reason and description, and without: each saved field is confirmed', async () => {
    const done = await maria.ok('conversation.finalize', { conversation_id: brunoConv, reason: 'Suporte', description: 'Cliente confirmou o endereço.' });
    assert.deepEqual(done.qualification, { saved: true, reason: 'Suporte' });
    assert.deepEqual(done.description, { saved: true });
    assert.equal(done.attendance.reason, 'Suporte');
    await ana.conversationEvent(brunoConv, (c) => c.phase === 'finalized');
    assert.equal((await maria.refused('message.send_text', { conversation_id: brunoConv, text: 'mais uma' })).code, 'conversation_finalized');

    const bare = await maria.ok('conversation.finalize', { conversation_id: anaConv });
    assert.deepEqual(bare.qualification, { saved: false, reason: null });
    assert.deepEqual(bare.description, { saved: false });
    assert.equal((await maria.refused('conversation.finalize', { conversation_id: anaConv, reason: 'Inventado' })).code, 'invalid_argument');
  });

  it('7. Histórico: search by number, agent, reason and period, paging, and a new conversation from a record', async () => {
    const byNumber = await maria.ok('history.search', { number: '55 11 91234-5678' });
    assert.equal(byNumber.attendances.length, 1);
    const rec = byNumber.attendances[0];
    assert.deepEqual([rec.customer, rec.line, rec.reason, rec.description, rec.agent.name],
      [BRUNO, LINE, 'Suporte', 'Cliente confirmou o endereço.', 'Maria Souza']);
    assert.ok(rec.ended_ms >= rec.started_ms);

    assert.equal((await maria.ok('history.search', { reason: 'Suporte' })).attendances.length, 1);
    assert.equal((await maria.ok('history.search', { from_ms: Date.now() + 60000 })).attendances.length, 0);
    const all = await maria.ok('history.search', {});
    assert.ok(all.attendances.length >= 3);
    const page1 = await maria.ok('history.search', { limit: 1 });
    const page2 = await maria.ok('history.search', { limit: 1, cursor: page1.next_cursor });
    assert.notEqual(page1.attendances[0].id, page2.attendances[0].id);
    // Agents see their own attendances; supervisors everyone's, or one agent's.
    assert.equal((await joao.ok('history.search', {})).attendances.length, 0);
    assert.equal((await ana.ok('history.search', { agent_id: maria.agent.id })).attendances.length, all.attendances.length);

    // "+ Iniciar Nova Conversa": line and customer filled in, the window known.
    const start = await maria.ok('history.start', { attendance_id: rec.id });
    assert.deepEqual([start.line, start.number], [LINE, BRUNO]);
    assert.equal(start.lookup.window.open, true, 'Bruno replied a moment ago');
    assert.equal((await joao.refused('history.start', { attendance_id: rec.id })).code, 'not_found');
  });
});

describe('5. the window expires while the chat is open', () => {
  let stack;
  const WINDOW_MS = 4000;

  before(async () => {
    stack = await startStack({ gateway: { window_ms: WINDOW_MS } });
  });
  after(async () => {
    await stack.stop();
  });

  it('pushes the alert at the instant, refuses a text racing it, and keeps the timer across a restart', async () => {
    const m = await addAgent(stack, 'maria', { lines: [LINE] });
    let maria = await Console.open(stack, m);
    await stack.control('reply', { from: ANA, line: LINE, text: 'Oi' });
    const queued = await maria.event((e) => e.event === 'conversation' && e.data.conversation.customer === ANA);
    const id = queued.data.conversation.id;
    const taken = await maria.ok('conversation.take', { conversation_id: id });
    const expiresAt = taken.conversation.expires_at_ms;
    assert.equal(taken.conversation.phase, 'open');
    assert.ok(expiresAt > Date.now(), 'still open');
    const lastSeq = Math.max(...maria.events.map((e) => e.seq));

    // A restart before the expiry: the timer comes back from the store.
    maria.close();
    const stopped = await stack.gateway.stop();
    assert.equal(stopped.code, 0);
    stack.gateway = await startGateway({ dir: stack.dir, config: stack.config });
    maria = await Console.open(stack, m, lastSeq);

    const closed = await maria.conversationEvent(id, (c) => c.phase === 'closed', { timeoutMs: WINDOW_MS + 5000 });
    const arrived = Date.now();
    const c = closed.data.conversation;
    assert.deepEqual([c.alert, c.offer_template, c.composer_enabled], [true, true, false]);
    assert.ok(arrived >= expiresAt - 50, `not before the instant (${arrived - expiresAt} ms)`);
    assert.ok(arrived <= expiresAt + 1500, `at the instant (${arrived - expiresAt} ms late)`);
    assert.equal((await maria.refused('message.send_text', { conversation_id: id, text: 'tarde demais' })).code, 'window_closed');
    maria.close();
  });
});
