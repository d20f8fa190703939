// The console's copy of the gateway's state: conversations, their messages, templates per line,
// and the seq of the last event applied. Events are applied in seq order, each at most once.

// Forward-only delivery statuses: a late or replayed status never moves a message back.
const STATUS_RANK = Object.freeze({
  none: 0, queued: 1, sending: 2, unknown: 2, accepted: 3, sent: 4, delivered: 5, read: 6, failed: 6,
});

/**
 * What the console shows for a conversation's window at server instant nowMs. The gateway's
 * flags hold at the instant of its last event; when an open window's expires_at_ms passes, the
 * console closes it at once instead of waiting for the gateway's push.
 */
export function windowView(conv, nowMs) {
  const remaining = conv.expires_at_ms == null ? 0 : conv.expires_at_ms - nowMs;
  const expiredHere = conv.phase === 'open' && conv.window_open && remaining <= 0;
  return {
    open: Boolean(conv.window_open) && !expiredHere,
    remainingMs: conv.window_open && !expiredHere ? Math.max(0, remaining) : 0,
    alert: Boolean(conv.alert) || expiredHere,
    offerTemplate: Boolean(conv.offer_template) || expiredHere,
    composer: Boolean(conv.composer_enabled) && !expiredHere,
    expiredHere,
  };
}

export class Store {
  constructor() {
    this.listeners = new Set();
    this.agent = null;
    this.lines = [];
    this.reasons = [];
    this.clockOffsetMs = 0;
    this.windowMs = 24 * 3600 * 1000;
    this.resetData();
    this.lastSeq = 0;
  }

