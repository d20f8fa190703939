// The WhatsApp side end to end, gateway and simulator together: template sends (positional and
// named) in Meta's exact format, each refusal of the simulator stored with its reason, 131047
// arriving after a 200, statuses delivered out of order, and a gateway killed with SIGKILL while
// sends are queued and webhooks arrive. (A template paused at Meta: templates.test.mjs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { buildDir, eventually, run, startGateway } from './harness.mjs';
import { ANA, isAccepted, outboxStack, outbound, tool } from './sends.mjs';

const BRUNO = '5511912345678'; // wrote 3 days ago: his window is closed at "Meta"
const NEVER = '5521977776666'; // never wrote
const admin = path.join(buildDir, 'tools', 'ativa-admin');

async function adminJson(s, ...args) {
  const r = await run(admin, ['--data', s.data, ...args]);
  return r.code === 0 ? JSON.parse(r.stdout) : null;
}

const lastSent = async (s) => (await s.sent()).at(-1);

test('template sends leave in Meta\'s format, positional and named', async () => {
  const s = await outboxStack();
  try {
    await s.sendTemplate(BRUNO, 'retomar_contato', [{ type: 'body', parameters: [
      { type: 'text', text: 'Bruno' }, { type: 'text', text: 'Loja Ativa' }] }]);
    const positional = await eventually(async () => {
      const r = await lastSent(s);
      return r && r.response_status === 200 ? r : null;
    }, { what: 'the positional template accepted' });
    assert.deepEqual(JSON.parse(positional.body), {
      messaging_product: 'whatsapp', recipient_type: 'individual', to: BRUNO, type: 'template',
      template: { name: 'retomar_contato', language: { code: 'pt_BR' }, components: [
        { type: 'body', parameters: [{ type: 'text', text: 'Bruno' }, { type: 'text', text: 'Loja Ativa' }] }] },
    });

    await s.sendTemplate(NEVER, 'lembrete_nome', [{ type: 'body', parameters: [
      { type: 'text', parameter_name: 'nome', text: 'Carla' }, { type: 'text', parameter_name: 'pedido', text: '123' }] }]);
    const named = await eventually(async () => {
      const r = await lastSent(s);
      return r && JSON.parse(r.body).to === NEVER && r.response_status === 200 ? r : null;
    }, { what: 'the named template accepted' });
    assert.deepEqual(JSON.parse(named.body).template.components[0].parameters[0],
      { type: 'text', parameter_name: 'nome', text: 'Carla' });
    // Templates reach customers whose window is closed: sent, delivered, read arrive.
    await eventually(async () => (await outbound(s, NEVER))[0]?.status === 'read', { what: 'read' });
  } finally {
    await s.stop();
  }
});

test('each refusal of Meta is stored with its code and the reason in words', async () => {
  const s = await outboxStack();
  try {
    const cases = [
      // [customer, template, components, code, words in the agent's reason]
      [BRUNO, 'nao_existe', [], 132001, /modelo/i],
      [NEVER, 'aviso_pausado', [], 132015, /pausado/i],
      ['5511933332222', 'retomar_contato', [{ type: 'body', parameters: [{ type: 'text', text: 'só um' }] }], 132000, /campos/i],
      ['5511944443333', 'retomar_contato', [{ type: 'body', parameters: [
        { type: 'text', text: 'linha\nquebrada' }, { type: 'text', text: 'x' }] }], 100, /.+/],
    ];
    for (const [to, name, components, code, words] of cases) {
      await s.sendTemplate(to, name, components);
      const [m] = await eventually(async () => {
        const out = await outbound(s, to);
        return out.length === 1 && out[0].status === 'failed' ? out : null;
      }, { what: `${name} refused with ${code}` });
      assert.equal(m.error.code, code, name);
      assert.match(m.error.text_pt, words, name);
    }
  } finally {
    await s.stop();
  }
});

test('a refused token fails the send with 190 and a reason for the operator', async () => {
  const s = await outboxStack({ token: 'not-the-token' });
  try {
    await s.sendText(ANA, 'sem credencial');
    const [m] = await eventually(async () => {
      const out = await outbound(s, ANA);
      return out.length === 1 && out[0].status === 'failed' ? out : null;
    }, { what: 'failed with 190' });
    assert.equal(m.error.code, 190);
    assert.ok(m.error.text_pt.length > 10);
  } finally {
    await s.stop();
  }
});

