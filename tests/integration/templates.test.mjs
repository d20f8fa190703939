// Templates: the start-up sync from the Graph API (paged), the offer (APPROVED only), what the
// store keeps across restarts (also when Meta cannot be reached), templates Meta stopped listing,
// and the offline file source. The offer is observed through the gateway's "template offer
// changed" log lines and the store through tests/tools/ativa-store-dump.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { once } from 'node:events';

import {
  buildDir, defaultTemplates, eventually, freePort, gatewayConfig, makeCerts, makeTempDir,
  removeDir, request, run, startGateway, startStack,
} from './harness.mjs';

const dumpBin = path.join(buildDir, 'tests', 'tools', 'ativa-store-dump');
const APPROVED = ['boas_vindas', 'lembrete_nome', 'retomar_contato'];

/** The stored templates of a WABA, by name. */
async function stored(dataDir, waba) {
  const r = await run(dumpBin, ['templates', '--data', dataDir, '--waba', waba]);
  assert.equal(r.code, 0, `ativa-store-dump failed: ${r.stderr}`);
  return Object.fromEntries(JSON.parse(r.stdout).map((t) => [t.name, t]));
}

/** A control POST with a Content-Length (the simulator refuses chunked bodies). */
async function controlPost(stack, p, body) {
  const text = JSON.stringify(body);
  const r = await request(`${stack.sim.url.replace('127.0.0.1', 'localhost')}/control/${p}`, {
    ca: stack.ca,
    method: 'POST',
    headers: {
      authorization: 'Bearer stack-control-token',
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    },
    body: text,
  });
  assert.equal(r.status, 200, `control ${p}: ${r.body}`);
  return JSON.parse(r.body);
}

/** The "template offer changed" lines of a log, parsed: [{waba, name, language, status, offered, source}]. */
function offerChanges(logs) {
  const out = [];
  for (const line of logs.split('\n')) {
    if (!line.includes('msg="template offer changed"')) continue;
    const kv = Object.fromEntries([...line.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)].map((m) => [m[1], m[2].replace(/^"|"$/g, '')]));
    out.push(kv);
  }
  return out;
}

/** What the log says is offered now, per WABA: the last change of each template wins. */
function offered(logs, waba) {
  const state = new Map();
  for (const c of offerChanges(logs)) if (c.waba === waba) state.set(`${c.name}/${c.language}`, c.offered === 'true');
  return [...state].filter(([, v]) => v).map(([k]) => k.split('/')[0]).sort();
}

