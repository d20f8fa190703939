// Sending through the store while a stack runs: messages queued directly in the data directory
// (tests/tools/ativa-store-tool, standing in for an agent's send) and read back, plus the
// simulator's record of what reached "Meta".
import assert from 'node:assert/strict';
import path from 'node:path';

import { buildDir, request, run, startGateway, startStack } from './harness.mjs';

// Accepted by Meta: the simulator's status webhooks may already have moved it further.
export const isAccepted = (status) => ['accepted', 'sent', 'delivered', 'read'].includes(status);

export const toolBin = path.join(buildDir, 'tests', 'tools', 'ativa-store-tool');
export const LINE = '1001';
export const ANA = '5511987654321';

export async function tool(args) {
  const r = await run(toolBin, args);
  if (r.code !== 0) throw new Error(`ativa-store-tool ${args.join(' ')}: ${r.code} ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/**
 * A stack whose gateway runs with `graph` settings merged into the stack's (startStack replaces
 * whole sections, and the simulator's port is known only once it runs).
 */
export async function outboxStack(graph = {}) {
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
      const g = await s.gateway.stop();
      await stack.stop();
      // A clean stop exits 0: the sanitizer build also fails here on leaks or memory errors.
      assert.equal(g.code, 0, s.gateway.logs());
      assert.doesNotMatch(s.gateway.logs(), /Sanitizer/);
    },
  };
  return s;
}

/** The outbound messages of the customer's last conversation. */
export async function outbound(s, to) {
  return (await s.messages(to)).filter((m) => m.direction === 'out');
}
