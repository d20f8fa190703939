// The outbox end to end: messages queued in the store (by tests/tools/ativa-store-tool, standing
// in for the agent API) are sent by the gateway to the Meta simulator, with retries, pacing and
// crash recovery. What the simulator received is read from GET /control/sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { buildDir, eventually, request, run, startGateway, startStack } from './harness.mjs';

// Accepted by Meta: the simulator's status webhooks may already have moved it further.
const isAccepted = (status) => ['accepted', 'sent', 'delivered', 'read'].includes(status);

const toolBin = path.join(buildDir, 'tests', 'tools', 'ativa-store-tool');
const LINE = '1001';
const ANA = '5511987654321';

async function tool(args) {
  const r = await run(toolBin, args);
  if (r.code !== 0) throw new Error(`ativa-store-tool ${args.join(' ')}: ${r.code} ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/**
 * A stack whose gateway runs with `graph` settings merged into the stack's (startStack replaces
 * whole sections, and the simulator's port is known only once it runs).
 */
async function outboxStack(graph = {}) {
  const stack = await startStack();
  if (Object.keys(graph).length === 0) return wrap(stack, stack.gateway, stack.config);
  await stack.gateway.stop();
  const config = { ...stack.config, graph: { ...stack.config.graph, ...graph } };
  const gateway = await startGateway({ dir: stack.dir, config });
  return wrap(stack, gateway, config);
}

/** A control API call with a Content-Length (the simulator refuses chunked bodies). */
async function control(stack, p, body) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const r = await request(`${stack.sim.url.replace('127.0.0.1', 'localhost')}/control/${p}`, {
    ca: stack.ca,
    method: text === undefined ? 'GET' : 'POST',
    headers: {
      authorization: 'Bearer stack-control-token',
      'content-type': 'application/json',
      ...(text === undefined ? {} : { 'content-length': Buffer.byteLength(text) }),
    },
    body: text,
  });
  if (r.status < 200 || r.status > 299) throw new Error(`control ${p}: ${r.status} ${r.body}`);
  return JSON.parse(r.body);
}

function wrap(stack, gateway, config) {
  const data = config.data_dir;
  const s = {
    ...stack,
    control: (p, body) => control(stack, p, body),
    gateway,
    config,
    data,
    sendText: (to, ...texts) => tool(['send-text', '--data', data, '--line', LINE,
      ...[].concat(to).flatMap((t) => ['--to', t]), ...texts.flatMap((t) => ['--text', t])]),
    sendTemplate: (to, name, components) => tool(['send-template', '--data', data, '--line', LINE,
      '--to', to, '--name', name, '--language', 'pt_BR', '--components', JSON.stringify(components)]),
    messages: async (to) => (await tool(['messages', '--data', data, '--line', LINE, '--to', to]))[0],
    outbox: async () => (await tool(['outbox', '--data', data]))[0],
    sent: async () => (await control(stack, 'sent')).requests.filter((r) => r.path.endsWith('/messages')),
    async restart() {
      const g = await s.gateway.stop();
      assert.equal(g.code, 0, s.gateway.logs());
      s.gateway = await startGateway({ dir: stack.dir, config });
    },
    async stop() {
      await s.gateway.stop();
      await stack.stop();
    },
  };
  return s;
}

/** The outbound messages of the customer's last conversation. */
async function outbound(s, to) {
  return (await s.messages(to)).filter((m) => m.direction === 'out');
}

test('a text leaves in Meta\'s wire format and its wamid is stored', async () => {
  const s = await outboxStack();
  try {
    const [queued] = await s.sendText(ANA, 'Olá, ação 👍');
    assert.ok(queued.outbox > 0);
    const [req] = await eventually(async () => {
      const r = await s.sent();
      return r.length ? r : null;
    }, { timeoutMs: 5000, what: 'the send at the simulator' });
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v23.0/1001/messages');
    assert.equal(req.headers.authorization, 'Bearer stack-graph-token');
    assert.match(req.headers['content-type'], /^application\/json/);
    assert.deepEqual(JSON.parse(req.body), {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: ANA,
      type: 'text',
      text: { preview_url: false, body: 'Olá, ação 👍' },
    });
    assert.equal(req.response_status, 200);
    assert.match(req.wamid, /^wamid\./);

    const msg = await eventually(async () => {
      const [m] = await tool(['message', '--data', s.data, '--wamid', req.wamid]);
      return isAccepted(m.status) ? m : null;
    }, { what: 'the message stored as accepted' });
    assert.equal(msg.text, 'Olá, ação 👍');
    assert.equal(msg.seq, queued.seq);
    assert.deepEqual(await s.outbox(), [], 'the entry leaves the outbox');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await s.sent()).length, 1, 'sent exactly once');
    assert.match(s.gateway.logs(), /msg="outbox accepted" outbox=\d+ line=1001 attempts=1 http_status=200/);
    assert.doesNotMatch(s.gateway.logs(), /ação|stack-graph-token/, 'no message text or token in logs');
  } finally {
    await s.stop();
  }
});

test('transient 5xx answers are retried with backoff until accepted', async () => {
  const s = await outboxStack();
  try {
    await s.control('fail-next', { count: 3, mode: '5xx' });
    await s.sendText(ANA, 'tente de novo');
    const reqs = await eventually(async () => {
      const r = await s.sent();
      return r.length === 4 && r[3].response_status === 200 ? r : null;
    }, { timeoutMs: 15000, what: 'three failures then a success' });
    assert.deepEqual(reqs.map((r) => r.response_status), [500, 500, 500, 200]);
    assert.deepEqual(reqs.map((r) => Boolean(r.injected_failure)), [true, true, true, false]);
    assert.ok(reqs.every((r) => r.body === reqs[0].body), 'the stored body, byte for byte');
    // Equal jitter: retry n waits at least half of 1 s * 2^(n-1).
    assert.ok(reqs[1].time_ms - reqs[0].time_ms >= 450, 'first retry after >= 0.5 s');
    assert.ok(reqs[2].time_ms - reqs[1].time_ms >= 950, 'second retry after >= 1 s');
    assert.ok(reqs[3].time_ms - reqs[2].time_ms >= 1950, 'third retry after >= 2 s');
    const [m] = await eventually(async () => {
      const out = await outbound(s, ANA);
      return out.length === 1 && isAccepted(out[0].status) ? out : null;
    }, { what: 'accepted' });
    assert.equal(m.wamid, reqs[3].wamid);
    const logs = s.gateway.logs();
    assert.equal((logs.match(/msg="outbox retry" [^\n]*http_status=500 code=131000/g) || []).length, 3, logs);
    assert.match(logs, /msg="outbox accepted" outbox=\d+ line=1001 attempts=4 /);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await s.sent()).length, 4, 'sent once successfully');
  } finally {
    await s.stop();
  }
});

test('a request that times out is retried', async () => {
  const s = await outboxStack({ timeout_ms: 1000 });
  try {
    await s.control('fail-next', { count: 1, mode: 'timeout' });
    await s.sendText(ANA, 'sem resposta');
    const reqs = await eventually(async () => {
      const r = await s.sent();
      return r.length === 2 && r[1].response_status === 200 ? r : null;
    }, { timeoutMs: 10000, what: 'a held request then a success' });
    assert.equal(reqs[0].body, reqs[1].body);
    assert.ok(reqs[1].time_ms - reqs[0].time_ms >= 1000 + 450, 'after the timeout and the backoff');
    await eventually(async () => isAccepted((await outbound(s, ANA))[0]?.status), { what: 'accepted' });
    assert.match(s.gateway.logs(), /msg="outbox retry" [^\n]*attempts=1 http_status=0 code=0 [^\n]*reason="no answer within the timeout \(request written\)"/);
  } finally {
    await s.stop();
  }
});

test('a permanent error is stored as failed with Meta\'s code and the agent\'s reason', async () => {
  const s = await outboxStack();
  try {
    // retomar_contato has two body variables; one is given.
    const components = [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }] }];
    await s.sendTemplate('5511912345678', 'retomar_contato', components);
    const [m] = await eventually(async () => {
      const out = await outbound(s, '5511912345678');
      return out.length === 1 && out[0].status === 'failed' ? out : null;
    }, { what: 'the template stored as failed' });
    assert.equal(m.kind, 'template');
    assert.equal(m.error.code, 132000);
    assert.match(m.error.title, /^\(#132000\)/);
    assert.match(m.error.details, /number of localizable_params \(1\) does not match the expected number of params \(2\)/);
    assert.equal(m.error.text_pt, 'O número de campos preenchidos não corresponde ao modelo; confira os campos do modelo.');
    assert.equal(m.wamid, undefined);
    assert.deepEqual(await s.outbox(), []);
    await new Promise((r) => setTimeout(r, 1500));
    const reqs = await s.sent();
    assert.equal(reqs.length, 1, 'never retried');
    assert.equal(reqs[0].response_status, 400);
    assert.equal(JSON.parse(reqs[0].body).template.name, 'retomar_contato');
    assert.match(s.gateway.logs(), /msg="outbox failed" outbox=\d+ line=1001 attempts=1 http_status=400 code=132000/);
  } finally {
    await s.stop();
  }
});

test('the line\'s throughput is paced, not failed', async () => {
  const s = await outboxStack({ max_per_second: 2 });
  try {
    const customers = ['5511900000001', '5511900000002', '5511900000003', '5511900000004',
      '5511900000005', '5511900000006'];
    await s.sendText(customers, 'promoção');
    const reqs = await eventually(async () => {
      const r = await s.sent();
      return r.length === 6 && r.every((x) => x.response_status === 200) ? r : null;
    }, { timeoutMs: 15000, what: 'six sends' });
    const spread = reqs[5].time_ms - reqs[0].time_ms;
    // A full bucket of 2, then one every 500 ms: the sixth leaves >= 2 s after the first.
    assert.ok(spread >= 1900, `spread ${spread} ms`);
    assert.ok(spread < 6000, `spread ${spread} ms`);
    for (let i = 2; i < 6; i++) {
      const inSecond = reqs.filter((r) => r.time_ms > reqs[i].time_ms - 1000 + 50 && r.time_ms <= reqs[i].time_ms);
      assert.ok(inSecond.length <= 3, `at most ~2 a second (${inSecond.length} near #${i})`);
    }
    assert.deepEqual(reqs.map((r) => JSON.parse(r.body).to).sort(), customers);
    assert.doesNotMatch(s.gateway.logs(), /outbox (retry|failed)/);
  } finally {
    await s.stop();
  }
});

