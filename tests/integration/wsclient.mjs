// A minimal RFC 6455 client over node:tls for the integration tests: it sets any header (Origin,
// Cookie, Authorization), sees the HTTP status of a refused upgrade, sends binary and oversized
// frames, and can stop reading to play a slow console. Node built-ins only.
import crypto from 'node:crypto';
import tls from 'node:tls';

export class WsConn {
  constructor(socket, rest, protocol, answerPings = true) {
    this.answerPings = answerPings;
    this.pings = 0;
    this.socket = socket;
    this.protocol = protocol;
    this.buf = rest;
    this.messages = [];
    this.waiters = [];
    this.closed = null; // { code, reason } once a close frame arrived or the socket ended
    this.closeFrames = 0; // close frames received (RFC 6455 allows one)
    this.answerClose = false; // answer the server's close with ours, as browsers do
    this.socketEnded = new Promise((resolve) => socket.on('close', resolve));
    this.closeWaiters = [];
    socket.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.parse(); });
    socket.on('close', () => this.finish({ code: 1006, reason: '' }));
    socket.on('error', () => {});
    this.parse();
  }

  finish(c) {
    if (!this.closed) this.closed = c;
    for (const w of this.closeWaiters.splice(0)) w(this.closed);
    for (const w of this.waiters.splice(0)) w.reject(new Error(`closed ${this.closed.code} ${this.closed.reason}`));
  }

  parse() {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      const op = b[0] & 0x0f;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) { if (b.length < 4) return; len = b.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (b.length < 10) return; len = Number(b.readBigUInt64BE(2)); off = 10; }
      if (b.length < off + len) return;
      const payload = b.subarray(off, off + len);
      const fin = (b[0] & 0x80) !== 0;
      this.buf = b.subarray(off + len);
      if (op === 1 || op === 0) {
        // A long message comes in fragments: text, continuations, the last with FIN.
        this.fragments = op === 1 ? [payload] : [...(this.fragments ?? []), payload];
        this.fragmentCount = (op === 1 ? 0 : this.fragmentCount) + 1;
        if (fin) {
          this.lastFragments = this.fragmentCount;
          this.push(JSON.parse(Buffer.concat(this.fragments).toString()));
          this.fragments = null;
        }
      } else if (op === 8) {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.closeFrames++;
        if (this.closeFrames > 1) continue;
        this.finish({ code, reason: payload.subarray(2).toString() });
        if (this.answerClose) this.sendFrame(8, payload.subarray(0, 2));
        this.socket.end();
      } else if (op === 9) {
        this.pings++;
        if (this.answerPings) this.sendFrame(10, payload);
      }
    }
  }

  push(m) {
    const w = this.waiters.shift();
    if (w) { clearTimeout(w.timer); w.resolve(m); } else this.messages.push(m);
  }

  /** The next frame (parsed JSON). */
  next(timeoutMs = 5000) {
    if (this.messages.length) return Promise.resolve(this.messages.shift());
    if (this.closed) return Promise.reject(new Error(`closed ${this.closed.code} ${this.closed.reason}`));
    return new Promise((resolve, reject) => {
      const w = { resolve, reject };
      w.timer = setTimeout(() => { this.waiters.splice(this.waiters.indexOf(w), 1); reject(new Error('no frame in time')); }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** The close code and reason (waits for them). */
  whenClosed(timeoutMs = 10000) {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('not closed in time')), timeoutMs);
      this.closeWaiters.push((c) => { clearTimeout(t); resolve(c); });
    });
  }

  sendFrame(op, payload, fin = true) {
    const mask = crypto.randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    head[0] = (fin ? 0x80 : 0) | op;
    if (len < 126) head[1] = 0x80 | len;
    else if (len < 65536) { head[1] = 0x80 | 126; head.writeUInt16BE(len, 2); }
    else { head[1] = 0x80 | 127; head.writeBigUInt64BE(BigInt(len), 2); }
    const masked = Buffer.from(payload);
    for (let i = 0; i < masked.length; i++) masked[i] ^= mask[i & 3];
    return this.socket.write(Buffer.concat([head, mask, masked]));
  }

  send(obj) { return this.sendFrame(1, Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj))); }
  close() { this.sendFrame(8, Buffer.from([0x03, 0xe8])); }
  destroy() { this.socket.destroy(); }
}

