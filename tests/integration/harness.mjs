// The integration tests' toolkit: a real ativa-gateway (and later the Meta simulator) on fresh
// ports, with fresh certificates, spoken to over real TLS sockets. Node built-ins only.
//
// Environment (set by ctest): ATIVA_BUILD_DIR (the CMake build directory whose binaries are
// tested) and ATIVA_SOURCE_DIR (the repository).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = process.env.ATIVA_SOURCE_DIR || path.resolve(here, '..', '..');
export const buildDir = process.env.ATIVA_BUILD_DIR || path.join(sourceDir, 'build');
export const gatewayBin = path.join(buildDir, 'gateway', 'ativa-gateway');
export const simBin = path.join(buildDir, 'sim', 'ativa-meta-sim');

/** A fresh directory under the system's temporary directory; remove it with removeDir(). */
export async function makeTempDir(prefix = 'ativa-it-') {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function removeDir(dir) {
  await rm(dir, { recursive: true, force: true });
}

/** Runs a command to completion: { code, signal, stdout, stderr }. */
export function run(cmd, args, { env, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

/**
 * Makes a development CA and a localhost certificate in dir (certs/make-dev-certs.sh).
 * @returns {{ca: string, cert: string, key: string, caPem: Buffer}}
 */
export async function makeCerts(dir) {
  const r = await run(path.join(sourceDir, 'certs', 'make-dev-certs.sh'), [dir]);
  if (r.code !== 0) throw new Error(`make-dev-certs.sh failed: ${r.stderr}`);
  const ca = path.join(dir, 'ca.pem');
  return { ca, cert: path.join(dir, 'localhost.pem'), key: path.join(dir, 'localhost.key'), caPem: await readFile(ca) };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  srv.close();
  await once(srv, 'close');
  return port;
}

/**
 * A complete, valid gateway configuration for tests; `overrides` is merged key by key at the top
 * level (pass e.g. { webhook: {...} } to replace a whole section).
 */
export function gatewayConfig({ port, certs, dataDir, overrides = {} }) {
  return {
    listen: { address: '127.0.0.1', port },
    tls: { cert_file: certs.cert, key_file: certs.key },
    data_dir: dataDir,
    graph: { base_url: 'https://127.0.0.1:9', token: 'test-graph-token', ca_file: certs.ca, timeout_ms: 2000 },
    webhook: { verify_token: 'test-verify-token', app_secret: 'test-app-secret', max_body_bytes: 4096 },
    lines: [
      { phone_number_id: '106540352242922', display_number: '5511999990000', waba_id: '102290129340398', label: 'Vendas SP' },
    ],
    contact_reasons: ['Cobrança', 'Suporte'],
    console: { allowed_origins: [`https://localhost:${port}`] },
    log: { level: 'info' },
    ...overrides,
  };
}

/** Writes cfg (an object, or raw text) as JSON to dir/name and returns the path. */
export async function writeConfig(dir, cfg, name = 'config.json') {
  const file = path.join(dir, name);
  await writeFile(file, typeof cfg === 'string' ? cfg : JSON.stringify(cfg, null, 2));
  return file;
}

/**
 * A running child process with its output collected.
 * `exited` resolves to { code, signal } when it ends.
 */
class Child {
  constructor(bin, args, env) {
    this.output = '';
    this.proc = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => { this.output += d; this.onOutput?.(); });
    this.proc.stderr.on('data', (d) => { this.output += d; this.onOutput?.(); });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => { this.status = { code, signal }; resolve(this.status); });
    });
  }

  /** Everything the process wrote so far (stdout and stderr interleaved). */
  logs() { return this.output; }

  /**
   * Sends SIGTERM and waits for the exit.
   * @returns {{code, signal, elapsedMs}}; the process is killed if it outlives timeoutMs
   */
  async stop(timeoutMs = 5000) {
    if (this.status) return { ...this.status, elapsedMs: 0 };
    const t0 = Date.now();
    this.proc.kill('SIGTERM');
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs, 'timeout'); });
    const r = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.exited;
      return { code: null, signal: 'SIGKILL', elapsedMs: Date.now() - t0, timedOut: true };
    }
    return { ...r, elapsedMs: Date.now() - t0 };
  }
}

/**
 * A request over HTTPS/1.1: { status, headers, body, httpVersion }. `rawPath` sends a path exactly
 * as given (URL parsing would normalise "/../"); `tls` adds TLS options (minVersion, ciphers...).
 */