describe('templates from the Graph API', () => {
  let stack;

  before(async () => {
    stack = await startStack({ gateway: { templates: { source: 'graph', sync_interval_s: 3600, page_size: 2 } } });
  });

  after(async () => {
    if (stack) await stack.stop();
  });

  it('syncs at start-up page by page, following the cursors', async () => {
    await eventually(() => /msg="templates synced" waba=2001 templates=5 approved=3 pages=3 /.test(stack.gateway.logs()),
      { what: 'the start-up sync', timeoutMs: 10000 });
    const sent = await stack.control('sent');
    const gets = sent.requests.filter((r) => r.method === 'GET' && r.path === '/v23.0/2001/message_templates');
    assert.equal(gets.length, 3, JSON.stringify(gets));
    assert.equal(gets[0].query, 'limit=2');
    for (const g of gets.slice(1)) assert.match(g.query, /^limit=2&after=[A-Za-z0-9%]+$/);
    for (const g of gets) {
      assert.equal(g.headers.authorization, 'Bearer stack-graph-token');
      assert.equal(g.response_status, 200);
    }
  });

  it('offers the APPROVED templates only', async () => {
    assert.deepEqual(offered(stack.gateway.logs(), '2001'), APPROVED);
    const changes = offerChanges(stack.gateway.logs());
    for (const c of changes) assert.equal(c.source, 'graph');
    assert.ok(!changes.some((c) => c.name === 'promocao_pendente' || c.name === 'aviso_pausado'),
      'PENDING and PAUSED templates never enter the offer');
  });

  it('stores every listed template with its status', async () => {
    const byName = await eventually(async () => {
      const s = await stored(stack.config.data_dir, '2001');
      return Object.keys(s).length === 5 && s;
    }, { what: 'five stored templates' });
    for (const t of defaultTemplates) {
      assert.equal(byName[t.name].status, t.status, t.name);
      assert.equal(byName[t.name].language, t.language);
      assert.equal(byName[t.name].id, t.id);
      assert.deepEqual(byName[t.name].components.map((c) => c.text), t.components.map((c) => c.text));
    }
  });

  it('after a restart offers the stored templates even when Meta cannot be reached', async () => {
    await stack.gateway.stop();
    const config = structuredClone(stack.config);
    config.graph.base_url = `https://localhost:${await freePort()}`;
    const gw = await startGateway({ dir: stack.dir, config });
    try {
      await eventually(() => /msg="template sync failed: the offer stays as it was" error=graph_unreachable/.test(gw.logs()),
        { what: 'the failed sync', timeoutMs: 10000 });
      assert.deepEqual(offered(gw.logs(), '2001'), APPROVED);
      for (const c of offerChanges(gw.logs())) assert.equal(c.source, 'store');
      assert.match(gw.logs(), /msg="stored templates loaded" waba=2001 templates=5 approved=3/);
      const s = await stored(stack.config.data_dir, '2001');
      assert.equal(Object.keys(s).length, 5, 'a failed sync deletes nothing');
      // Tried again sooner than sync_interval_s, backing off.
      await eventually(() => /msg="template sync failed: the offer stays as it was" error=graph_unreachable retry_in_s=10 failures=2/.test(gw.logs()),
        { what: 'the second attempt, 5 s later', timeoutMs: 9000, intervalMs: 100 });
    } finally {
      const r = await gw.stop();
      assert.equal(r.code, 0, gw.logs());
    }
  });

  it('marks a template Meta no longer lists as DELETED and takes it out of the offer', async () => {
    const change = await controlPost(stack, 'template-status', { name: 'boas_vindas', language: 'pt_BR', event: 'DELETED' });
    // With no gateway listening, the simulator's webhook for it gives up: only the sync can tell.
    await eventually(async () => {
      const { webhooks } = await stack.control(`webhooks?since=${change.webhook_seq[0] - 1}`);
      return webhooks.find((w) => w.seq === change.webhook_seq[0])?.state === 'failed';
    }, { what: 'the status webhook given up', timeoutMs: 15000, intervalMs: 100 });
    const gw = await startGateway({ dir: stack.dir, config: stack.config });
    try {
      await eventually(() => /msg="templates synced" waba=2001 templates=4 approved=2 pages=2 deleted=1/.test(gw.logs()),
        { what: 'the sync that finds boas_vindas gone', timeoutMs: 10000 });
      const gone = offerChanges(gw.logs()).filter((c) => c.name === 'boas_vindas');
      assert.deepEqual(gone.map((c) => [c.offered, c.source]), [['true', 'store'], ['false', 'graph']]);
      assert.equal(gone[1].status, 'DELETED');
      assert.deepEqual(offered(gw.logs(), '2001'), ['lembrete_nome', 'retomar_contato']);
      await eventually(async () => (await stored(stack.config.data_dir, '2001')).boas_vindas.status === 'DELETED',
        { what: 'boas_vindas stored as DELETED' });
    } finally {
      const r = await gw.stop();
      assert.equal(r.code, 0, gw.logs());
    }
  });

  it('a Graph API error fails the sync without touching the offer', async () => {
    const config = structuredClone(stack.config);
    config.graph.token = 'a-token-meta-refuses';
    const gw = await startGateway({ dir: stack.dir, config });
    try {
      await eventually(() => /msg="template sync of a WABA failed" waba=2001 error=graph_refused reason="HTTP 401, Graph API error 190/.test(gw.logs()),
        { what: 'the refused sync', timeoutMs: 10000 });
      assert.deepEqual(offered(gw.logs(), '2001'), ['lembrete_nome', 'retomar_contato']);
    } finally {
      const r = await gw.stop();
      assert.equal(r.code, 0, gw.logs());
    }
  });
});

