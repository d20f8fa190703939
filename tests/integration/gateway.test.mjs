// ativa-gateway as a process: TLS, HTTP/1.1 and HTTP/2, /healthz, static files, the webhook
// handshake and body cap, security headers, configuration errors, and a clean stop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import tls from 'node:tls';
import { createHmac } from 'node:crypto';

import {
  freePort, gatewayConfig, makeCerts, makeTempDir, removeDir, request, requestH2, runGateway,
  startGateway, writeConfig,
} from './harness.mjs';

const SECURITY_HEADERS = {
  'strict-transport-security': /max-age=\d+/,
  'x-content-type-options': /^nosniff$/,
  'content-security-policy': /default-src 'self'.*connect-src[^;]*wss:/,
  'referrer-policy': /^no-referrer$/,
  'x-frame-options': /^DENY$/i,
};

function assertSecurityHeaders(headers, what) {
  for (const [name, pattern] of Object.entries(SECURITY_HEADERS)) {
    assert.match(String(headers[name] ?? ''), pattern, `${what}: header ${name}`);
  }
}

let dir;
let certs;

before(async () => {
  dir = await makeTempDir();
  certs = await makeCerts(path.join(dir, 'certs'));
});

after(async () => {
  await removeDir(dir);
});

describe('a running gateway', () => {
  let gw;
  let base;

  before(async () => {
    const port = await freePort();
    const runDir = path.join(dir, 'running');
    await mkdir(runDir);
    gw = await startGateway({
      dir: runDir,
      config: gatewayConfig({ port, certs, dataDir: path.join(runDir, 'data'), overrides: {} }),
    });
    base = `https://127.0.0.1:${port}`;
  });

  after(async () => {
    const r = await gw.stop();
    assert.equal(r.code, 0, `exit status ${JSON.stringify(r)}; logs:\n${gw.logs()}`);
  });

  it('answers /healthz over TLS with HTTP/1.1', async () => {
    const r = await request(`${base}/healthz`, { ca: certs.caPem });
    assert.equal(r.status, 200);
    assert.equal(r.httpVersion, '1.1');
    assert.match(r.headers['content-type'], /^application\/json/);
    const h = JSON.parse(r.body);
    assert.equal(h.status, 'ok');
    assert.equal(h.loop, 'live');
    assert.equal(typeof h.store, 'string');
    assert.ok(Number.isInteger(h.uptime_s) && h.uptime_s >= 0);
  });

  it('answers /healthz over HTTP/2 negotiated by ALPN', async () => {
    const r = await requestH2(base, '/healthz', { ca: certs.caPem });
    assert.equal(r.alpn, 'h2');
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).status, 'ok');
    assertSecurityHeaders(r.headers, 'h2 /healthz');
  });

  it('refuses TLS 1.1 and accepts TLS 1.2', async () => {
    const old = request(`${base}/healthz`, {
      ca: certs.caPem,
      tls: { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' },
    });
    // The server's "protocol version" alert, not a client-side refusal.
    await assert.rejects(old, (e) => /alert protocol version|ALERT_PROTOCOL_VERSION/i.test(`${e.code} ${e.message}`));
    const tls12 = await request(`${base}/healthz`, { ca: certs.caPem, tls: { maxVersion: 'TLSv1.2' } });
    assert.equal(tls12.status, 200);
  });

  it('serves the console index at /', async () => {
    const r = await request(`${base}/`, { ca: certs.caPem });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/html/);
    assert.match(r.body, /<title>[^<]*ativa<\/title>/);
    assert.match(r.body, /Nova Conversa/);
    assertSecurityHeaders(r.headers, 'GET /');
  });

  it('serves nothing outside console.static_dir', async () => {
    for (const rawPath of ['/../README.md', '/%2e%2e/README.md', '/..%2fREADME.md', '/../../etc/passwd']) {
      const r = await request(base, { ca: certs.caPem, rawPath });
      assert.notEqual(r.status, 200, rawPath);
      assert.doesNotMatch(r.body, /contact-center|root:/, rawPath);
    }
  });

  it('puts the security headers on every answer, errors included', async () => {
    for (const p of ['/healthz', '/no-such-file.html', '/webhooks/whatsapp?hub.mode=subscribe']) {
      const r = await request(`${base}${p}`, { ca: certs.caPem });
      assertSecurityHeaders(r.headers, `GET ${p} (${r.status})`);
    }
    const missing = await request(`${base}/no-such-file.html`, { ca: certs.caPem });
    assert.equal(missing.status, 404);
  });

  it('echoes the challenge when Meta verifies the webhook with the right token', async () => {
    const q = 'hub.mode=subscribe&hub.verify_token=test-verify-token&hub.challenge=1158201444';
    const r = await request(`${base}/webhooks/whatsapp?${q}`, { ca: certs.caPem });
    assert.equal(r.status, 200);
    assert.equal(r.body, '1158201444');
    assert.match(r.headers['content-type'], /^text\/plain/);
    const h2 = await requestH2(base, `/webhooks/whatsapp?${q.replace('1158201444', 'abc123')}`, { ca: certs.caPem });
    assert.equal(h2.status, 200);
    assert.equal(h2.body, 'abc123');
  });

  it('refuses the handshake with a wrong token, a missing mode or a bad challenge (403)', async () => {
    const cases = [
      'hub.mode=subscribe&hub.verify_token=wrong-token&hub.challenge=1158201444',
      'hub.mode=subscribe&hub.verify_token=test-verify-token-longer&hub.challenge=1',
      'hub.verify_token=test-verify-token&hub.challenge=1158201444',
      'hub.mode=unsubscribe&hub.verify_token=test-verify-token&hub.challenge=1158201444',
      'hub.mode=subscribe&hub.verify_token=test-verify-token&hub.challenge=%3Cscript%3E',
      `hub.mode=subscribe&hub.verify_token=test-verify-token&hub.challenge=${'9'.repeat(129)}`,
    ];
    for (const q of cases) {
      const r = await request(`${base}/webhooks/whatsapp?${q}`, { ca: certs.caPem });
      assert.equal(r.status, 403, q);
      assert.doesNotMatch(r.body, /1158201444|script/, q);
    }
    assert.match(gw.logs(), /msg="webhook verification refused" reason="hub.verify_token does not match/);
  });

  it('reads a webhook POST within the cap and refuses it unsigned or wrongly signed (401)', async () => {
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    const r = await request(`${base}/webhooks/whatsapp`, {
      ca: certs.caPem, method: 'POST', body,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
    });
    assert.equal(r.status, 401);
    assert.equal(r.body, 'bad signature\n');
    const full = await request(`${base}/webhooks/whatsapp`, {
      ca: certs.caPem, method: 'POST', body: 'x'.repeat(4096), headers: { 'content-length': 4096 },
    });
    assert.equal(full.status, 401, 'a body of exactly max_body_bytes is read (then refused: unsigned)');
    const empty = await request(`${base}/webhooks/whatsapp`, {
      ca: certs.caPem, method: 'POST', body: '', headers: { 'content-length': 0 },
    });
    assert.equal(empty.status, 401);
  });

  it('answers 413 to a webhook body over webhook.max_body_bytes, and keeps serving', async () => {
    const r = await request(`${base}/webhooks/whatsapp`, {
      ca: certs.caPem, method: 'POST', body: 'x'.repeat(4097), headers: { 'content-length': 4097 },
    });
    assert.equal(r.status, 413);
    assertSecurityHeaders(r.headers, 'POST 413');
    const big = await request(`${base}/webhooks/whatsapp`, {
      ca: certs.caPem, method: 'POST', body: 'x'.repeat(256 * 1024), headers: { 'content-length': 256 * 1024 },
    });
    assert.equal(big.status, 413);
    assert.match(gw.logs(), /msg="webhook refused" reason="body too large" bytes=4097 max=4096/);
    assert.equal((await request(`${base}/healthz`, { ca: certs.caPem })).status, 200);
  });

  it('refuses webhook POSTs over HTTP/2, where the signature header cannot be read (505)', async () => {
    const r = await requestH2(base, '/webhooks/whatsapp', { ca: certs.caPem, method: 'POST', body: '{}' });
    assert.equal(r.status, 505);
  });

  it('is not started twice on one port: the second exits 1 and says why', async () => {
    const other = path.join(dir, 'second');
    await mkdir(other);
    const cfg = gatewayConfig({ port: Number(new URL(base).port), certs, dataDir: path.join(other, 'data') });
    const r = await runGateway(['--config', await writeConfig(other, cfg)]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /level=error msg="cannot listen" address=127\.0\.0\.1/);
  });

  it('answers wrong methods, paths and lengths precisely', async () => {
    const ca = certs.caPem;
    assert.equal((await request(`${base}/healthz`, { ca, method: 'POST', body: 'x', headers: { 'content-length': 1 } })).status, 405);
    assert.equal((await request(`${base}/healthz/deeper`, { ca })).status, 404);
    assert.equal((await request(`${base}/webhooks/whatsapp/other`, { ca })).status, 404);
    assert.equal((await request(`${base}/webhooks/whatsapp`, { ca, method: 'PUT', body: 'x', headers: { 'content-length': 1 } })).status, 405);
    // Without Content-Length (a chunked body) the size cannot be judged before reading.
    const chunked = await request(`${base}/webhooks/whatsapp`, { ca, method: 'POST', body: '{}', headers: { 'transfer-encoding': 'chunked' } });
    assert.equal(chunked.status, 411);
    assert.equal((await request(`${base}/healthz/`, { ca })).status, 200);
  });

  it('logs one structured line per event', () => {
    const lines = gw.logs().trim().split('\n');
    assert.ok(lines.length >= 2);
    for (const line of lines) {
      assert.match(line, /^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(error|warn|info|debug) msg=/, line);
    }
    assert.match(gw.logs(), /level=info msg=listening address=127\.0\.0\.1 port=\d+/);
  });
});

