// Integration test of ativa-meta-sim: a real simulator on a free port, real TLS, and a webhook
// endpoint played by this test that checks every X-Hub-Signature-256 itself.
// Run: ATIVA_BUILD_DIR=build node --test tests/integration/sim.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sourceDir = path.resolve(process.env.ATIVA_SOURCE_DIR ?? path.join(here, '..', '..'));
const buildDir = path.resolve(process.env.ATIVA_BUILD_DIR ?? 'build');
const simBin = path.join(buildDir, 'sim', 'ativa-meta-sim');
const ctlBin = path.join(buildDir, 'sim', 'ativa-sim-ctl');

const ACCESS_TOKEN = 'EAAtest-access-token';
const CONTROL_TOKEN = 'controle-secreto';
const APP_SECRET = 'segredo-do-app';
const LINE = { phone_number_id: '1001', display_phone_number: '+55 11 4000-1001', waba_id: '2001' };
const LINE2 = { phone_number_id: '1002', display_phone_number: '+55 21 4000-1002', waba_id: '2002' };
const ANA = '5511911110001'; // wrote 1 hour ago: window open
const BRUNO = '5511922220002'; // wrote 3 days ago: window closed
const JOSE = '5582999448232'; // never wrote; WhatsApp knows him by the 12-digit wa_id
const JOSE_WA_ID = '558299448232';

const templates = {
  data: [
    {
      name: 'boas_vindas', language: 'pt_BR', status: 'APPROVED', category: 'MARKETING',
      parameter_format: 'POSITIONAL', id: '1304694804498701',
      components: [{ type: 'BODY', text: 'Olá {{1}}, aqui é da {{2}}. Podemos conversar?',
        example: { body_text: [['Ana', 'Loja Ativa']] } }],
    },
    {
      name: 'lembrete_pedido', language: 'pt_BR', status: 'APPROVED', category: 'UTILITY',
      parameter_format: 'NAMED', id: '1304694804498702',
      components: [{ type: 'BODY', text: 'Olá {{nome}}, seu pedido {{pedido}} saiu para entrega.' }],
    },
    { name: 'retomar_contato', language: 'pt_BR', status: 'APPROVED', category: 'UTILITY',
      id: '1304694804498703', components: [{ type: 'BODY', text: 'Podemos retomar nossa conversa?' }] },
    { name: 'oferta_pendente', language: 'pt_BR', status: 'PENDING', category: 'MARKETING',
      id: '1304694804498704', components: [{ type: 'BODY', text: 'Oferta especial para você!' }] },
    { name: 'oferta_rejeitada', language: 'pt_BR', status: 'REJECTED', category: 'MARKETING',
      id: '1304694804498705', components: [{ type: 'BODY', text: 'Compre já!!!' }] },
  ],
};

let tmp;
let ca;
let sim; // child process
let simBase;
let simStderr = '';
let hookServer;
const hooks = []; // every webhook received: { raw, headers, json, signatureOk, at }
let hookFailMarker = null; // answer 500 once to the next webhook containing this text

