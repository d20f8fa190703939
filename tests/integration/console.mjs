// A console as a test sees it: log in over HTTPS, open the ativa.v1 WebSocket, resume, send
// requests and await their replies by id, and await events, all over real TLS (wsclient.mjs).
import assert from 'node:assert/strict';
import path from 'node:path';

import { buildDir, run } from './harness.mjs';
import { wsConnect } from './wsclient.mjs';

const admin = path.join(buildDir, 'tools', 'ativa-admin');

/** Create an agent in the stack's data directory (LMDB lets us write while the gateway runs). */
export async function addAgent(stack, login, { name = login, role = 'agent', lines, password = `${login}-senha-123` } = {}) {
  const args = ['--data', stack.config.data_dir, 'agent', 'add', login, '--name', name, '--role', role, '--password-stdin'];
  if (lines) args.push('--lines', lines.join(','));
  const r = await runWithStdin(admin, args, `${password}\n`);
  assert.equal(r.code, 0, r.stderr);
  return { login, password };
}

function runWithStdin(cmd, args, input) {
  return run('/bin/sh', ['-c', `printf '%s' "$INPUT" | "$0" "$@"`, cmd, ...args], { env: { INPUT: input } });
}

export class Console {
  constructor(stack, ws, agent, resumeReply) {
    this.stack = stack;
    this.ws = ws;
    this.agent = agent;
    this.resume = resumeReply;
    this.events = [];
    this.pending = new Map();
    this.nextId = 1;
    this.eventWaiters = [];
    this.pump();
  }

  /** Log in as `login` and open a console that has resumed from `lastSeq`. */
  static async open(stack, { login, password }, lastSeq = 0) {
    const port = stack.config.listen.port;
    const origin = `https://localhost:${port}`;
    const body = JSON.stringify({ login, password });
    const r = await stack.gw('/api/login', { method: 'POST', headers: { 'content-type': 'application/json', origin }, body });
    assert.equal(r.status, 200, `login ${login}: ${r.status} ${r.body}`);
    const { token, agent } = JSON.parse(r.body);
    const ws = await wsConnect({ port, ca: stack.ca, origin, cookie: `ativa_session=${token}` });
    assert.ok(ws.send, `upgrade refused: ${ws.status}`);
    ws.send({ id: 'resume', type: 'resume', last_seq: lastSeq });
    const first = await ws.next();
    assert.equal(first.ok, true, JSON.stringify(first));
    const c = new Console(stack, ws, agent, first.data);
    c.token = token;
    return c;
  }

  async pump() {
    for (;;) {
      let m;
      try {
        // Short waits: a long-lived timer would keep the test process alive after the end.
        m = await this.ws.next(500);
      } catch {
        if (!this.ws.closed) continue;
        for (const p of this.pending.values()) p.reject(new Error('connection closed'));
        return;
      }
      if (m.type === 'reply' && this.pending.has(m.id)) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        p.resolve(m);
      } else if (m.type === 'event') {
        this.events.push(m);
        for (const w of [...this.eventWaiters]) {
          if (w.pred(m)) {
            this.eventWaiters.splice(this.eventWaiters.indexOf(w), 1);
            clearTimeout(w.timer);
            w.resolve(m);
          }
        }
      }
    }
  }

  /** Send a request; resolves to the whole reply frame (check .ok, .data, .error). */
  request(type, params = {}) {
    const id = String(this.nextId++);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send({ id, type, ...params });
    });
  }

  /** A successful reply's data (fails the test otherwise). */
  async ok(type, params) {
    const r = await this.request(type, params);
    assert.equal(r.ok, true, `${type}: ${JSON.stringify(r.error)}`);
    return r.data;
  }

  /** The error code of a refused request (fails the test if it succeeded). */
  async refused(type, params) {
    const r = await this.request(type, params);
    assert.equal(r.ok, false, `${type} should have been refused: ${JSON.stringify(r.data)}`);
    return r.error;
  }

  /** The first event (already received or coming) that matches. */
  event(pred, { timeoutMs = 8000, what = 'event' } = {}) {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        this.eventWaiters.splice(this.eventWaiters.indexOf(w), 1);
        reject(new Error(`no ${what} in ${timeoutMs} ms; events: ${JSON.stringify(this.events.slice(-5))}`));
      }, timeoutMs);
      this.eventWaiters.push(w);
    });
  }

  /** A conversation event for conversation `id` whose data satisfies pred. */
  conversationEvent(id, pred = () => true, opts = {}) {
    return this.event((e) => e.event === 'conversation' && e.data.conversation.id === id && pred(e.data.conversation),
      { what: `conversation ${id} event`, ...opts });
  }

  close() {
    this.ws.destroy();
  }
}