export function request(url, { ca, method = 'GET', headers = {}, body, tls = {}, rawPath, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    // Node would send a body chunked; Meta and the gateway want a Content-Length.
    const allHeaders = body !== undefined
      && !Object.keys(headers).some((h) => ['content-length', 'transfer-encoding'].includes(h.toLowerCase()))
      ? { ...headers, 'content-length': Buffer.byteLength(body) }
      : headers;
    const options = { method, headers: allHeaders, ca, agent: false, timeout: timeoutMs, ...tls };
    if (rawPath !== undefined) options.path = rawPath;
    const req = https.request(url, options, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString(), httpVersion: res.httpVersion,
      }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A request over HTTP/2 (ALPN h2): { status, headers, body, alpn }. */
export function requestH2(origin, reqPath, { ca, method = 'GET', headers = {}, body, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(origin, { ca });
    const timer = setTimeout(() => { session.destroy(); reject(new Error(`timeout: h2 ${reqPath}`)); }, timeoutMs);
    session.on('error', (e) => { clearTimeout(timer); reject(e); });
    const stream = session.request({ ':method': method, ':path': reqPath, ...headers });
    const chunks = [];
    let head;
    stream.on('response', (h) => { head = h; });
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      clearTimeout(timer);
      const alpn = session.alpnProtocol;
      session.close();
      resolve({ status: head?.[':status'], headers: head, body: Buffer.concat(chunks).toString(), alpn });
    });
    stream.on('error', (e) => { clearTimeout(timer); session.destroy(); reject(e); });
    if (body !== undefined) stream.write(body);
    stream.end();
  });
}

/** Polls GET /healthz until it answers 200 (or the process dies, or timeoutMs passes). */
export async function waitForHealthz(port, ca, { child, timeoutMs = 15000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (child?.status) throw new Error(`gateway exited (${JSON.stringify(child.status)}) before it was healthy:\n${child.logs()}`);
    try {
      const r = await request(`https://127.0.0.1:${port}/healthz`, { ca, timeoutMs: 1000 });
      if (r.status === 200) return JSON.parse(r.body);
      last = `status ${r.status}: ${r.body}`;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gateway not healthy after ${timeoutMs} ms (${last}):\n${child?.logs() ?? ''}`);
}

/**
 * Starts ativa-gateway with a configuration (an object, written to dir) and waits for /healthz.
 * @returns {Promise<Child & {port, configPath}>}
 */
export async function startGateway({ dir, config, env = {}, args = [] }) {
  const configPath = await writeConfig(dir, config);
  const child = new Child(gatewayBin, ['--config', configPath, ...args], env);
  child.port = config.listen.port;
  child.configPath = configPath;
  // The test configuration's graph.ca_file is the development CA that signed the gateway's
  // certificate too.
  try {
    await waitForHealthz(child.port, await readFile(config.graph.ca_file), { child });
  } catch (e) {
    await child.stop();
    throw e;
  }
  return child;
}

/** Runs ativa-gateway to completion (for --check-config and start-up failures). */
export function runGateway(args, { env, timeoutMs = 10000 } = {}) {
  return run(gatewayBin, args, { env, timeoutMs });
}

/**
 * Starts the Meta simulator (sim/ativa-meta-sim --config FILE) and waits until it prints
 * "ativa-meta-sim: listening on https://127.0.0.1:PORT".
 * @returns {Promise<Child & {url, port}>}
 */
export async function startSim({ dir, config, env = {}, timeoutMs = 15000 }) {
  const configPath = await writeConfig(dir, config, 'sim.json');
  const child = new Child(simBin, ['--config', configPath], env);
  const ready = /ativa-meta-sim: listening on (https:\/\/127\.0\.0\.1:(\d+))/;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator not ready after ${timeoutMs} ms:\n${child.logs()}`)), timeoutMs);
    const check = () => {
      const m = ready.exec(child.logs());
      if (m) {
        clearTimeout(timer);
        child.url = m[1];
        child.port = Number(m[2]);
        resolve();
      }
    };
    child.onOutput = check;
    child.exited.then((s) => { clearTimeout(timer); reject(new Error(`simulator exited (${JSON.stringify(s)}):\n${child.logs()}`)); });
    check();
  });
  child.onOutput = undefined;
  return child;
}

/**
 * The simulator and a gateway wired to each other on fresh ports, sharing one development CA:
 * the gateway sends to the simulator's Graph API, the simulator delivers webhooks to the
 * gateway's /webhooks/whatsapp. Lines, templates and customers come from `sim` (merged into a
 * default simulator configuration) and `gateway` overrides.
 * @returns {Promise<{dir, certs, sim, gateway, ca, gw(path, opts), control(path, body)}>}
 */