function request(method, url, { body, headers = {}, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined
      : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = https.request(url, {
      method, ca, agent: false,
      headers: { ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}),
        ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(raw); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, raw, json });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

const graph = (method, p, body, token = ACCESS_TOKEN, opts = {}) =>
  request(method, `${simBase}${p}`, {
    body, ...opts, headers: token === null ? {} : { Authorization: `Bearer ${token}` },
  });
const send = (body, opts) => graph('POST', `/v21.0/${LINE.phone_number_id}/messages`, body,
  ACCESS_TOKEN, opts);
const control = (method, cmd, body) =>
  request(method, `${simBase}/control/${cmd}`, { body, headers: { Authorization: `Bearer ${CONTROL_TOKEN}` } });

const text = (to, bodyText) => ({
  messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'text',
  text: { preview_url: false, body: bodyText },
});
const template = (to, name, components) => ({
  messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'template',
  template: { name, language: { code: 'pt_BR' }, ...(components ? { components } : {}) },
});
const bodyParams = (...values) => [{ type: 'body', parameters: values.map((v) => ({ type: 'text', text: v })) }];

async function waitFor(pred, what, timeoutMs = 4000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = pred();
    if (r) return r;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

const statusesOf = (wamid) => hooks.filter((h) => h.json?.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]?.id === wamid);
const messagesFrom = (waId) => hooks.filter((h) => h.json?.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.from === waId);
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

function assertError(res, status, code, message, details) {
  assert.equal(res.status, status, res.raw);
  assert.equal(res.json.error.code, code, res.raw);
  assert.equal(res.json.error.type, 'OAuthException');
  if (message) assert.equal(res.json.error.message, message);
  if (details) assert.equal(res.json.error.error_data.details, details);
  assert.equal(typeof res.json.error.fbtrace_id, 'string');
}

before(async () => {
  assert.ok(fs.existsSync(simBin), `build ativa-meta-sim first (looked for ${simBin})`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ativa-sim-test-'));
  execFileSync('bash', [path.join(sourceDir, 'certs', 'make-dev-certs.sh'), tmp], { stdio: 'ignore' });
  ca = fs.readFileSync(path.join(tmp, 'ca.pem'));

  hookServer = https.createServer({
    key: fs.readFileSync(path.join(tmp, 'localhost.key')),
    cert: fs.readFileSync(path.join(tmp, 'localhost.pem')),
  }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = 'sha256=' + crypto.createHmac('sha256', APP_SECRET).update(raw).digest('hex');
      const got = String(req.headers['x-hub-signature-256'] ?? '');
      const signatureOk = got.length === expected.length &&
        crypto.timingSafeEqual(Buffer.from(got), Buffer.from(expected));
      let json;
      try { json = JSON.parse(raw.toString('utf8')); } catch { json = undefined; }
      const failing = hookFailMarker !== null && raw.includes(hookFailMarker);
      if (failing) hookFailMarker = null;
      hooks.push({ raw, headers: req.headers, json, signatureOk, at: Date.now(), answered: failing ? 500 : 200 });
      res.writeHead(failing ? 500 : 200, { 'Content-Type': 'text/plain' });
      res.end(failing ? 'erro' : 'ok');
    });
  });
  await new Promise((res) => hookServer.listen(0, '127.0.0.1', res));
  const hookPort = hookServer.address().port;

  fs.writeFileSync(path.join(tmp, 'templates-2001.json'), JSON.stringify(templates));
  fs.writeFileSync(path.join(tmp, 'sim.json'), JSON.stringify({
    listen_address: '127.0.0.1', port: 1, cert_file: 'localhost.pem', key_file: 'localhost.key',
    graph_version: 'v21.0', access_token: ACCESS_TOKEN, control_token: CONTROL_TOKEN,
    app_secret: APP_SECRET, webhook_url: `https://127.0.0.1:${hookPort}/webhook`,
    webhook_ca_file: 'ca.pem', webhook_max_attempts: 3, webhook_retry_ms: 50,
    status_delays_ms: { sent: 40, delivered: 160, read: 280 },
    lines: [LINE, LINE2],
    wabas: [{ waba_id: '2001', templates_file: 'templates-2001.json' }],
    customers: [
      { number: ANA, name: 'Ana Souza', last_inbound_ago_s: 3600 },
      { number: BRUNO, name: 'Bruno Lima', last_inbound_ago_s: 3 * 86400 },
      { number: JOSE, wa_id: JOSE_WA_ID, name: 'José Araújo' },
    ],
  }));

  sim = spawn(simBin, ['--config', path.join(tmp, 'sim.json'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  sim.stderr.on('data', (d) => { simStderr += d; });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    sim.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/ativa-meta-sim: listening on https:\/\/[^:]+:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    sim.on('exit', (code) => reject(new Error(`ativa-meta-sim exited (${code}): ${simStderr}`)));
    setTimeout(() => reject(new Error('no ready line from ativa-meta-sim')), 5000).unref();
  });
  assert.ok(port > 0);
  simBase = `https://127.0.0.1:${port}`;
});

