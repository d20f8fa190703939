// The connection's contract with the gateway (docs/protocol.md §2, §4 resume, §6), driven through
// a stand-in for the browser's WebSocket and timers: nothing here sleeps or opens a socket.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { backoffDelay, Connection, RequestError, SUBPROTOCOL } from '../../web/js/connection.js';

let sockets;
let timers;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

class FakeSocket {
  constructor(url, protocol) {
    this.url = url;
    this.requested = protocol;
    this.protocol = '';
    this.sent = [];
    this.listeners = {};
    this.closed = null;
    sockets.push(this);
  }
  addEventListener(type, fn) {
    (this.listeners[type] ??= []).push(fn);
  }
  fire(type, e = {}) {
    for (const fn of this.listeners[type] ?? []) fn(e);
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close(code, reason) {
    this.closed = { code, reason };
  }
  accept() {
    this.protocol = SUBPROTOCOL;
    this.fire('open');
  }
  receive(frame) {
    this.fire('message', { data: JSON.stringify(frame) });
  }
  drop(code = 1006) {
    this.fire('close', { code });
  }
  last() {
    return this.sent[this.sent.length - 1];
  }
}

beforeEach(() => {
  sockets = [];
  timers = [];
  globalThis.WebSocket = FakeSocket;
  globalThis.setTimeout = (fn, ms) => {
    const t = { fn, ms, done: false };
    timers.push(t);
    return t;
  };
  globalThis.clearTimeout = (t) => {
    if (t) t.done = true;
  };
});
afterEach(() => {
  globalThis.setTimeout = realSetTimeout;
  globalThis.clearTimeout = realClearTimeout;
  delete globalThis.WebSocket;
});

const tick = () => new Promise((r) => setImmediate(r));

function harness(lastSeq = 0) {
  const log = { states: [], events: [], resumed: [], resyncs: [], unauth: [] };
  const h = {
    seq: lastSeq,
    lastSeq: () => h.seq,
    onResumed: (d) => log.resumed.push(d),
    onEvent: (f) => log.events.push(f),
    onResync: (f) => log.resyncs.push(f),
    onState: (s, d) => log.states.push([s, d]),
    onUnauthenticated: (e) => log.unauth.push(e),
  };
  return { conn: new Connection(h, 'wss://console.example/ws'), h, log };
}

async function goLive(conn, lastSeq = 0) {
  conn.start();
  const ws = sockets[sockets.length - 1];
  ws.accept();
  const resume = ws.last();
  assert.equal(resume.type, 'resume');
  assert.equal(resume.last_seq, lastSeq);
  ws.receive({ type: 'reply', id: resume.id, ok: true, data: { agent: { id: 3 }, server_time_ms: 1, last_seq: 99, window_ms: 86400000 } });
  await tick();
  return ws;
}

test('connects with the ativa.v1 subprotocol and resumes from the last applied seq', async () => {
  const { conn, log } = harness(1207);
  const ws = await goLive(conn, 1207);
  assert.equal(ws.url, 'wss://console.example/ws');
  assert.equal(ws.requested, 'ativa.v1');
  assert.equal(conn.live, true);
  assert.deepEqual(log.states.map(([s]) => s), ['connecting', 'live']);
  assert.equal(log.resumed[0].last_seq, 99);
});

test('replies are matched by id, in any order; a refusal carries its code and words', async () => {
  const { conn } = harness();
  const ws = await goLive(conn);
  const a = conn.request('lines.list');
  const b = conn.request('message.send_text', { conversation_id: 42, text: 'Bom dia!' });
  const [ra, rb] = ws.sent.slice(-2);
  assert.notEqual(ra.id, rb.id);
  assert.deepEqual(rb, { conversation_id: 42, text: 'Bom dia!', id: rb.id, type: 'message.send_text' });
  ws.receive({ type: 'reply', id: rb.id, ok: false, error: { code: 'window_closed', message: 'Já se passaram mais de 24 horas' } });
  ws.receive({ type: 'reply', id: ra.id, ok: true, data: { lines: [] } });
  assert.deepEqual(await a, { lines: [] });
  await assert.rejects(b, (e) => e instanceof RequestError && e.code === 'window_closed' && /24 horas/.test(e.message));
  // a reply nobody waits for (id null: the gateway could not read a frame) changes nothing
  ws.receive({ type: 'reply', id: null, ok: false, error: { code: 'bad_json', message: 'x' } });
});

test('nothing is sent while not live; an oversized frame is refused before sending', async () => {
  const { conn } = harness();
  await assert.rejects(conn.request('lines.list'), (e) => e.code === 'offline');
  const ws = await goLive(conn);
  const before = ws.sent.length;
  await assert.rejects(conn.request('message.send_text', { conversation_id: 1, text: 'x'.repeat(70000) }), (e) => e.code === 'too_large');
  assert.equal(ws.sent.length, before);
});

test('events and resync reach their handlers in arrival order', async () => {
  const { conn, log } = harness();
  const ws = await goLive(conn);
  ws.receive({ type: 'event', seq: 100, event: 'conversation', data: {} });
  ws.receive({ type: 'event', seq: 104, event: 'message', data: {} });
  ws.receive({ type: 'resync', reason: 'too far behind' });
  assert.deepEqual(log.events.map((f) => f.seq), [100, 104]);
  assert.equal(log.resyncs.length, 1);
});

test('a dropped socket fails pending requests, backs off, reconnects and resumes from the new seq', async () => {
  const { conn, h, log } = harness(5);
  const ws = await goLive(conn, 5);
  const pending = conn.request('conversation.list');
  ws.drop();
  await assert.rejects(pending, (e) => e.code === 'disconnected');
  const [state, detail] = log.states[log.states.length - 1];
  assert.equal(state, 'reconnecting');
  const wait = timers.filter((t) => !t.done).pop();
  assert.ok(wait.ms >= 400 && wait.ms <= 600, String(wait.ms));
  assert.ok(detail.retryAtMs >= Date.now() + 300);
  assert.equal(conn.live, false);
  h.seq = 12; // events applied before the drop
  wait.done = true;
  wait.fn();
  const ws2 = sockets[1];
  assert.ok(ws2 && ws2 !== ws);
  ws2.accept();
  assert.deepEqual({ type: ws2.last().type, last_seq: ws2.last().last_seq }, { type: 'resume', last_seq: 12 });
});

test('failing attempts back off 0.5 s doubling to 10 s', () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 30].map((n) => backoffDelay(n, mid)), [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  for (let n = 0; n < 8; n++) {
    const base = Math.min(10000, 500 * 2 ** n);
    assert.ok(backoffDelay(n, () => 0) >= base * 0.8 - 1);
    assert.ok(backoffDelay(n, () => 0.999) <= Math.min(10000, base * 1.2));
  }
  assert.notEqual(backoffDelay(3, () => 0), backoffDelay(3, () => 0.99), 'jitter spreads reconnects');
});