export async function startStack({ sim: simOverrides = {}, gateway: gatewayOverrides = {}, env = {} } = {}) {
  const dir = await makeTempDir('ativa-stack-');
  const certs = await makeCerts(dir);
  const [gatewayPort, simPort] = [await freePort(), await freePort()];
  const appSecret = 'stack-app-secret';
  const accessToken = 'stack-graph-token';
  const controlToken = 'stack-control-token';
  const templatesFile = path.join(dir, 'templates-2001.json');
  await writeFile(templatesFile, JSON.stringify({ data: defaultTemplates }));
  const simConfig = {
    listen_address: '127.0.0.1',
    port: simPort,
    cert_file: certs.cert,
    key_file: certs.key,
    graph_version: 'v23.0',
    access_token: accessToken,
    control_token: controlToken,
    app_secret: appSecret,
    webhook_url: `https://localhost:${gatewayPort}/webhooks/whatsapp`,
    webhook_ca_file: certs.ca,
    webhook_retry_ms: 100,
    status_delays_ms: { sent: 50, delivered: 100, read: 150 },
    lines: [{ phone_number_id: '1001', display_phone_number: '551140040001', waba_id: '2001' }],
    wabas: [{ waba_id: '2001', templates_file: templatesFile }],
    customers: [
      { number: '5511987654321', name: 'Ana Lima', last_inbound_ago_s: 7200 },
      { number: '5511912345678', name: 'Bruno Costa', last_inbound_ago_s: 3 * 86400 },
      { number: '5582999448232', wa_id: '558299448232', name: 'José Nunes' },
    ],
    ...simOverrides,
  };
  const sim = await startSim({ dir, config: simConfig });
  const dataDir = path.join(dir, 'data');
  const config = gatewayConfig({
    port: gatewayPort,
    certs,
    dataDir,
    overrides: {
      graph: { base_url: `https://localhost:${simPort}`, version: 'v23.0', token: accessToken, ca_file: certs.ca, timeout_ms: 2000 },
      webhook: { verify_token: 'stack-verify-token', app_secret: appSecret },
      lines: [{ phone_number_id: '1001', display_number: '551140040001', waba_id: '2001', label: 'Loja Ativa' }],
      templates: { source: 'graph', sync_interval_s: 3600 },
      ...gatewayOverrides,
    },
  });
  let gateway;
  try {
    gateway = await startGateway({ dir, config, env });
  } catch (e) {
    await sim.stop();
    throw e;
  }
  const ca = certs.caPem;
  return {
    dir,
    certs,
    sim,
    gateway,
    ca,
    config,
    /** A request to the gateway. */
    gw: (p, opts = {}) => request(`https://localhost:${gatewayPort}${p}`, { ca, ...opts }),
    /** A control API call to the simulator; resolves to the parsed JSON (throws on non-2xx). */
    async control(p, body) {
      const r = await request(`https://localhost:${simPort}/control/${p}`, {
        ca,
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${controlToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (r.status < 200 || r.status > 299) throw new Error(`control ${p}: ${r.status} ${r.body}`);
      return JSON.parse(r.body);
    },
    /** Stops the current gateway (a test may have replaced it) and the simulator. */
    async stop() {
      const g = await this.gateway.stop();
      await sim.stop();
      await removeDir(dir);
      return g;
    },
  };
}

/** Polls fn() until it returns a truthy value (returned) or timeoutMs passes (throws). */
export async function eventually(fn, { timeoutMs = 5000, intervalMs = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Templates of the stack's WABA 2001, in Meta's list format. */
export const defaultTemplates = [
  {
    id: '9001', name: 'retomar_contato', language: 'pt_BR', status: 'APPROVED', category: 'UTILITY',
    parameter_format: 'POSITIONAL',
    components: [{ type: 'BODY', text: 'Olá {{1}}, aqui é da {{2}}. Podemos falar sobre o seu pedido?', example: { body_text: [['Ana', 'Loja Ativa']] } }],
  },
  {
    id: '9002', name: 'lembrete_nome', language: 'pt_BR', status: 'APPROVED', category: 'UTILITY',
    parameter_format: 'NAMED',
    components: [{ type: 'BODY', text: 'Oi {{nome}}, seu pedido {{pedido}} está pronto.', example: { body_text_named_params: [{ param_name: 'nome', example: 'Ana' }, { param_name: 'pedido', example: '123' }] } }],
  },
  {
    id: '9003', name: 'boas_vindas', language: 'pt_BR', status: 'APPROVED', category: 'MARKETING',
    components: [{ type: 'BODY', text: 'Bem-vindo à Loja Ativa!' }],
  },
  {
    id: '9004', name: 'promocao_pendente', language: 'pt_BR', status: 'PENDING', category: 'MARKETING',
    components: [{ type: 'BODY', text: 'Promoção para você!' }],
  },
  {
    id: '9005', name: 'aviso_pausado', language: 'pt_BR', status: 'PAUSED', category: 'MARKETING',
    components: [{ type: 'BODY', text: 'Aviso importante.' }],
  },
];