after(async () => {
  let exit = null;
  if (sim && sim.exitCode === null) {
    const exited = new Promise((res) => sim.on('exit', (code, signal) => res({ code, signal })));
    sim.kill('SIGTERM');
    let timer;
    const late = new Promise((res) => { timer = setTimeout(() => res({ code: 'no exit within 5 s' }), 5000); });
    exit = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (sim.exitCode === null) sim.kill('SIGKILL');
  }
  hookServer?.closeAllConnections?.();
  hookServer?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  if (exit) assert.equal(exit.code, 0, `ativa-meta-sim should exit cleanly on SIGTERM: ${simStderr}`);
});

test('a missing or wrong access token gets 401 with code 190', async () => {
  for (const token of [null, 'wrong-token', '']) {
    const res = await graph('POST', `/v21.0/${LINE.phone_number_id}/messages`, text(ANA, 'oi'), token);
    assertError(res, 401, 190, 'Invalid OAuth access token - Cannot parse access token');
    assert.equal(res.json.error.error_data, undefined);
  }
  const list = await graph('GET', '/v21.0/2001/message_templates', undefined, null);
  assertError(list, 401, 190);
});

test('messaging_product missing or wrong gets (#100)', async () => {
  for (const mp of [undefined, 'sms']) {
    const body = text(ANA, 'oi');
    if (mp === undefined) delete body.messaging_product; else body.messaging_product = mp;
    assertError(await send(body), 400, 100, '(#100) The parameter messaging_product is required.');
  }
});

test('an unknown phone_number_id gets 400 code 100', async () => {
  const res = await graph('POST', '/v21.0/999999/messages', text(ANA, 'oi'));
  assert.equal(res.status, 400);
  assert.equal(res.json.error.code, 100);
});

test('unknown or unapproved templates get 404 with 132001', async () => {
  for (const [name, lang] of [['nao_existe', 'pt_BR'], ['oferta_pendente', 'pt_BR'], ['oferta_rejeitada', 'pt_BR'], ['boas_vindas', 'en_US']]) {
    const body = template(ANA, name);
    body.template.language.code = lang;
    assertError(await send(body), 404, 132001, '(#132001) Template name does not exist in the translation',
      `template name (${name}) does not exist in ${lang}`);
  }
});

test('a wrong parameter count gets 132000 with Meta details', async () => {
  assertError(await send(template(ANA, 'boas_vindas', bodyParams('Ana'))), 400, 132000,
    '(#132000) Number of parameters does not match the expected number of params',
    'body: number of localizable_params (1) does not match the expected number of params (2)');
  assertError(await send(template(ANA, 'boas_vindas')), 400, 132000, undefined,
    'body: number of localizable_params (0) does not match the expected number of params (2)');
  assertError(await send(template(ANA, 'retomar_contato', bodyParams('x'))), 400, 132000, undefined,
    'body: number of localizable_params (1) does not match the expected number of params (0)');
});

test('a parameter with a newline, tab or 5 spaces gets (#100) Invalid parameter', async () => {
  for (const bad of ['Ana\nSouza', 'Ana\tSouza', 'Ana     Souza']) {
    assertError(await send(template(ANA, 'boas_vindas', bodyParams(bad, 'Loja'))), 400, 100,
      '(#100) Invalid parameter',
      'Param text cannot have new-line/tab characters or more than 4 consecutive spaces');
  }
  const ok = await send(template(ANA, 'boas_vindas', bodyParams('Ana    Souza', 'Loja')));
  assert.equal(ok.status, 200, ok.raw);
});

test('a text body over 4096 characters gets 400 code 100', async () => {
  assertError(await send(text(ANA, 'ç'.repeat(4097))), 400, 100);
  const ok = await send(text(ANA, 'ç'.repeat(4096)));
  assert.equal(ok.status, 200, ok.raw);
});

test('named templates require matching parameter_name', async () => {
  const named = (params) => template(ANA, 'lembrete_pedido', [{ type: 'body', parameters: params }]);
  const ok = await send(named([
    { type: 'text', parameter_name: 'pedido', text: '4521' },
    { type: 'text', parameter_name: 'nome', text: 'Ana' }]));
  assert.equal(ok.status, 200, ok.raw);
  assert.equal(ok.json.messages[0].message_status, 'accepted');
  assertError(await send(named([{ type: 'text', text: 'Ana' }, { type: 'text', text: '4521' }])), 400, 100);
  assertError(await send(named([
    { type: 'text', parameter_name: 'nome', text: 'Ana' },
    { type: 'text', parameter_name: 'codigo', text: '4521' }])), 400, 100);
});