describe('configuration errors stop the start-up', () => {
  async function badConfig(name, mutate) {
    const port = await freePort();
    const cfg = gatewayConfig({ port, certs, dataDir: path.join(dir, 'data') });
    mutate(cfg);
    return writeConfig(dir, cfg, `${name}.json`);
  }

  it('names a missing key and exits 1', async () => {
    const file = await badConfig('missing', (c) => { delete c.listen.port; delete c.lines[0].phone_number_id; });
    const r = await runGateway(['--config', file]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^config: listen\.port is missing: give the TCP port/m);
    assert.match(r.stderr, /^config: lines\[0\]\.phone_number_id is missing: give the line's Meta phone_number_id \(digits\)$/m);
    assert.doesNotMatch(r.stderr, /msg=listening/);
  });

  it('names an unknown key and exits 1', async () => {
    const file = await badConfig('unknown', (c) => { c.webhook.max_body_byte = 10; });
    const r = await runGateway(['--config', file]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^config: unknown key webhook\.max_body_byte: remove it or correct its spelling/m);
  });

  it('names an unreadable certificate and exits 1', async () => {
    const file = await badConfig('nocert', (c) => { c.tls.cert_file = path.join(dir, 'absent.pem'); });
    const r = await runGateway(['--config', file, '--check-config']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^config: tls\.cert_file: cannot open .*absent\.pem/m);
  });

  it('--check-config accepts a valid file with exit 0, secrets from the environment', async () => {
    const file = await badConfig('valid', (c) => { delete c.graph.token; });
    const r = await runGateway(['--config', file, '--check-config'], { env: { ATIVA_GRAPH_TOKEN: 'from-env' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /is valid/);
    const without = await runGateway(['--config', file, '--check-config'], { env: { ATIVA_GRAPH_TOKEN: '' } });
    assert.equal(without.code, 1);
    assert.match(without.stderr, /graph\.token is missing: .*ATIVA_GRAPH_TOKEN/);
  });

  it('refuses a listen address that is not on this machine', async () => {
    const file = await badConfig('foreign', (c) => { c.listen.address = '192.0.2.1'; });
    const r = await runGateway(['--config', file]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /msg="cannot listen" address=192\.0\.2\.1 .*reason="Cannot assign requested address"/);
  });

  it('rejects usage errors with exit 2', async () => {
    const r = await runGateway(['--confg', 'x.json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: ativa-gateway --config FILE/);
  });
});

describe('stopping', () => {
  it('exits 0 within 2 s of SIGTERM, with a log line', async () => {
    const port = await freePort();
    const runDir = path.join(dir, 'stopping');
    await mkdir(runDir);
    const gw = await startGateway({
      dir: runDir,
      config: gatewayConfig({ port, certs, dataDir: path.join(runDir, 'data'), overrides: { window_ms: 60000 } }),
    });
    assert.match(gw.logs(), /level=warn msg="window_ms is shorter than 24 hours/);
    // A keep-alive connection left open must not hold the stop back.
    const agentless = await request(`https://127.0.0.1:${port}/healthz`, { ca: certs.caPem, headers: { connection: 'keep-alive' } });
    assert.equal(agentless.status, 200);
    const r = await gw.stop(5000);
    assert.equal(r.code, 0, `exit ${JSON.stringify(r)}; logs:\n${gw.logs()}`);
    assert.ok(r.elapsedMs < 2000, `stopped after ${r.elapsedMs} ms`);
    assert.match(gw.logs(), /level=info msg=stopping/);
    assert.match(gw.logs(), /level=info msg=stopped status=clean/);
  });

  it('lets a webhook POST in progress finish, refuses new connections, then exits 0', async () => {
    const port = await freePort();
    const runDir = path.join(dir, 'draining');
    await mkdir(runDir);
    const gw = await startGateway({
      dir: runDir,
      config: gatewayConfig({ port, certs, dataDir: path.join(runDir, 'data') }),
    });
    const sock = tls.connect({ host: '127.0.0.1', port, ca: certs.caPem, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
    await new Promise((resolve, reject) => { sock.once('secureConnect', resolve); sock.once('error', reject); });
    let answer = '';
    sock.on('data', (d) => { answer += d; });
    const closed = new Promise((resolve) => sock.on('close', resolve));
    // A real, signed event: during the drain it is still committed and acknowledged with 200.
    const event = Buffer.from(JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '5511999990000', phone_number_id: '106540352242922' },
        messages: [{ from: '5511987654321', id: 'wamid.drain-1', timestamp: '1764000000', type: 'text', text: { body: 'durante a parada' } }],
      } }] }],
    }));
    const signature = `sha256=${createHmac('sha256', 'test-app-secret').update(event).digest('hex')}`;
    const half = Math.floor(event.length / 2);
    sock.write(`POST /webhooks/whatsapp HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${event.length}\r\nX-Hub-Signature-256: ${signature}\r\n\r\n`);
    sock.write(event.subarray(0, half));
    const stopped = gw.stop(5000);
    const deadline = Date.now() + 2000;
    while (!/msg=stopping inflight=1/.test(gw.logs()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(gw.logs(), /msg=stopping inflight=1/);
    // While draining, a new connection is not served.
    await assert.rejects(request(`https://127.0.0.1:${port}/healthz`, { ca: certs.caPem, timeoutMs: 1000 }));
    sock.write(event.subarray(half));
    const r = await stopped;
    await closed;
    assert.match(answer, /^HTTP\/1\.1 200 /, answer);
    assert.equal(r.code, 0, gw.logs());
    assert.doesNotMatch(gw.logs(), /drain timed out/);
  });
});