test('free text outside the window: 200, then 131047 in a failed status webhook', async () => {
  const s = await outboxStack();
  try {
    // The tool records an inbound message in the gateway's store to open the conversation, but
    // at "Meta" this customer never wrote: Meta accepts the send, then reports 131047.
    await s.sendText(NEVER, 'olá, tudo bem?');
    const [m] = await eventually(async () => {
      const out = await outbound(s, NEVER);
      return out.length === 1 && out[0].status === 'failed' ? out : null;
    }, { what: 'the 131047 status applied' });
    assert.equal(m.error.code, 131047);
    assert.match(m.error.text_pt, /24 horas/);
    assert.match(m.wamid, /^wamid\./, 'it was accepted first');
    const sent = await s.sent();
    assert.equal(sent.at(-1).response_status, 200);
  } finally {
    await s.stop();
  }
});

test('statuses out of order never move a message backwards', async () => {
  const s = await outboxStack();
  try {
    await s.control('out-of-order-next', { count: 1 });
    await s.sendText(ANA, 'fora de ordem');
    const [m] = await eventually(async () => {
      const out = await outbound(s, ANA);
      return out.length === 1 && out[0].wamid ? out : null;
    }, { what: 'accepted' });
    // read, then delivered, then sent arrive: read must stay.
    await eventually(async () => {
      const { webhooks } = await s.control('webhooks');
      const mine = webhooks.filter((w) => w.body.includes(m.wamid));
      return mine.length >= 3 && mine.every((w) => w.state === 'delivered') ? mine : null;
    }, { what: 'the three statuses delivered' });
    const [after] = await outbound(s, ANA);
    assert.equal(after.status, 'read');
  } finally {
    await s.stop();
  }
});

test('killed with SIGKILL while sends are queued and webhooks arrive: nothing acknowledged is lost', async () => {
  const s = await outboxStack();
  try {
    // Customers write while messages are queued; the gateway is killed in the middle.
    const customers = Array.from({ length: 8 }, (_, i) => `55119876500${String(i).padStart(2, '0')}`);
    const queued = await s.sendText(customers, 'mensagem antes da queda');
    const replies = [];
    for (let i = 0; i < 20; i++) {
      replies.push(s.control('reply', { from: customers[i % customers.length], line: '1001', text: `resposta ${i}` }));
      if (i === 10) s.gateway.proc.kill('SIGKILL');
    }
    const sentReplies = await Promise.all(replies);
    await s.gateway.exited;

    s.gateway = await startGateway({ dir: s.dir, config: s.config });
    // Every webhook the simulator saw answered 200 is in the store; the others are redelivered.
    await eventually(async () => {
      const { webhooks } = await s.control('webhooks');
      return webhooks.filter((w) => w.kind.startsWith('message')).every((w) => w.state === 'delivered');
    }, { timeoutMs: 20000, what: 'every inbound webhook delivered' });
    for (const r of sentReplies) {
      const m = await adminJson(s, 'message', r.wamid);
      assert.ok(m, `reply ${r.wamid} stored`);
    }
    // Every queued message went out once, or is marked unknown (its request may have left).
    await eventually(async () => (await tool(['outbox', '--data', s.data]))[0].length === 0,
      { timeoutMs: 20000, what: 'the outbox emptied' });
    const sent = await s.sent();
    for (const q of queued) {
      const [m] = (await outbound(s, q.to));
      assert.ok(isAccepted(m.status) || m.status === 'unknown' || m.status === 'failed', `${q.to}: ${m.status}`);
      const copies = sent.filter((r) => JSON.parse(r.body).to === q.to && r.response_status === 200);
      assert.ok(copies.length <= 1, `${q.to} sent ${copies.length} times`);
      if (m.status !== 'unknown') assert.equal(copies.length, isAccepted(m.status) ? 1 : copies.length);
    }
  } finally {
    await s.stop();
  }
});
