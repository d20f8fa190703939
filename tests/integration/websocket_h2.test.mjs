// The console's WebSocket over HTTP/2 (RFC 8441), the way Chromium opens it against a server that
// offers it: replies longer than one HTTP/2 frame (16 KiB) must arrive whole, on a connection that
// stays usable. They go out as WebSocket fragments; over HTTP/1.1 too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { startStack } from './harness.mjs';
import { Console, addAgent } from './console.mjs';
import { wsConnectH2 } from './wsclient.mjs';

const LINE = '1001';
const ANA = '5511987654321';
const LONG = 4000; // characters per customer message; six of them make a reply of about 24 KiB

describe('WebSocket over HTTP/2', () => {
  let stack;
  let agent;
  let conversationId;

  before(async () => {
    stack = await startStack();
    agent = await addAgent(stack, 'maria', { lines: [LINE] });
    const maria = await Console.open(stack, agent);
    for (let i = 0; i < 6; i++) await stack.control('reply', { from: ANA, line: LINE, text: `${i}`.repeat(LONG) });
    const queued = await maria.event((e) => e.event === 'message' && e.data.message.text === '5'.repeat(LONG),
      { what: 'the sixth message' });
    conversationId = queued.data.message.conversation_id;
    maria.close();
  });
  after(async () => {
    assert.equal((await stack.stop()).code, 0);
  });

  async function login() {
    const origin = `https://localhost:${stack.config.listen.port}`;
    const r = await stack.gw('/api/login', {
      method: 'POST', headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ login: agent.login, password: agent.password }),
    });
    assert.equal(r.status, 200, r.body);
    return { origin, cookie: `ativa_session=${JSON.parse(r.body).token}` };
  }

  it('delivers a 24 KiB reply whole, in fragments that fit HTTP/2 frames, and stays open', async () => {
    const { origin, cookie } = await login();
    const { ws, session, status, error } = await wsConnectH2({ port: stack.config.listen.port, ca: stack.ca, origin, cookie });
    assert.ok(ws, `CONNECT refused: ${status} ${error ?? ''}`);
    try {
      ws.send({ id: 'r', type: 'resume', last_seq: 0 });
      assert.equal((await ws.next()).ok, true);
      ws.send({ id: 'o', type: 'conversation.open', conversation_id: conversationId });
      const opened = await ws.next();
      assert.equal(opened.ok, true, JSON.stringify(opened.error));
      const texts = opened.data.messages.map((m) => m.text);
      assert.deepEqual(texts, [0, 1, 2, 3, 4, 5].map((i) => `${i}`.repeat(LONG)));
      assert.ok(ws.lastFragments >= 2, `sent in ${ws.lastFragments} fragment(s)`);
      // The same connection still answers: no HTTP/2 error ended it.
      ws.send({ id: 'l', type: 'lines.list' });
      assert.equal((await ws.next()).ok, true);
      assert.deepEqual(session.errors, []);
    } finally {
      session.destroy();
    }
  });

  it('does the same over HTTP/1.1', async () => {
    const maria = await Console.open(stack, agent);
    try {
      const opened = await maria.ok('conversation.open', { conversation_id: conversationId });
      assert.equal(opened.messages.length, 6);
      assert.equal(opened.messages[5].text, '5'.repeat(LONG));
      assert.ok(maria.ws.lastFragments >= 2);
    } finally {
      maria.close();
    }
  });
});