/**
 * Upgrade to a WebSocket. Resolves to a WsConn, or to { status, headers } when the gateway
 * answers anything but 101 (status 0: the connection was closed without an answer).
 * answerPings: false plays a dead peer that never answers the gateway's pings.
 */
export function wsConnect({ port, ca, origin, cookie, bearer, protocol = 'ativa.v1', path = '/ws', timeoutMs = 5000, answerPings = true }) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
    const key = crypto.randomBytes(16).toString('base64');
    const lines = [`GET ${path} HTTP/1.1`, `Host: localhost:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13'];
    if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
    if (origin) lines.push(`Origin: ${origin}`);
    if (cookie) lines.push(`Cookie: ${cookie}`);
    if (bearer) lines.push(`Authorization: Bearer ${bearer}`);
    let got = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(() => { if (!done) { done = true; socket.destroy(); reject(new Error('upgrade timeout')); } }, timeoutMs);
    const onData = (d) => {
      got = Buffer.concat([got, d]);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0 || done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      const head = got.subarray(0, end).toString().split('\r\n');
      const status = Number(head[0].split(' ')[1]);
      const headers = {};
      for (const l of head.slice(1)) { const i = l.indexOf(':'); headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim(); }
      if (status !== 101) { socket.destroy(); resolve({ status, headers }); return; }
      const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      if (headers['sec-websocket-accept'] !== accept) { socket.destroy(); reject(new Error('bad accept')); return; }
      resolve(new WsConn(socket, got.subarray(end + 4), headers['sec-websocket-protocol'], answerPings));
    };
    socket.on('data', onData);
    socket.on('secureConnect', () => socket.write(lines.join('\r\n') + '\r\n\r\n'));
    socket.on('error', (e) => { if (!done) { done = true; clearTimeout(timer); resolve({ status: 0, error: e.message }); } });
    socket.on('close', () => { if (!done) { done = true; clearTimeout(timer); resolve({ status: 0 }); } });
  });
}

/**
 * A WebSocket over HTTP/2 (RFC 8441 extended CONNECT), as Chromium opens one when the server
 * offers it. Resolves to { ws: WsConn, session } after a 200, or { status } otherwise. Node checks
 * every frame the server sends against HTTP/2's rules (frame size, flow control) and ends the
 * session on a violation: `session.errors` collects what it reported.
 */
export async function wsConnectH2({ port, ca, origin, cookie, protocol = 'ativa.v1', path = '/ws', timeoutMs = 5000 }) {
  const http2 = await import('node:http2');
  const session = http2.connect(`https://localhost:${port}`, { ca });
  session.errors = [];
  session.on('error', (e) => session.errors.push(e.message));
  session.on('goaway', (code) => session.errors.push(`GOAWAY ${code}`));
  const settings = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no SETTINGS from the server')), timeoutMs);
    session.once('remoteSettings', (s) => { clearTimeout(t); resolve(s); });
  });
  if (!settings.enableConnectProtocol) {
    session.close();
    return { status: 0, error: 'the server does not offer WebSockets over HTTP/2' };
  }
  const headers = {
    ':method': 'CONNECT', ':protocol': 'websocket', ':scheme': 'https', ':path': path,
    ':authority': `localhost:${port}`, 'sec-websocket-version': '13',
  };
  if (protocol) headers['sec-websocket-protocol'] = protocol;
  if (origin) headers.origin = origin;
  if (cookie) headers.cookie = cookie;
  const stream = session.request(headers, { endStream: false });
  const response = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no answer to the CONNECT')), timeoutMs);
    stream.once('response', (h) => { clearTimeout(t); resolve(h); });
    stream.once('error', (e) => { clearTimeout(t); reject(e); });
  });
  const status = Number(response[':status']);
  if (status !== 200) {
    session.close();
    return { status };
  }
  stream.on('error', (e) => session.errors.push(`stream: ${e.message}`));
  return { ws: new WsConn(stream, Buffer.alloc(0), response['sec-websocket-protocol']), session };
}