test('messages to one customer leave in order, even when the first is retried', async () => {
  const s = await outboxStack();
  try {
    await s.control('fail-next', { count: 1, mode: '503' });
    await s.sendText(ANA, 'primeira', 'segunda');
    const reqs = await eventually(async () => {
      const r = await s.sent();
      return r.length === 3 && r.every((x) => x.response_status !== null) ? r : null;
    }, { timeoutMs: 10000, what: 'three requests' });
    assert.deepEqual(reqs.map((r) => [JSON.parse(r.body).text.body, r.response_status]),
      [['primeira', 503], ['primeira', 200], ['segunda', 200]]);
  } finally {
    await s.stop();
  }
});

test('after a crash, a send whose outcome is unknown is marked unknown and never resent', async () => {
  const s = await outboxStack({ timeout_ms: 20000 });
  try {
    await s.control('fail-next', { count: 1, mode: 'timeout' });
    await s.sendText(ANA, 'no meio do caminho');
    await eventually(async () => (await s.sent()).length === 1, { what: 'the held request' });
    const [held] = await s.sent();
    assert.equal(held.response_status, null);
    assert.equal((await outbound(s, ANA))[0].status, 'sending');

    s.gateway.proc.kill('SIGKILL');
    await s.gateway.exited;
    s.gateway = await startGateway({ dir: s.dir, config: s.config });

    const [m] = await eventually(async () => {
      const out = await outbound(s, ANA);
      return out[0]?.status === 'unknown' ? out : null;
    }, { what: 'the message marked unknown' });
    assert.equal(m.text, 'no meio do caminho');
    assert.deepEqual(await s.outbox(), []);
    assert.match(s.gateway.logs(), /msg="outbox recovered messages of unknown outcome" count=1/);
    // Two polls later, still nothing more reached the simulator.
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await s.sent()).length, 1, 'not sent again');

    // The outbox still works for new messages after recovery.
    await s.sendText('5582999448232', 'depois do reinício');
    await eventually(async () => (await s.sent()).some((r) => r.response_status === 200),
      { what: 'a new send after the restart' });
  } finally {
    await s.stop();
  }
});

test('a clean stop with a request under way leaves it unknown', async () => {
  const s = await outboxStack({ timeout_ms: 20000 });
  try {
    await s.control('fail-next', { count: 1, mode: 'timeout' });
    await s.sendText(ANA, 'segurada');
    await eventually(async () => (await s.sent()).length === 1, { what: 'the held request' });
    const before = s.gateway;
    await s.restart();
    assert.match(before.logs(), /msg="outbox stopped during a request" outbox=\d+ line=1001 attempts=1 written=1/);
    await eventually(async () => (await outbound(s, ANA))[0]?.status === 'unknown', { what: 'unknown after a clean stop' });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await s.sent()).length, 1);
  } finally {
    await s.stop();
  }
});