describe('template status webhooks', () => {
  let stack;

  before(async () => {
    stack = await startStack();
    await eventually(() => /msg="templates synced" waba=2001 templates=5 approved=3/.test(stack.gateway.logs()),
      { what: 'the start-up sync', timeoutMs: 10000 });
  });

  after(async () => {
    if (stack) await stack.stop();
  });

  it('a template paused at Meta leaves the offer at once, and comes back when approved',
    { todo: 'needs webhook ingestion to call ativa_templates_apply_status' }, async () => {
      await controlPost(stack, 'template-status', { name: 'retomar_contato', language: 'pt_BR', event: 'PAUSED' });
      await eventually(() => !offered(stack.gateway.logs(), '2001').includes('retomar_contato'),
        { what: 'retomar_contato out of the offer' });
      const last = offerChanges(stack.gateway.logs()).at(-1);
      assert.deepEqual([last.name, last.status, last.offered, last.source], ['retomar_contato', 'PAUSED', 'false', 'webhook']);
      await eventually(async () => (await stored(stack.config.data_dir, '2001')).retomar_contato.status === 'PAUSED',
        { what: 'PAUSED stored' });
      await controlPost(stack, 'template-status', { name: 'retomar_contato', language: 'pt_BR', event: 'APPROVED' });
      await eventually(() => offered(stack.gateway.logs(), '2001').includes('retomar_contato'),
        { what: 'retomar_contato back in the offer' });
    });
});

