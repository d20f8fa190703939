// The consoles' side: login over HTTPS, the ativa.v1 WebSocket (door policy, limits, resume
// without loss, slow consumers, drain), against a real gateway fed by the Meta simulator.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { buildDir, eventually, requestH2, startStack } from './harness.mjs';
import { wsConnect } from './wsclient.mjs';

const adminBin = path.join(buildDir, 'tools', 'ativa-admin');
const LINE = '1001';
const PASSWORD = 'correct horse battery';

function addAgent(dataDir, login, extra = []) {
  const r = spawnSync(adminBin, ['--data', dataDir, 'agent', 'add', login, '--name', `Agent ${login}`,
    '--role', 'agent', '--lines', LINE, '--password-stdin', ...extra], { input: `${PASSWORD}\n`, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

const port = (stack) => stack.config.listen.port;
const ORIGIN = 'https://console.example';
const origin = () => ORIGIN;

async function login(stack, name, password = PASSWORD, headers = {}, timeoutMs = 5000) {
  const body = JSON.stringify({ login: name, password });
  return stack.gw('/api/login', { method: 'POST', headers: { 'content-type': 'application/json', origin: origin(stack), ...headers }, body, timeoutMs });
}

async function tokenOf(stack, name) {
  const r = await login(stack, name);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body).token;
}

function connect(stack, opts) {
  return wsConnect({ port: port(stack), ca: stack.ca, origin: origin(stack), ...opts });
}

async function resumed(stack, token, lastSeq = 0) {
  const ws = await connect(stack, { cookie: `ativa_session=${token}` });
  assert.ok(ws.send, `upgrade refused: ${ws.status}`);
  ws.send({ id: 'r', type: 'resume', last_seq: lastSeq });
  const reply = await ws.next();
  assert.equal(reply.type, 'reply');
  assert.equal(reply.ok, true, JSON.stringify(reply));
  return { ws, reply };
}

/** Frames until one matches, collecting the events seen. */
async function until(ws, pred, seen = []) {
  for (;;) {
    const m = await ws.next(8000);
    if (m.type === 'event') seen.push(m);
    if (pred(m)) return seen;
  }
}

async function rss(pid) {
  const s = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(s)[1]);
}

const consoleCfg = (extra = {}) => ({ console: { allowed_origins: [ORIGIN], max_queued_frames: 16, replay_max_events: 6, ...extra } });

describe('agents over HTTPS and ativa.v1', () => {
  let stack;
  let dataDir;
  before(async () => {
    stack = await startStack({ gateway: consoleCfg() });
    dataDir = stack.config.data_dir;
    for (const a of ['maria', 'joao', 'carla', 'lento']) addAgent(dataDir, a);
  });
  after(async () => { await stack?.stop(); });

  it('logs in with a session cookie; wrong password and unknown login get the same answer', async () => {
    const ok = await login(stack, 'maria');
    assert.equal(ok.status, 200, ok.body);
    const b = JSON.parse(ok.body);
    assert.equal(b.token.length, 43);
    assert.equal(b.agent.login, 'maria');
    assert.ok(b.expires_ms > Date.now() + 3000 * 1000);
    const cookie = [].concat(ok.headers['set-cookie'])[0];
    assert.match(cookie, new RegExp(`^ativa_session=${b.token.replace(/[-]/g, '\\-')};`));
    for (const flag of ['Path=/', 'Secure', 'HttpOnly', 'SameSite=Strict', 'Max-Age=43200']) assert.ok(cookie.includes(flag), cookie);
    const wrong = await login(stack, 'joao', 'not the password');
    const unknown = await login(stack, 'nobody', 'not the password');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.body, unknown.body);
    assert.equal(JSON.parse(wrong.body).error.code, 'bad_credentials');
    assert.equal(wrong.headers['set-cookie'], undefined);
  });

  it('logs in over HTTP/2 as browsers do, with the same answers', async () => {
    const h2 = (name, password) => {
      const body = JSON.stringify({ login: name, password });
      return requestH2(`https://localhost:${port(stack)}`, '/api/login', {
        ca: stack.ca, method: 'POST', body,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), origin: ORIGIN },
      });
    };
    const ok = await h2('maria', PASSWORD);
    assert.equal(ok.alpn, 'h2');
    assert.equal(ok.status, 200, ok.body);
    assert.match([].concat(ok.headers['set-cookie'])[0], /^ativa_session=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const token = JSON.parse(ok.body).token;
    const session = await requestH2(`https://localhost:${port(stack)}`, '/api/session', { ca: stack.ca, headers: { cookie: `ativa_session=${token}` } });
    assert.equal(session.status, 200, session.body);
    assert.equal((await h2('joao', 'not the password')).status, 401);
  });

  it('refuses a foreign Origin, a bad body and a huge body', async () => {
    assert.equal((await login(stack, 'maria', PASSWORD, { origin: 'https://evil.example' })).status, 403);
    const bad = await stack.gw('/api/login', { method: 'POST', headers: { origin: ORIGIN }, body: '{"login": 3' });
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).error.code, 'bad_json');
    const big = await stack.gw('/api/login', { method: 'POST', headers: { origin: ORIGIN }, body: 'x'.repeat(5000) });
    assert.equal(big.status, 413);
  });

  it('slows down repeated failures with 429 and Retry-After', async () => {
    let r;
    for (let i = 0; i < 6; i++) {
      r = await login(stack, 'carla', 'wrong password');
      if (r.status === 429) break;
      assert.equal(r.status, 401);
    }
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers['retry-after']) >= 1, JSON.stringify(r.headers));
    // Even the right password waits.
    assert.equal((await login(stack, 'carla')).status, 429);
  });

  it('refuses a flood of logins beyond what the password worker holds', async () => {
    const all = await Promise.all(Array.from({ length: 80 }, (_, i) => login(stack, `flood${i}`, 'not the password', {}, 60000)));
    const statuses = all.map((r) => r.status);
    assert.ok(statuses.every((st) => st === 401 || st === 429), statuses.join(','));
    const refused = all.filter((r) => r.status === 429);
    // Most arrive while the first are being checked (each check takes tens of ms).
    assert.ok(refused.length >= 1, 'none refused');
    assert.equal(refused[0].headers['retry-after'], '1');
  });

  it('GET /api/session tells a live session from a dead one', async () => {
    const token = await tokenOf(stack, 'maria');
    const ok = await stack.gw('/api/session', { headers: { cookie: `ativa_session=${token}` } });
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).agent.login, 'maria');
    const viaBearer = await stack.gw('/api/session', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(viaBearer.status, 200);
    const none = await stack.gw('/api/session');
    assert.equal(none.status, 401);
    assert.equal(JSON.parse(none.body).error.code, 'unauthenticated');
  });

  it('refuses upgrades without an allowed Origin or a valid session', async () => {
    const token = await tokenOf(stack, 'maria');
    const foreign = await connect(stack, { origin: 'https://evil.example', cookie: `ativa_session=${token}` });
    assert.equal(foreign.status, 403);
    const noOrigin = await connect(stack, { origin: null, cookie: `ativa_session=${token}` });
    assert.equal(noOrigin.status, 403);
    assert.equal((await connect(stack, {})).status, 401);
    const forged = 'A'.repeat(43);
    assert.equal((await connect(stack, { cookie: `ativa_session=${forged}` })).status, 401);
    assert.equal((await connect(stack, { bearer: forged })).status, 401);
    const otherPath = await connect(stack, { path: '/elsewhere', cookie: `ativa_session=${token}` });
    assert.equal(otherPath.status, 404);
    // Only ativa.v1 is a WebSocket: not the default protocol, nor an HTTP route's by name.
    for (const protocol of [null, 'http', 'ativa-webhook', 'ativa-health', 'ativa-metrics', 'ativa-auth', 'ativa-loop', 'ativa-graph-client']) {
      const other = await connect(stack, { protocol, cookie: `ativa_session=${token}` });
      assert.equal(other.send, undefined, `upgrade accepted with ${protocol}`);
      assert.notEqual(other.status, 101);
    }
  });

  it('negotiates ativa.v1 and answers resume; bad frames get errors and the connection stays', async () => {
    const token = await tokenOf(stack, 'maria');
    const { ws, reply } = await resumed(stack, token);
    assert.equal(ws.protocol, 'ativa.v1');
    assert.equal(reply.id, 'r');
    assert.equal(reply.data.agent.login, 'maria');
    assert.ok(Math.abs(reply.data.server_time_ms - Date.now()) < 5000);
    assert.equal(typeof reply.data.last_seq, 'number');
    ws.send('this is not json');
    let m = await ws.next();
    assert.equal(m.ok, false);
    assert.equal(m.id, null);
    assert.equal(m.error.code, 'bad_json');
    ws.send({ id: 'u1', type: 'no.such.request' });
    m = await ws.next();
    assert.equal(m.id, 'u1');
    assert.equal(m.error.code, 'unknown_request');
    ws.send({ id: 'i1', type: 'conversation.open' });
    m = await ws.next();
    assert.equal(m.id, 'i1');
    assert.equal(m.error.code, 'invalid_argument');
    assert.match(m.error.message, /conversation_id/);
    ws.send({ id: 'l1', type: 'reasons.list' });
    m = await ws.next();
    assert.equal(m.id, 'l1');
    assert.equal(m.ok, true, JSON.stringify(m));
    ws.close();
  });

  it('closes with 1009 on an oversized frame and 1003 on a binary frame', async () => {
    const token = await tokenOf(stack, 'maria');
    const a = await connect(stack, { bearer: token });
    a.send({ id: 'x', type: 'reasons.list', pad: 'y'.repeat(70000) });
    const ca = await a.whenClosed();
    assert.equal(ca.code, 1009);
    assert.ok(ca.reason.length > 0);
    const b = await connect(stack, { bearer: token });
    b.sendFrame(2, Buffer.from([1, 2, 3]));
    assert.equal((await b.whenClosed()).code, 1003);
  });

  it('pushes live events and replays what a reconnecting console missed, in order, without repeats', async () => {
    const token = await tokenOf(stack, 'joao');
    const { ws: watcher } = await resumed(stack, await tokenOf(stack, 'maria'));
    const { ws } = await resumed(stack, token);
    await stack.control('reply', { from: '5511987654321', line: LINE, text: 'primeira' });
    const first = await until(ws, (m) => m.type === 'event' && m.event === 'message');
    const lastApplied = first.at(-1).seq;
    ws.destroy();
    // Missed while away; the watcher sees them live.
    const watched = [];
    await stack.control('reply', { from: '5511987654321', line: LINE, text: 'segunda' });
    await until(watcher, (m) => m.type === 'event' && m.event === 'message' && m.data.message.text === 'segunda', watched);
    const { ws: again, reply } = await resumed(stack, token, lastApplied);
    assert.ok(reply.data.last_seq >= watched.at(-1).seq);
    const replayed = [];
    await until(again, (m) => m.type === 'event' && m.seq === watched.at(-1).seq, replayed);
    assert.deepEqual(replayed.map((e) => e.seq), watched.filter((e) => e.seq > lastApplied).map((e) => e.seq));
    await stack.control('reply', { from: '5511987654321', line: LINE, text: 'terceira' });
    const live = await until(again, (m) => m.type === 'event' && m.event === 'message');
    assert.ok(live[0].seq > watched.at(-1).seq, 'no repeat after the replay');
    const seqs = [...replayed, ...live].map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
    again.close();
    watcher.close();
  });

  it('tells a console too far behind to resync', async () => {
    const token = await tokenOf(stack, 'maria');
    for (let i = 0; i < 4; i++) await stack.control('reply', { from: '5511912345678', line: LINE, text: `msg ${i}` });
    const probe = await resumed(stack, token);
    await eventually(async () => {
      probe.ws.send({ id: 'p', type: 'reasons.list' });
      return true;
    });
    probe.ws.close();
    const last = probe.reply.data.last_seq;
    assert.ok(last > 7, `log too short: ${last}`);
    const { ws } = await resumed(stack, token, 1);
    const m = await ws.next();
    assert.equal(m.type, 'resync');
    assert.equal(m.reason, 'too far behind');
    ws.close();
  });

  it('revokes the sockets of a session at logout', async () => {
    const token = await tokenOf(stack, 'maria');
    const { ws } = await resumed(stack, token);
    const out = await stack.gw('/api/logout', { method: 'POST', headers: { origin: ORIGIN, cookie: `ativa_session=${token}` }, body: '' });
    assert.equal(out.status, 200);
    assert.match([].concat(out.headers['set-cookie'])[0], /^ativa_session=;.*Max-Age=0/);
    const m = await ws.next();
    assert.equal(m.error.code, 'unauthenticated');
    const c = await ws.whenClosed();
    assert.equal(c.code, 4001);
    assert.equal((await connect(stack, { cookie: `ativa_session=${token}` })).status, 401);
    assert.equal((await stack.gw('/api/session', { headers: { cookie: `ativa_session=${token}` } })).status, 401);
  });

  it('disconnects a console that stops reading with 1008, and memory stays bounded', async () => {
    const token = await tokenOf(stack, 'lento');
    const { ws } = await resumed(stack, token);
    const pid = stack.gateway.proc.pid;
    const before = await rss(pid);
    ws.socket.pause();
    // Requests in small batches (fewer than the queue holds), so that the queue fills only once
    // the socket is choked, as it does for a console that stopped reading; events come too.
    const req = JSON.stringify({ id: 't', type: 'templates.list', line: LINE });
    const producing = (async () => {
      for (let i = 0; i < 3; i++) await stack.control('reply', { from: '5511987654321', line: LINE, text: `lento ${i}` });
    })();
    const slow = () => stack.gateway.logs().includes('msg="console too slow" agent=lento');
    for (let batch = 0; batch < 20000 && !slow(); batch++) {
      for (let i = 0; i < 8; i++) ws.send(req);
      await new Promise((r) => setTimeout(r, 2));
    }
    await producing;
    await eventually(slow, { timeoutMs: 20000, what: 'overflow' });
    // Keep asking: a gateway that kept queueing for this console would grow by some 40 MiB.
    for (let i = 0; i < 40000; i++) ws.send(req);
    await new Promise((r) => setTimeout(r, 500));
    const afterKb = await rss(pid);
    assert.ok(afterKb - before < 24 * 1024, `RSS grew by ${afterKb - before} kB`);
    ws.socket.resume();
    const c = await ws.whenClosed(15000);
    assert.equal(c.code, 1008, stack.gateway.logs().split('\n').filter((l) => /console|lws/.test(l)).slice(-15).join('\n'));
    assert.equal(c.reason, 'too slow: resume from your last seq');
  });
});