test('a text inside the window: 200, then signed sent, delivered, read in order', async () => {
  const res = await send(text(ANA, 'Olá Ana, tudo bem?'));
  assert.equal(res.status, 200, res.raw);
  assert.deepEqual(Object.keys(res.json), ['messaging_product', 'contacts', 'messages']);
  assert.equal(res.json.messaging_product, 'whatsapp');
  assert.deepEqual(res.json.contacts, [{ input: ANA, wa_id: ANA }]);
  const wamid = res.json.messages[0].id;
  assert.match(wamid, /^wamid\.[A-Za-z0-9+/=]+$/);
  assert.equal(res.json.messages[0].message_status, undefined);

  const got = await waitFor(() => statusesOf(wamid).length >= 3 && statusesOf(wamid), 'three statuses');
  assert.deepEqual(got.map((h) => h.json.entry[0].changes[0].value.statuses[0].status), ['sent', 'delivered', 'read']);
  for (const h of got) {
    assert.ok(h.signatureOk, 'signature must verify');
    assert.equal(h.headers['content-type'], 'application/json');
    assert.equal(h.json.object, 'whatsapp_business_account');
    assert.equal(h.json.entry[0].id, LINE.waba_id);
    const change = h.json.entry[0].changes[0];
    assert.equal(change.field, 'messages');
    assert.equal(change.value.messaging_product, 'whatsapp');
    assert.deepEqual(change.value.metadata, { display_phone_number: '551140001001', phone_number_id: LINE.phone_number_id });
    const st = change.value.statuses[0];
    assert.equal(st.recipient_id, ANA);
    assert.match(st.timestamp, /^\d+$/);
  }
  const sent = got[0].json.entry[0].changes[0].value.statuses[0];
  assert.equal(sent.pricing.category, 'service');
  assert.equal(sent.pricing.billable, false);
});