// A Graph API that misbehaves in a different way for each WABA, to see what the sync follows.
describe('template pages the gateway must not follow', () => {
  let dir;
  let certs;
  let server;
  let base;
  let gw;
  const hits = {};
  const tpl = (name) => ({ id: `${name.length}${name.charCodeAt(0)}`, name, language: 'pt_BR', status: 'APPROVED', components: [{ type: 'BODY', text: `Oi ${name}` }] });

  function answer(waba, query) {
    const q = new URLSearchParams(query);
    switch (waba) {
      case '3001': // next to another host, and no cursor
        return [200, { data: [tpl('a')], paging: { next: 'https://elsewhere.example/v23.0/3001/message_templates?after=x' } }];
      case '3002': // pages without end
        return [200, { data: [tpl(`p${q.get('after') ?? 0}`)], paging: { cursors: { after: String(Number(q.get('after') ?? 0) + 1) }, next: `${base}/v23.0/3002/message_templates?after=more` } }];
      case '3003':
        return [500, 'oops'];
      case '3004':
        return [200, 'not json'];
      case '3005': // next below our own base URL, no cursor: followed
        return q.get('after') === 'two'
          ? [200, { data: [tpl('segunda')] }]
          : [200, { data: [tpl('primeira')], paging: { next: `${base}/v23.0/3005/message_templates?limit=100&after=two` } }];
      default:
        return [404, { error: { message: 'unknown', code: 100 } }];
    }
  }

  before(async () => {
    dir = await makeTempDir();
    certs = await makeCerts(path.join(dir, 'certs'));
    server = https.createServer({ cert: await readFile(certs.cert), key: await readFile(certs.key) }, (req, res) => {
      // Like the Graph API's front ends, take "//v23.0/..." as "/v23.0/...".
      const url = new URL(req.url.replace(/^\/+/, '/'), 'https://localhost');
      const m = /^\/v23\.0\/(\d+)\/message_templates$/.exec(url.pathname);
      const waba = m ? m[1] : 'none';
      (hits[waba] ??= []).push(url.search);
      const [status, body] = answer(waba, url.search);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `https://localhost:${server.address().port}`;
    const port = await freePort();
    const lines = ['3001', '3002', '3003', '3004', '3005'].map((waba, i) => ({
      phone_number_id: `10${i}`, display_number: `55114004000${i}`, waba_id: waba, label: `L${i}`,
    }));
    // A second line of WABA 3005: the WABA is still fetched once.
    lines.push({ phone_number_id: '199', display_number: '551140040099', waba_id: '3005', label: 'L9' });
    const config = gatewayConfig({
      port,
      certs,
      dataDir: path.join(dir, 'data'),
      overrides: { graph: { base_url: base, version: 'v23.0', token: 't', ca_file: certs.ca, timeout_ms: 2000 }, lines },
    });
    gw = await startGateway({ dir, config });
    await eventually(() => /msg="template sync failed: the offer stays as it was"/.test(gw.logs()),
      { what: 'the end of the first sync', timeoutMs: 15000 });
  });

  after(async () => {
    if (gw) await gw.stop();
    server?.close();
    await removeDir(dir);
  });

  it('never follows paging.next to another host', () => {
    assert.match(gw.logs(), /msg="template sync of a WABA failed" waba=3001 error=meta_response_malformed/);
    assert.deepEqual(hits['3001'], ['?limit=100']);
    // What the pages read so far said is kept; only marking templates DELETED waits for a whole list.
    assert.deepEqual(offered(gw.logs(), '3001'), ['a']);
  });

  it('stops after 50 pages', () => {
    assert.equal(hits['3002'].length, 50);
    assert.equal(hits['3002'][1], '?limit=100&after=1', 'the cursor, not paging.next, gives the next page');
    assert.match(gw.logs(), /msg="template sync of a WABA failed" waba=3002 error=too_large .*pages=50/);
  });

  it('reports answers that are not pages', () => {
    assert.match(gw.logs(), /waba=3003 error=graph_refused reason="HTTP 500 without a Graph API error"/);
    assert.match(gw.logs(), /waba=3004 error=meta_response_malformed/);
  });

  it('follows paging.next below its own base URL, once per WABA', () => {
    assert.deepEqual(hits['3005'], ['?limit=100', '?limit=100&after=two']);
    assert.match(gw.logs(), /msg="templates synced" waba=3005 templates=2 approved=2 pages=2 deleted=0/);
    assert.deepEqual(offered(gw.logs(), '3005'), ['primeira', 'segunda']);
  });

  it('tries again sooner', () => {
    assert.match(gw.logs(), /error=meta_response_malformed retry_in_s=5 failures=1/);
  });
});

describe('templates from a file', () => {
  let dir;
  let certs;

  before(async () => {
    dir = await makeTempDir();
    certs = await makeCerts(path.join(dir, 'certs'));
  });

  after(async () => {
    await removeDir(dir);
  });

  async function startWithFile(name, content, lines) {
    const runDir = path.join(dir, name);
    await mkdir(runDir);
    const file = path.join(runDir, 'templates.json');
    await writeFile(file, JSON.stringify(content));
    const port = await freePort();
    const config = gatewayConfig({
      port,
      certs,
      dataDir: path.join(runDir, 'data'),
      overrides: { templates: { source: 'file', file }, lines },
    });
    const gw = await startGateway({ dir: runDir, config });
    return { gw, config, file };
  }

  const twoLines = [
    { phone_number_id: '1001', display_number: '551140040001', waba_id: '2001', label: 'Loja' },
    { phone_number_id: '1002', display_number: '551140040002', waba_id: '2002', label: 'Clínica' },
  ];

  it('reads Meta\'s list format for every WABA of the lines', async () => {
    const { gw, config } = await startWithFile('list', { data: defaultTemplates }, twoLines);
    try {
      for (const waba of ['2001', '2002']) {
        assert.match(gw.logs(), new RegExp(`msg="templates loaded" waba=${waba} source=file templates=5 approved=3 deleted=0`));
        assert.deepEqual(offered(gw.logs(), waba), APPROVED);
        const s = await eventually(async () => {
          const x = await stored(config.data_dir, waba);
          return Object.keys(x).length === 5 && x;
        }, { what: `templates of ${waba} stored` });
        assert.equal(s.aviso_pausado.status, 'PAUSED');
      }
    } finally {
      const r = await gw.stop();
      assert.equal(r.code, 0, gw.logs());
    }
  });

  it('reads the per-WABA format, and a WABA left out has no templates', async () => {
    const content = { wabas: { 2001: { data: defaultTemplates.slice(0, 2) } } };
    const { gw, config } = await startWithFile('per-waba', content, twoLines);
    try {
      assert.deepEqual(offered(gw.logs(), '2001'), ['lembrete_nome', 'retomar_contato']);
      assert.deepEqual(offered(gw.logs(), '2002'), []);
      assert.match(gw.logs(), /msg="templates loaded" waba=2002 source=file templates=0 approved=0/);
      await eventually(async () => Object.keys(await stored(config.data_dir, '2001')).length === 2,
        { what: 'two stored templates' });
    } finally {
      await gw.stop();
    }
  });

  it('refuses to start on a file that is not a template list, naming the problem', async () => {
    const runDir = path.join(dir, 'bad');
    await mkdir(runDir);
    const file = path.join(runDir, 'templates.json');
    await writeFile(file, JSON.stringify({ wabas: { 9999: { data: [] } } }));
    const config = gatewayConfig({
      port: await freePort(),
      certs,
      dataDir: path.join(runDir, 'data'),
      overrides: { templates: { source: 'file', file }, lines: twoLines },
    });
    await assert.rejects(startGateway({ dir: runDir, config }),
      /templates\.file is not a template list.*error=template_malformed.*9999.*is not the WABA of any line/s);
  });
});