test('consecutive failures grow the delay; success resets it', async () => {
  const { conn } = harness();
  conn.start();
  const delays = [];
  for (let i = 0; i < 5; i++) {
    sockets[sockets.length - 1].drop();
    const t = timers.filter((x) => !x.done).pop();
    delays.push(t.ms);
    t.done = true;
    t.fn();
  }
  for (let i = 1; i < delays.length; i++) assert.ok(delays[i] > delays[i - 1], delays.join(','));
  const ws = sockets[sockets.length - 1];
  ws.accept();
  ws.receive({ type: 'reply', id: ws.last().id, ok: true, data: { last_seq: 0 } });
  await tick();
  ws.drop();
  assert.ok(timers.filter((x) => !x.done).pop().ms <= 600);
});

test('draining: reconnect after retry_ms, not after the back-off', async () => {
  const { conn, log } = harness();
  const ws = await goLive(conn);
  ws.receive({ type: 'draining', retry_ms: 3000 });
  ws.drop(1012);
  const t = timers.filter((x) => !x.done).pop();
  assert.ok(t.ms >= 3000 && t.ms <= 3250, String(t.ms));
  const [state, detail] = log.states[log.states.length - 1];
  assert.equal(state, 'reconnecting');
  assert.equal(detail.draining, true);
  t.done = true;
  t.fn();
  sockets[sockets.length - 1].drop();
  assert.equal(log.states[log.states.length - 1][1].draining, false, 'only the announced restart is a drain');
});

test('an unauthenticated session stops reconnecting and asks for a login', async () => {
  const { conn, log } = harness();
  conn.start();
  const ws = sockets[0];
  ws.accept();
  ws.receive({ type: 'reply', id: ws.last().id, ok: false, error: { code: 'unauthenticated', message: 'sessão expirada: entre novamente' } });
  await tick();
  assert.equal(log.unauth.length, 1);
  assert.equal(conn.state, 'stopped');
  assert.equal(timers.filter((x) => !x.done && x.ms < 30000).length, 0, 'no reconnect scheduled');
});

test('a gateway that does not speak ativa.v1 is hung up on', () => {
  const { conn } = harness();
  conn.start();
  const ws = sockets[0];
  ws.fire('open'); // protocol stays ''
  assert.equal(ws.sent.length, 0);
  assert.equal(ws.closed.code, 1002);
});

test('stop() closes the socket and never reconnects', async () => {
  const { conn } = harness();
  const ws = await goLive(conn);
  conn.stop();
  assert.equal(ws.closed.code, 1000);
  ws.drop(1000);
  assert.equal(sockets.length, 1);
  assert.equal(conn.state, 'stopped');
});