  /** Drop everything the gateway can send again (on resync and logout). */
  resetData() {
    this.loaded = false;
    this.conversations = new Map(); // id -> conversation
    this.messages = new Map(); // conversation id -> Map(message seq -> message)
    this.previous = new Map(); // conversation id -> {conversation, messages} | null
    this.templates = new Map(); // line -> Map("name|language" -> template)
    this.unread = new Map(); // conversation id -> count of inbound messages not yet seen
    this.agents = new Map(); // agent id -> name, from everything seen (history filter)
    this.shownId = null; // the conversation in Chat
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** topic: 'conversations' | 'messages' | 'templates' | 'session'; detail: e.g. {id} or {line}. */
  notify(topic, detail = {}) {
    for (const fn of this.listeners) fn(topic, detail);
  }

  /** The gateway's clock, corrected for this browser's skew. */
  serverNow() {
    return Date.now() + this.clockOffsetMs;
  }

  setResumed(data) {
    this.agent = data.agent ?? this.agent;
    if (this.agent) this.agents.set(this.agent.id, this.agent.name);
    if (Number.isFinite(data.server_time_ms)) this.clockOffsetMs = data.server_time_ms - Date.now();
    if (Number.isFinite(data.window_ms)) this.windowMs = data.window_ms;
    this.notify('session');
  }

  isSupervisor() {
    return this.agent?.role === 'supervisor';
  }

  line(id) {
    return this.lines.find((l) => l.phone_number_id === id) ?? null;
  }

  setLines(lines) {
    this.lines = Array.isArray(lines) ? lines : [];
    this.notify('session');
  }

  setReasons(reasons) {
    this.reasons = Array.isArray(reasons) ? reasons : [];
    this.notify('session');
  }

  noteAgent(a) {
    if (a && Number.isInteger(a.id) && a.name) this.agents.set(a.id, a.name);
  }

  /** Store a conversation unless we already hold a newer copy. Returns true when stored. */
  putConversation(conv) {
    if (!conv || !Number.isInteger(conv.id)) return false;
    const old = this.conversations.get(conv.id);
    if (old && (old.updated_ms ?? 0) > (conv.updated_ms ?? 0)) return false;
    this.conversations.set(conv.id, conv);
    this.noteAgent(conv.owner);
    return true;
  }

  /** A snapshot from conversation.list: it replaces the open ones, keeps newer copies. */
  loadConversations(list) {
    const seen = new Set();
    for (const c of list ?? []) {
      this.putConversation(c);
      seen.add(c.id);
    }
    for (const [id, c] of this.conversations)
      if (!seen.has(id) && id !== this.shownId && c.phase !== 'finalized') this.conversations.delete(id);
    this.loaded = true;
    this.notify('conversations');
  }

  putMessage(m) {
    if (!m || !Number.isInteger(m.conversation_id) || !Number.isInteger(m.seq)) return;
    let map = this.messages.get(m.conversation_id);
    if (!map) this.messages.set(m.conversation_id, (map = new Map()));
    const old = map.get(m.seq);
    if (old && (STATUS_RANK[old.status] ?? 0) > (STATUS_RANK[m.status] ?? 0))
      m = { ...m, status: old.status, status_ms: old.status_ms, error: old.error };
    map.set(m.seq, m);
    this.noteAgent(m.agent);
  }

  /** The answer of conversation.open (or .create): the conversation, its messages, the previous one. */
  loadChat(data) {
    const conv = data.conversation;
    if (!conv) return;
    this.putConversation(conv);
    // Merged, not replaced: an event that overtook this answer already holds newer news.
    for (const m of data.messages ?? []) this.putMessage(m);
    if (!this.messages.has(conv.id)) this.messages.set(conv.id, new Map());
    if ('previous' in data) this.previous.set(conv.id, data.previous ?? null);
    this.notify('conversations');
    this.notify('messages', { id: conv.id });
  }

  messagesOf(id) {
    const map = this.messages.get(id);
    return map ? [...map.values()].sort((a, b) => a.seq - b.seq) : [];
  }

  /** Conversations still being served, newest change first. */
  openConversations() {
    return [...this.conversations.values()]
      .filter((c) => c.phase !== 'finalized')
      .sort((a, b) => (b.updated_ms ?? 0) - (a.updated_ms ?? 0));
  }

  /** Drop a conversation this agent may no longer see, and what was held of it. */
  forget(id) {
    this.conversations.delete(id);
    this.messages.delete(id);
    this.previous.delete(id);
    this.unread.delete(id);
    if (this.shownId === id) this.shownId = null;
  }

  show(id) {
    this.shownId = id;
    if (id != null) this.unread.delete(id);
    this.notify('conversations');
    this.notify('messages', { id });
  }

  setTemplates(line, list) {
    const map = new Map();
    for (const t of list ?? []) map.set(`${t.name}|${t.language}`, t);
    this.templates.set(line, map);
    this.notify('templates', { line });
  }

  templatesOf(line) {
    const map = this.templates.get(line);
    return map ? [...map.values()].sort((a, b) => a.name.localeCompare(b.name)) : null;
  }

  /**
   * Apply one `event` frame. Returns false for one already applied (seq not above lastSeq).
   */
  applyEvent(frame) {
    if (!Number.isInteger(frame.seq) || frame.seq <= this.lastSeq) return false;
    this.lastSeq = frame.seq;
    const d = frame.data ?? {};
    switch (frame.event) {
      case 'conversation':
        if (d.conversation?.queued === false && Number.isInteger(d.conversation.id)) {
          // Another agent took a conversation of this agent's line: it leaves this screen.
          this.forget(d.conversation.id);
          this.notify('conversations', { id: d.conversation.id });
          this.notify('messages', { id: d.conversation.id });
        } else if (this.putConversation(d.conversation)) {
          this.notify('conversations', { id: d.conversation.id });
        }
        break;
      case 'message': {
        const m = d.message;
        if (d.conversation) this.putConversation(d.conversation);
        if (m) {
          this.putMessage(m);
          if (m.direction === 'in' && m.conversation_id !== this.shownId)
            this.unread.set(m.conversation_id, (this.unread.get(m.conversation_id) ?? 0) + 1);
          this.notify('messages', { id: m.conversation_id });
        }
        this.notify('conversations', { id: m?.conversation_id });
        break;
      }
      case 'status': {
        const m = this.messages.get(d.conversation_id)?.get(d.seq);
        if (m) {
          this.putMessage({ ...m, status: d.status, status_ms: d.status_ms, error: d.error ?? null });
          this.notify('messages', { id: d.conversation_id });
        }
        break;
      }
      case 'template': {
        if (!d.template || !Array.isArray(d.lines)) break;
        const key = `${d.template.name}|${d.template.language}`;
        for (const line of d.lines) {
          const map = this.templates.get(line);
          if (!map) continue; // not loaded yet: templates.list will bring the current offer
          if (d.offered) map.set(key, d.template);
          else map.delete(key);
          this.notify('templates', { line });
        }
        break;
      }
      default:
        break;
    }
    return true;
  }
}