describe('session expiry, dead peers and drain', () => {
  let stack;
  before(async () => {
    stack = await startStack({ gateway: consoleCfg({ session_ttl_s: 3, ping_interval_s: 1, ping_timeout_s: 2 }) });
    addAgent(stack.config.data_dir, 'maria');
  });
  after(async () => { await stack?.stop(); });

  it('closes a console whose session expires with 4001, and refuses the expired session', async () => {
    const token = await tokenOf(stack, 'maria');
    const { ws } = await resumed(stack, token);
    const m = await ws.next(6000);
    assert.equal(m.error.code, 'unauthenticated');
    const c = await ws.whenClosed();
    assert.equal(c.code, 4001);
    assert.equal(c.reason, 'session expired');
    assert.equal((await connect(stack, { cookie: `ativa_session=${token}` })).status, 401);
  });

  it('pings quiet consoles and drops one that never answers', async () => {
    const alive = await connect(stack, { bearer: await tokenOf(stack, 'maria') });
    const dead = await connect(stack, { bearer: await tokenOf(stack, 'maria'), answerPings: false });
    const t0 = Date.now();
    const c = await dead.whenClosed(6000);
    const elapsed = Date.now() - t0;
    assert.ok(dead.pings >= 1, 'the gateway pinged');
    // Dropped by the ping policy (about 2 s), not by the end of its 3 s session.
    assert.notEqual(c.code, 4001, `closed ${c.code} after ${elapsed} ms`);
    assert.ok(elapsed < 2900, `closed ${c.code} after ${elapsed} ms`);
    assert.ok(alive.pings >= 1);
    assert.equal(alive.closed, null, 'a console that answers stays');
    alive.close();
  });

  it('tells consoles to reconnect elsewhere on SIGTERM: draining, then close 1012', async () => {
    const token = await tokenOf(stack, 'maria');
    const { ws } = await resumed(stack, token);
    ws.answerClose = true; // like a browser, so the gateway sees its close answered
    const stopping = stack.gateway.stop();
    const m = await ws.next();
    assert.deepEqual(m, { type: 'draining', retry_ms: 1000 });
    assert.equal((await ws.whenClosed()).code, 1012);
    await ws.socketEnded;
    assert.equal(ws.closeFrames, 1, 'one close frame: the answer to it is not echoed');
    const r = await stopping;
    assert.equal(r.code, 0, stack.gateway.logs());
  });
});