test('free text outside the window: 200, then a failed status with 131047', async () => {
  const res = await send(text(BRUNO, 'Oi Bruno, ainda tem interesse?'));
  assert.equal(res.status, 200, res.raw);
  const wamid = res.json.messages[0].id;
  const [h] = await waitFor(() => statusesOf(wamid).length >= 1 && statusesOf(wamid), 'failed status');
  assert.ok(h.signatureOk);
  const st = h.json.entry[0].changes[0].value.statuses[0];
  assert.equal(st.status, 'failed');
  assert.equal(st.recipient_id, BRUNO);
  assert.deepEqual(st.errors, [{
    code: 131047, title: 'Re-engagement message', message: 'Re-engagement message',
    error_data: { details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' },
    href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
  }]);
  await sleep(250);
  assert.equal(statusesOf(wamid).length, 1, 'no sent/delivered/read after a failure');
  // an approved template still goes through outside the window
  const t = await send(template(BRUNO, 'retomar_contato'));
  assert.equal(t.status, 200, t.raw);
  assert.equal(t.json.messages[0].message_status, 'accepted');
  await waitFor(() => statusesOf(t.json.messages[0].id).length >= 3, 'template statuses');
});

test('a reply with non-ASCII text is escaped as \\u00e1 and signed over the raw bytes', async () => {
  const r = await control('POST', 'reply', { from: ANA, line: LINE.phone_number_id, text: 'Olá, ação' });
  assert.equal(r.status, 200, r.raw);
  const h = await waitFor(() => hooks.find((x) => x.json?.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.id === r.json.wamid), 'reply webhook');
  assert.ok(h.signatureOk);
  const raw = h.raw.toString('latin1');
  assert.ok(raw.includes('Ol\\u00e1, a\\u00e7\\u00e3o'), raw);
  assert.ok([...h.raw].every((b) => b < 0x80), 'the body must be pure ASCII');
  const value = h.json.entry[0].changes[0].value;
  assert.deepEqual(value.contacts, [{ profile: { name: 'Ana Souza' }, wa_id: ANA }]);
  const m = value.messages[0];
  assert.equal(m.from, ANA);
  assert.equal(m.type, 'text');
  assert.equal(m.text.body, 'Olá, ação');
  assert.match(m.timestamp, /^\d+$/);
});

test('Brazilian customers with a 12-digit wa_id', async () => {
  const t = await send(template(`+${JOSE}`, 'boas_vindas', bodyParams('José', 'Loja Ativa')));
  assert.equal(t.status, 200, t.raw);
  assert.deepEqual(t.json.contacts, [{ input: `+${JOSE}`, wa_id: JOSE_WA_ID }]);
  const st = await waitFor(() => statusesOf(t.json.messages[0].id)[0], 'status');
  assert.equal(st.json.entry[0].changes[0].value.statuses[0].recipient_id, JOSE_WA_ID);

  // he never wrote: free text fails; after his reply (from the 12-digit wa_id) it is delivered
  const before = await send(text(JOSE, 'Oi José'));
  const f = await waitFor(() => statusesOf(before.json.messages[0].id)[0], 'failed');
  assert.equal(f.json.entry[0].changes[0].value.statuses[0].status, 'failed');

  const r = await control('POST', 'reply', { from: JOSE, line: LINE.phone_number_id, type: 'button', text: 'Quero saber mais', payload: 'MAIS' });
  assert.equal(r.status, 200, r.raw);
  assert.equal(r.json.wa_id, JOSE_WA_ID);
  const h = await waitFor(() => messagesFrom(JOSE_WA_ID)[0], 'reply from 12-digit wa_id');
  const value = h.json.entry[0].changes[0].value;
  assert.equal(value.contacts[0].wa_id, JOSE_WA_ID);
  assert.deepEqual(value.messages[0].button, { payload: 'MAIS', text: 'Quero saber mais' });
  assert.equal(value.contacts[0].profile.name, 'José Araújo');

  const after = await send(text(JOSE, 'Que bom, José!'));
  const ok = await waitFor(() => statusesOf(after.json.messages[0].id)[0], 'status after reply');
  assert.equal(ok.json.entry[0].changes[0].value.statuses[0].status, 'sent');
});

test('other inbound shapes: interactive, list, media with caption, location', async () => {
  const cases = [
    [{ type: 'button_reply', id: 'sim', title: 'Sim' }, (m) => assert.deepEqual(m.interactive, { type: 'button_reply', button_reply: { id: 'sim', title: 'Sim' } })],
    [{ type: 'list_reply', id: 'p1', title: 'Plano 1', description: 'Básico' }, (m) => assert.deepEqual(m.interactive.list_reply, { id: 'p1', title: 'Plano 1', description: 'Básico' })],
    [{ type: 'image', caption: 'Foto do produto' }, (m) => { assert.equal(m.image.caption, 'Foto do produto'); assert.equal(m.image.mime_type, 'image/jpeg'); assert.match(m.image.id, /^\d+$/); }],
    [{ type: 'document', caption: 'Nota fiscal', filename: 'nota.pdf' }, (m) => { assert.equal(m.document.filename, 'nota.pdf'); }],
    [{ type: 'audio' }, (m) => assert.equal(m.audio.voice, true)],
    [{ type: 'location', latitude: -9.6658, longitude: -35.735, location_name: 'Maceió' }, (m) => assert.deepEqual(m.location, { latitude: -9.6658, longitude: -35.735, name: 'Maceió' })],
  ];
  for (const [extra, check] of cases) {
    const r = await control('POST', 'reply', { from: ANA, line: LINE.phone_number_id, ...extra });
    assert.equal(r.status, 200, r.raw);
    const h = await waitFor(() => hooks.find((x) => x.json?.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.id === r.json.wamid), extra.type);
    assert.ok(h.signatureOk);
    const m = h.json.entry[0].changes[0].value.messages[0];
    assert.equal(m.type, ['button_reply', 'list_reply'].includes(extra.type) ? 'interactive' : extra.type);
    check(m);
  }
  const bad = await control('POST', 'reply', { from: ANA, line: LINE.phone_number_id, type: 'hologram' });
  assert.equal(bad.status, 400);
  const noAuth = await request('POST', `${simBase}/control/reply`, { body: { from: ANA } });
  assert.equal(noAuth.status, 401);
});

test('a reply on the second line goes out under its own WABA and metadata', async () => {
  const r = await control('POST', 'reply', { from: BRUNO, line: LINE2.phone_number_id, text: 'Oi, linha 2' });
  const h = await waitFor(() => hooks.find((x) => x.json?.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.id === r.json.wamid), 'line 2 reply');
  assert.equal(h.json.entry[0].id, LINE2.waba_id);
  assert.equal(h.json.entry[0].changes[0].value.metadata.phone_number_id, LINE2.phone_number_id);
  // his window is open on line 2 only
  const s2 = await graph('POST', `/v21.0/${LINE2.phone_number_id}/messages`, text(BRUNO, 'Olá'));
  const st2 = await waitFor(() => statusesOf(s2.json.messages[0].id)[0], 'line 2 status');
  assert.equal(st2.json.entry[0].changes[0].value.statuses[0].status, 'sent');
  const s1 = await send(text(BRUNO, 'Olá'));
  const st1 = await waitFor(() => statusesOf(s1.json.messages[0].id)[0], 'line 1 status');
  assert.equal(st1.json.entry[0].changes[0].value.statuses[0].status, 'failed');
});

test('duplicate deliveries: duplicate-last and the duplicate flag resend the same bytes', async () => {
  const r = await control('POST', 'reply', { from: ANA, line: LINE.phone_number_id, text: 'duplicada', duplicate: true });
  assert.equal(r.status, 200, r.raw);
  const two = await waitFor(() => { const l = hooks.filter((x) => x.raw.includes(r.json.wamid)); return l.length >= 2 && l; }, 'two copies');
  assert.ok(two[0].raw.equals(two[1].raw));
  const d = await control('POST', 'duplicate-last');
  assert.equal(d.status, 200, d.raw);
  await waitFor(() => hooks.filter((x) => x.raw.includes(r.json.wamid)).length >= 3, 'third copy');
});

test('fail-next 5xx, 503 and rate answer with Meta errors, then sends work again', async () => {
  let c = await control('POST', 'fail-next', { count: 2, mode: '5xx' });
  assert.equal(c.status, 200, c.raw);
  for (let i = 0; i < 2; i++)
    assertError(await send(text(ANA, 'oi')), 500, 131000);
  assert.equal((await send(text(ANA, 'oi'))).status, 200);

  c = await control('POST', 'fail-next', { count: 1, mode: '503' });
  assertError(await send(text(ANA, 'oi')), 503, 2);
  c = await control('POST', 'fail-next', { count: 1, mode: 'rate' });
  assertError(await send(text(ANA, 'oi')), 400, 130429);
  c = await control('POST', 'fail-next', { count: 1, mode: 'rate', status: 429 });
  assertError(await send(text(ANA, 'oi')), 429, 130429);
  assert.equal((await send(text(ANA, 'oi'))).status, 200);
});

test('fail-next timeout: never answers, or answers after the delay', async () => {
  await control('POST', 'fail-next', { count: 1, mode: 'timeout' });
  await assert.rejects(send(text(ANA, 'sem resposta'), { timeoutMs: 400 }), /timeout/);
  assert.equal((await send(text(ANA, 'oi'))).status, 200);

  await control('POST', 'fail-next', { count: 1, mode: 'timeout', delay_ms: 300 });
  const t0 = Date.now();
  const late = await send(text(ANA, 'resposta atrasada'), { timeoutMs: 3000 });
  assert.equal(late.status, 200, late.raw);
  assert.ok(Date.now() - t0 >= 280, 'answered only after the delay');
});

test('out-of-order-next delivers read before delivered before sent', async () => {
  const c = await control('POST', 'out-of-order-next');
  assert.equal(c.status, 200);
  const res = await send(template(ANA, 'retomar_contato'));
  const wamid = res.json.messages[0].id;
  const got = await waitFor(() => statusesOf(wamid).length >= 3 && statusesOf(wamid), 'statuses');
  const statuses = got.map((h) => h.json.entry[0].changes[0].value.statuses[0]);
  assert.deepEqual(statuses.map((s) => s.status), ['read', 'delivered', 'sent']);
  // timestamps still tell the true order
  assert.ok(Number(statuses[2].timestamp) <= Number(statuses[0].timestamp));
  // only the next send
  const next = await send(template(ANA, 'retomar_contato'));
  const n = await waitFor(() => statusesOf(next.json.messages[0].id).length >= 3 && statusesOf(next.json.messages[0].id), 'in order');
  assert.deepEqual(n.map((h) => h.json.entry[0].changes[0].value.statuses[0].status), ['sent', 'delivered', 'read']);
});

test('a template status change updates the catalog and sends its webhook', async () => {
  const before = await send(template(ANA, 'oferta_pendente'));
  assert.equal(before.status, 404);
  const c = await control('POST', 'template-status', { name: 'oferta_pendente', language: 'pt_BR', event: 'APPROVED' });
  assert.equal(c.status, 200, c.raw);
  const h = await waitFor(() => hooks.find((x) => x.json?.entry?.[0]?.changes?.[0]?.field === 'message_template_status_update'), 'template webhook');
  assert.ok(h.signatureOk);
  assert.equal(h.json.object, 'whatsapp_business_account');
  const entry = h.json.entry[0];
  assert.equal(entry.id, '2001');
  assert.ok(Number.isInteger(entry.time));
  const v = entry.changes[0].value;
  assert.equal(v.event, 'APPROVED');
  assert.equal(v.message_template_id, 1304694804498704);
  assert.ok(/"message_template_id":1304694804498704[,}]/.test(h.raw.toString()), 'an integer on the wire');
  assert.equal(v.message_template_name, 'oferta_pendente');
  assert.equal(v.message_template_language, 'pt_BR');
  assert.equal(v.reason, 'NONE');

  const list = await graph('GET', '/v21.0/2001/message_templates?status=APPROVED&name=oferta_pendente');
  assert.equal(list.status, 200, list.raw);
  assert.deepEqual(list.json.data.map((t) => [t.name, t.status]), [['oferta_pendente', 'APPROVED']]);
  assert.equal((await send(template(ANA, 'oferta_pendente'))).status, 200);

  // paging: walk every page through paging.next
  const names = [];
  let url = '/v21.0/2001/message_templates?limit=2';
  let pages = 0;
  while (url) {
    const page = await graph('GET', url);
    assert.equal(page.status, 200, page.raw);
    assert.ok(page.json.data.length <= 2);
    names.push(...page.json.data.map((t) => t.name));
    assert.equal(typeof page.json.paging.cursors.before, 'string');
    assert.equal(typeof page.json.paging.cursors.after, 'string');
    url = page.json.paging.next ? new URL(page.json.paging.next).pathname + new URL(page.json.paging.next).search : null;
    pages++;
  }
  assert.equal(pages, 3);
  assert.deepEqual(names, templates.data.map((t) => t.name));
  const approved = await graph('GET', '/v21.0/2001/message_templates?status=APPROVED&limit=100');
  assert.deepEqual(approved.json.data.map((t) => t.name), ['boas_vindas', 'lembrete_pedido', 'retomar_contato', 'oferta_pendente']);
  assert.equal(approved.json.paging.next, undefined);

  await control('POST', 'template-status', { name: 'boas_vindas', language: 'pt_BR', event: 'PAUSED' });
  assertError(await send(template(ANA, 'boas_vindas', bodyParams('Ana', 'Loja'))), 400, 132015);
});

