// Meta's webhooks into the gateway, over real TLS: signatures, every inbound type, redelivery,
// the Brazilian 12-digit wa_id, and the customer's window. State is read back from the store with
// ativa-admin while the gateway runs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { buildDir, eventually, run, startStack } from './harness.mjs';

const admin = path.join(buildDir, 'tools', 'ativa-admin');
const LINE = '1001';

describe('webhooks', () => {
  let stack;
  let dataDir;

  async function store(...args) {
    const r = await run(admin, ['--data', dataDir, ...args]);
    return r.code === 0 ? JSON.parse(r.stdout) : null;
  }

  function sign(raw, secret = 'stack-app-secret') {
    return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
  }

  function post(raw, signature) {
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(raw) };
    if (signature !== undefined) headers['x-hub-signature-256'] = signature;
    return stack.gw('/webhooks/whatsapp', { method: 'POST', headers, body: raw });
  }

  let counter = 0;
  function inboundBody({ from = '5511987654321', text = 'oi', wamid } = {}) {
    counter += 1;
    const id = wamid ?? `wamid.test-${Date.now()}-${counter}`;
    const raw = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '2001', changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '551140040001', phone_number_id: LINE },
        contacts: [{ profile: { name: 'Ana Lima' }, wa_id: from }],
        messages: [{ from, id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }],
      } }] }],
    });
    return { raw, id };
  }

  before(async () => {
    stack = await startStack();
    dataDir = stack.config.data_dir;
  });
  after(async () => {
    const r = await stack.stop();
    assert.equal(r.code, 0, 'the gateway stops cleanly');
  });

  it('stores a correctly signed message and answers 200 only then', async () => {
    const { raw, id } = inboundBody({ text: 'Bom dia' });
    const r = await post(raw, sign(raw));
    assert.equal(r.status, 200);
    // Answered after the commit: the message is readable at once, no waiting.
    const m = await store('message', id);
    assert.equal(m.text, 'Bom dia');
    assert.equal(m.direction, 'in');
    assert.equal(m.kind, 'text');
  });

  it('refuses wrong, missing and truncated signatures, storing nothing', async () => {
    for (const [what, sig] of [
      ['wrong secret', (raw) => sign(raw, 'not-the-secret')],
      ['missing', () => undefined],
      ['truncated', (raw) => sign(raw).slice(0, 40)],
      ['not sha256', (raw) => sign(raw).replace('sha256=', 'sha1=')],
    ]) {
      const { raw, id } = inboundBody({ text: `should not be stored (${what})` });
      const r = await post(raw, sig(raw));
      assert.equal(r.status, 401, what);
      assert.equal(await store('message', id), null, `${what}: nothing stored`);
    }
    // A body changed after signing.
    const { raw, id } = inboundBody({ text: 'original' });
    const r = await post(raw.replace('original', 'tampered'), sign(raw));
    assert.equal(r.status, 401);
    assert.equal(await store('message', id), null);
  });

  it('verifies the signature on the raw bytes of a body with escaped non-ASCII text', async () => {
    const { raw, id } = inboundBody({ text: 'Olá, ação' });
    const escaped = raw.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    assert.ok(escaped.includes('\\u00e1'));
    assert.equal((await post(escaped, sign(escaped))).status, 200);
    assert.equal((await store('message', id)).text, 'Olá, ação');
    // The same content, re-serialised unescaped, does not carry the escaped body's signature.
    const { raw: raw2 } = inboundBody({ text: 'Olá de novo' });
    const esc2 = raw2.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    assert.equal((await post(raw2, sign(esc2))).status, 401);
  });

  it('refuses a signed body that is not a WhatsApp event with 400', async () => {
    for (const raw of ['{"object":"page","entry":[]}', 'not json', '{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1001"},"messages":[{"type":"text"}]}}]}]}']) {
      assert.equal((await post(raw, sign(raw))).status, 400, raw);
    }
  });

  it('records every inbound type the simulator sends, with the text the console shows', async () => {
    const cases = [
      [{ type: 'text', text: 'texto simples' }, 'text', 'texto simples'],
      [{ type: 'button', text: 'Quero falar' }, 'button', 'Quero falar'],
      [{ type: 'button_reply', id: 'b1', title: 'Sim' }, 'interactive', 'Sim'],
      [{ type: 'list_reply', id: 'l1', title: 'Segunda opção', description: 'desc' }, 'interactive', 'Segunda opção'],
      [{ type: 'image', caption: 'foto do produto' }, 'image', 'foto do produto'],
      [{ type: 'document', filename: 'contrato.pdf' }, 'document', 'contrato.pdf'],
      [{ type: 'audio' }, 'audio', null],
      [{ type: 'location', latitude: -23.5, longitude: -46.6, location_name: 'Loja Centro' }, 'location', 'Loja Centro'],
    ];
    for (const [reply, kind, text] of cases) {
      const sent = await stack.control('reply', { from: '5511987654321', line: LINE, ...reply });
      const m = await eventually(() => store('message', sent.wamid), { what: `${kind} stored` });
      assert.equal(m.kind, kind, JSON.stringify(reply));
      if (text) assert.ok(m.text.includes(text), `${kind}: ${m.text}`);
      else assert.ok(m.text.length > 0, `${kind} has a description`);
    }
  });

  it('stores a redelivered message once', async () => {
    const sent = await stack.control('reply', { from: '5511912345678', line: LINE, text: 'enviada duas vezes', duplicate: true });
    const m = await eventually(() => store('message', sent.wamid), { what: 'message stored' });
    // Wait for the simulator to have delivered both copies.
    await eventually(async () => {
      const { webhooks } = await stack.control(`webhooks?since=${sent.webhook_seq - 1}`);
      const mine = webhooks.filter((w) => w.seq === sent.webhook_seq || w.seq === sent.duplicate_seq);
      return mine.length === 2 && mine.every((w) => w.state === 'delivered' && w.last_status === 200);
    }, { what: 'both deliveries answered 200' });
    const conv = await store('conversation', String(m.conv));
    const copies = conv.messages.filter((x) => x.wamid === sent.wamid);
    assert.equal(copies.length, 1);
  });

  it('lands a 12-digit wa_id reply on the customer stored with 13 digits', async () => {
    const sent = await stack.control('reply', { from: '5582999448232', line: LINE, text: 'sou o José' });
    assert.equal(sent.wa_id, '558299448232');
    await eventually(() => store('message', sent.wamid), { what: 'message stored' });
    const a = await store('customer', '5582999448232');
    const b = await store('customer', '558299448232');
    assert.equal(a.key, '5582999448232');
    assert.deepEqual(a, b);
    const open = await store('conversations');
    assert.equal(open.filter((c) => c.customer === '5582999448232').length, 1, 'one conversation, not two');
  });

  it('opens the customer window from the inbound message time', async () => {
    const before = await store('window', LINE, '5511955554444');
    assert.equal(before.last_inbound_ms, -1, 'never wrote');
    const { raw } = inboundBody({ from: '5511955554444', text: 'olá' });
    const ts = JSON.parse(raw).entry[0].changes[0].value.messages[0].timestamp;
    assert.equal((await post(raw, sign(raw))).status, 200);
    const w = await store('window', LINE, '5511955554444');
    assert.equal(w.last_inbound_ms, Number(ts) * 1000);
  });

  it('counts what it did in /metrics, in Prometheus text', async () => {
    const r = await stack.gw('/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    const value = (line) => Number(new RegExp(`^${line.replace(/[{}"()]/g, '\\$&')} (\\S+)$`, 'm').exec(r.body)?.[1]);
    assert.ok(value('ativa_webhooks_total{result="accepted"}') >= 5, 'accepted webhooks counted');
    assert.ok(value('ativa_webhooks_total{result="refused"}') >= 5, 'refused webhooks counted');
    assert.ok(value('ativa_webhook_events_total{kind="duplicate"}') >= 1, 'the redelivery counted');
    assert.ok(value('ativa_webhook_ack_ms_count') >= 5, 'acknowledgement latencies observed');
    assert.ok(value('ativa_store_used_bytes') > 0);
    assert.match(r.body, /^# TYPE ativa_webhook_ack_ms histogram$/m);
  });

  it('answers a message for an unknown line with 200 and stores nothing', async () => {
    const { raw, id } = inboundBody({ text: 'linha desconhecida' });
    const other = raw.replace(`"phone_number_id":"${LINE}"`, '"phone_number_id":"999999"');
    assert.equal((await post(other, sign(other))).status, 200);
    assert.equal(await store('message', id), null);
  });
});
