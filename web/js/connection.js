// The one WebSocket to the gateway (ativa.v1): connect, `resume` from the last applied event,
// reconnect by itself with back-off, and match replies to requests by id (docs/protocol.md).

export const SUBPROTOCOL = 'ativa.v1';
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 10000;
const REQUEST_TIMEOUT_MS = 30000;
const MAX_FRAME_BYTES = 64 * 1024;

/** A refused or failed request: `code` is the protocol's stable code, `message` is for the agent. */
export class RequestError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** The delay before reconnect attempt `attempt` (0-based): 0.5 s doubling to 10 s, ±20 % jitter. */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(attempt, 16));
  return Math.min(BACKOFF_MAX_MS, Math.round(base * (0.8 + 0.4 * random())));
}

/** wss://<same host>/ws (ws:// only when the page itself is not served over https). */
export function socketUrl(loc = window.location) {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

/**
 * States, reported through onState(state, detail):
 *   'connecting'   socket opening or resume not yet answered
 *   'live'         resumed: events flow and requests may be sent
 *   'reconnecting' waiting detail.retryAtMs before the next attempt (detail.draining: the
 *                  gateway announced a restart)
 *   'stopped'      stop() was called or the session ended
 */
export class Connection {
  /**
   * @param {object} h
   * @param {() => number} h.lastSeq        the seq of the last event applied (0 when none)
   * @param {(data: object) => void} h.onResumed  the resume reply's data
   * @param {(frame: object) => void} h.onEvent   each `event` frame, in order
   * @param {(frame: object) => void} h.onResync  a `resync` frame: reload state
   * @param {(state: string, detail: object) => void} h.onState
   * @param {(err: RequestError) => void} h.onUnauthenticated  the session is gone: log in again
   */
  constructor(h, url = socketUrl()) {
    this.h = h;
    this.url = url;
    this.ws = null;
    this.state = 'stopped';
    this.attempt = 0;
    this.nextId = 1;
    this.pending = new Map();
    this.timer = null;
    this.wasLive = false;
  }

  start() {
    if (this.state !== 'stopped') return;
    this.attempt = 0;
    this.open();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    this.setState('stopped', {});
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, 'logout');
    this.failPending('offline', 'sem conexão com o servidor');
  }

  /** True once resumed and until the socket drops. */
  get live() {
    return this.state === 'live';
  }

  /**
   * Send a request; resolves with the reply's data, rejects with a RequestError.
   * @param {string} type  e.g. 'conversation.open'
   * @param {object} fields  the request's other fields
   */
  request(type, fields = {}) {
    if (!this.live && type !== 'resume')
      return Promise.reject(new RequestError('offline', 'sem conexão com o servidor: aguarde a reconexão'));
    return this.send(type, fields);
  }

  send(type, fields) {
    const id = String(this.nextId++);
    const text = JSON.stringify({ ...fields, id, type });
    if (new TextEncoder().encode(text).length > MAX_FRAME_BYTES)
      return Promise.reject(new RequestError('too_large', 'o conteúdo é maior que o permitido'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('timeout', 'o servidor não respondeu a tempo; tente de novo'));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.ws.send(text);
    });
  }

  setState(state, detail) {
    this.state = state;
    this.h.onState(state, detail);
  }

  open() {
    this.setState('connecting', { attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.url, SUBPROTOCOL);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener('open', () => this.onOpen(ws));
    ws.addEventListener('message', (e) => this.onMessage(ws, e.data));
    ws.addEventListener('close', (e) => this.onClose(ws, e));
  }

  async onOpen(ws) {
    if (ws !== this.ws) return;
    if (ws.protocol !== SUBPROTOCOL) {
      ws.close(1002, 'subprotocol');
      return;
    }
    try {
      const data = await this.send('resume', { last_seq: this.h.lastSeq() });
      if (ws !== this.ws) return;
      this.attempt = 0;
      this.wasLive = true;
      this.setState('live', {});
      this.h.onResumed(data);
    } catch (err) {
      if (ws !== this.ws) return;
      if (err.code === 'unauthenticated') this.endSession(err);
      else ws.close(4000, 'resume failed');
    }
  }

  onMessage(ws, text) {
    if (ws !== this.ws) return;
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return; // the gateway sends JSON only; a broken frame is not ours to interpret
    }
    if (!frame || typeof frame !== 'object') return;
    switch (frame.type) {
      case 'reply':
        this.onReply(frame);
        break;
      case 'event':
        this.h.onEvent(frame);
        break;
      case 'resync':
        this.h.onResync(frame);
        break;
      case 'draining':
        this.drainMs = Number.isInteger(frame.retry_ms) && frame.retry_ms >= 0 ? frame.retry_ms : 1000;
        break;
      default:
        break;
    }
  }

  onReply(frame) {
    const p = this.pending.get(frame.id);
    if (!p) return; // id null: the gateway could not read a request of ours
    this.pending.delete(frame.id);
    clearTimeout(p.timer);
    if (frame.ok) {
      p.resolve(frame.data ?? {});
      return;
    }
    const err = new RequestError(frame.error?.code ?? 'internal', frame.error?.message ?? 'erro do servidor');
    p.reject(err);
    if (err.code === 'unauthenticated') this.endSession(err);
  }

  onClose(ws) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.failPending('disconnected', 'a conexão caiu antes da resposta; confira antes de repetir');
    if (this.state === 'stopped') return;
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    let delay = backoffDelay(this.attempt++);
    const draining = this.drainMs != null;
    if (draining) {
      delay = this.drainMs + Math.round(Math.random() * 250); // spread the reconnect storm
      this.drainMs = null;
      this.attempt = 0;
    }
    this.setState('reconnecting', { retryAtMs: Date.now() + delay, attempt: this.attempt, wasLive: this.wasLive, draining });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.state === 'reconnecting') this.open();
    }, delay);
  }

  endSession(err) {
    this.stop();
    this.h.onUnauthenticated(err);
  }

  failPending(code, message) {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError(code, message));
    }
    this.pending.clear();
  }
}