test('webhooks answered with non-200 are retried', async () => {
  hookFailMarker = 'tentar de novo';
  const r = await control('POST', 'reply', { from: ANA, line: LINE.phone_number_id, text: 'tentar de novo' });
  const copies = await waitFor(() => { const l = hooks.filter((x) => x.raw.includes(r.json.wamid)); return l.length >= 2 && l; }, 'a retry');
  assert.equal(copies[0].answered, 500);
  assert.equal(copies[1].answered, 200);
  assert.ok(copies[0].raw.equals(copies[1].raw));
  const log = await control('GET', 'webhooks');
  const entry = log.json.webhooks.find((w) => w.seq === r.json.webhook_seq);
  assert.equal(entry.state, 'delivered');
  assert.equal(entry.attempts, 2);
});

test('the request log holds the exact bodies and headers received', async () => {
  const raw = '{"messaging_product":"whatsapp","to":"5511911110001","type":"text","text":{"body":"registro exato"}}';
  const res = await send(raw);
  assert.equal(res.status, 200);
  const log = await control('GET', 'sent');
  const entry = log.json.requests.find((e) => e.body === raw);
  assert.ok(entry, 'the raw body is logged byte for byte');
  assert.equal(entry.method, 'POST');
  assert.equal(entry.path, '/v21.0/1001/messages');
  assert.equal(entry.headers.authorization, `Bearer ${ACCESS_TOKEN}`);
  assert.equal(entry.headers['content-type'], 'application/json');
  assert.equal(entry.response_status, 200);
  assert.equal(entry.wamid, res.json.messages[0].id);
  const since = await control('GET', `sent?since=${entry.seq}`);
  assert.ok(since.json.requests.every((e) => e.seq > entry.seq));
});

test('ativa-sim-ctl drives the control API', async () => {
  const ctl = (...args) => spawnSync(ctlBin, args, {
    encoding: 'utf8',
    env: { ...process.env, ATIVA_SIM_URL: simBase, ATIVA_SIM_TOKEN: CONTROL_TOKEN, ATIVA_SIM_CA: path.join(tmp, 'ca.pem') },
  });
  const tricky = 'Aspas "assim", barra \\ e\nnova linha\tcom tab, ação';
  let r = ctl('reply', '--from', ANA, '--line', LINE.phone_number_id, '--text', tricky);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const wamid = JSON.parse(r.stdout).wamid;
  const h = await waitFor(() => hooks.find((x) => x.json?.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.id === wamid), 'ctl reply');
  assert.equal(h.json.entry[0].changes[0].value.messages[0].text.body, tricky);

  r = ctl('fail-next', '1', '--mode', 'rate');
  assert.equal(r.status, 0, r.stderr);
  assertError(await send(text(ANA, 'oi')), 400, 130429);

  r = ctl('template-status', 'retomar_contato', 'pt_BR', 'PAUSED');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).updated[0].status, 'PAUSED');
  r = ctl('template-status', 'retomar_contato', 'pt_BR', 'REINSTATED');
  assert.equal(JSON.parse(r.stdout).updated[0].status, 'APPROVED');

  r = ctl('out-of-order-next', '0');
  assert.deepEqual(JSON.parse(r.stdout), { out_of_order_count: 0 });
  r = ctl('state');
  assert.equal(JSON.parse(r.stdout).fail_mode, 'none');
  r = ctl('sent', '--since', '1');
  assert.ok(JSON.parse(r.stdout).requests.every((e) => e.seq > 1));

  r = ctl('--token', 'errado', 'state');
  assert.notEqual(r.status, 0);
  r = ctl('template-status', 'nao_existe', 'pt_BR', 'APPROVED');
  assert.notEqual(r.status, 0);
  r = ctl('bogus');
  assert.equal(r.status, 2);
});

test('every webhook received carried a valid signature', () => {
  assert.ok(hooks.length > 20);
  for (const h of hooks) assert.ok(h.signatureOk, h.raw.toString());
});

test('reset restores the catalog and windows and clears the logs', async () => {
  const r = await control('POST', 'reset');
  assert.equal(r.status, 200);
  const log = await control('GET', 'sent');
  assert.deepEqual(log.json.requests, []);
  assertError(await send(template(ANA, 'oferta_pendente')), 404, 132001);
  const res = await send(text(JOSE, 'janela fechada de novo'));
  const st = await waitFor(() => statusesOf(res.json.messages[0].id)[0], 'failed after reset');
  assert.equal(st.json.entry[0].changes[0].value.statuses[0].status, 'failed');
});
