// The console's store: events applied once and in seq order, newer copies kept, unread counts,
// forward-only delivery status, live template offers, and the window as the console shows it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Store, windowView } from '../../web/js/state.js';

const H = 3600 * 1000;
const conv = (over = {}) => ({
  id: 42, line: 'L1', customer: '5511999999999', customer_name: 'Ana', owner: { id: 3, name: 'Maria' },
  phase: 'open', window_open: true, expires_at_ms: 10 * H, composer_enabled: true, alert: false,
  offer_template: false, created_ms: 0, updated_ms: 100, finalized_ms: null, last_message: null, ...over,
});
const msg = (over = {}) => ({
  conversation_id: 42, seq: 1, direction: 'in', kind: 'text', text: 'oi', ts_ms: 1, status: 'none',
  status_ms: 1, template: null, error: null, agent: null, ...over,
});
const ev = (seq, event, data) => ({ type: 'event', seq, event, data });

test('an event is applied once: seq at or below the last applied is ignored', () => {
  const s = new Store();
  s.lastSeq = 10;
  assert.equal(s.applyEvent(ev(10, 'conversation', { conversation: conv() })), false);
  assert.equal(s.conversations.size, 0);
  assert.equal(s.applyEvent(ev(12, 'conversation', { conversation: conv() })), true);
  assert.equal(s.lastSeq, 12);
  assert.equal(s.applyEvent(ev(11, 'conversation', { conversation: conv({ phase: 'closed' }) })), false);
  assert.equal(s.conversations.get(42).phase, 'open');
  assert.equal(s.applyEvent({ type: 'event', seq: '13', event: 'conversation', data: {} }), false);
});

test('an older copy of a conversation never replaces a newer one', () => {
  const s = new Store();
  assert.ok(s.putConversation(conv({ updated_ms: 200, phase: 'awaiting_reply' })));
  assert.equal(s.putConversation(conv({ updated_ms: 150, phase: 'open' })), false);
  assert.equal(s.conversations.get(42).phase, 'awaiting_reply');
  assert.ok(s.putConversation(conv({ updated_ms: 250, phase: 'open' })));
  assert.equal(s.conversations.get(42).phase, 'open');
});

test('the customer replies: the message arrives, the conversation opens, unread counts', () => {
  const s = new Store();
  const topics = [];
  s.subscribe((t, d) => topics.push([t, d.id]));
  s.putConversation(conv({ phase: 'awaiting_reply', composer_enabled: false, alert: true, offer_template: true }));
  s.applyEvent(ev(1, 'message', { message: msg({ seq: 2, text: 'pode falar' }), conversation: conv({ updated_ms: 200 }) }));
  assert.equal(s.conversations.get(42).composer_enabled, true);
  assert.deepEqual(s.messagesOf(42).map((m) => m.text), ['pode falar']);
  assert.equal(s.unread.get(42), 1);
  assert.ok(topics.some(([t, id]) => t === 'messages' && id === 42));
  s.show(42);
  assert.equal(s.unread.has(42), false);
  s.applyEvent(ev(2, 'message', { message: msg({ seq: 3 }), conversation: conv({ updated_ms: 300 }) }));
  assert.equal(s.unread.has(42), false, 'the conversation on screen has nothing unread');
  s.applyEvent(ev(3, 'message', { message: msg({ seq: 4, direction: 'out', status: 'queued' }), conversation: conv({ updated_ms: 400 }) }));
  s.show(null);
  s.applyEvent(ev(4, 'message', { message: msg({ seq: 5, direction: 'out', status: 'queued' }), conversation: conv({ updated_ms: 500 }) }));
  assert.equal(s.unread.has(42), false, 'outgoing messages are not unread');
});

test('delivery status only moves forward, and a failure keeps its reason', () => {
  const s = new Store();
  s.loadChat({ conversation: conv(), messages: [msg({ seq: 1, direction: 'out', status: 'sending' })] });
  s.applyEvent(ev(1, 'status', { conversation_id: 42, seq: 1, status: 'read', status_ms: 5, error: null }));
  s.applyEvent(ev(2, 'status', { conversation_id: 42, seq: 1, status: 'delivered', status_ms: 4, error: null }));
  assert.equal(s.messagesOf(42)[0].status, 'read');
  s.loadChat({ conversation: conv(), messages: [msg({ seq: 1, direction: 'out', status: 'sent' })] });
  s.applyEvent(ev(3, 'status', { conversation_id: 42, seq: 1, status: 'failed', status_ms: 6, error: { code: 131047, text: 'Mais de 24 horas' } }));
  assert.equal(s.messagesOf(42)[0].status, 'failed');
  assert.equal(s.messagesOf(42)[0].error.text, 'Mais de 24 horas');
  // a status for a message not loaded is ignored, not invented
  s.applyEvent(ev(4, 'status', { conversation_id: 99, seq: 1, status: 'read', status_ms: 7, error: null }));
  assert.equal(s.messages.has(99), false);
});

test('template events change the offer of every loaded line they name, and only those', () => {
  const s = new Store();
  const t = (name) => ({ name, language: 'pt_BR', text: 'x', slots: [], sendable: true });
  s.applyEvent(ev(1, 'template', { lines: ['L1'], template: t('a'), offered: true }));
  assert.equal(s.templatesOf('L1'), null, 'not loaded: the next templates.list has it');
  s.setTemplates('L1', [t('b')]);
  s.setTemplates('L2', [t('b')]);
  s.setTemplates('L3', [t('b')]);
  const notified = [];
  s.subscribe((topic, detail) => topic === 'templates' && notified.push(detail.line));
  s.applyEvent(ev(2, 'template', { lines: ['L1', 'L2'], template: t('a'), offered: true }));
  assert.deepEqual(s.templatesOf('L1').map((x) => x.name), ['a', 'b']);
  assert.deepEqual(s.templatesOf('L2').map((x) => x.name), ['a', 'b']);
  assert.deepEqual(s.templatesOf('L3').map((x) => x.name), ['b'], 'a line of another WABA keeps its offer');
  assert.deepEqual(notified, ['L1', 'L2']);
  s.applyEvent(ev(3, 'template', { lines: ['L1'], template: t('b'), offered: false }));
  assert.deepEqual(s.templatesOf('L1').map((x) => x.name), ['a']);
});

test('a conversation another agent took leaves this agent\'s store, chat included', () => {
  const s = new Store();
  s.putConversation(conv({ id: 7, owner: null, updated_ms: 500 }));
  s.putMessage(msg({ conversation_id: 7, seq: 1 }));
  s.unread.set(7, 1);
  s.show(7);
  s.applyEvent(ev(1, 'conversation', { conversation: { id: 7, owner: { id: 4, name: 'João' }, queued: false } }));
  assert.equal(s.conversations.has(7), false);
  assert.equal(s.messages.has(7), false);
  assert.equal(s.unread.has(7), false);
  assert.equal(s.shownId, null);
});

test('a conversation.list snapshot drops conversations that ended, except the one on screen', () => {
  const s = new Store();
  s.putConversation(conv({ id: 1 }));
  s.putConversation(conv({ id: 2 }));
  s.putConversation(conv({ id: 3 }));
  s.shownId = 3;
  s.loadConversations([conv({ id: 2 })]);
  assert.deepEqual([...s.conversations.keys()].sort(), [2, 3]);
  assert.equal(s.loaded, true);
});

test('the window counts down on the gateway clock and closes by itself at expires_at_ms', () => {
  const c = conv({ expires_at_ms: 1000 });
  let v = windowView(c, 400);
  assert.deepEqual([v.open, v.remainingMs, v.alert, v.composer, v.offerTemplate], [true, 600, false, true, false]);
  v = windowView(c, 1000);
  assert.deepEqual([v.open, v.remainingMs, v.alert, v.composer, v.offerTemplate], [false, 0, true, false, true]);
  // awaiting a reply: the gateway's flags stand, nothing counts down
  v = windowView(conv({ phase: 'awaiting_reply', window_open: false, expires_at_ms: null, composer_enabled: false, alert: true, offer_template: true }), 5);
  assert.deepEqual([v.open, v.alert, v.composer, v.offerTemplate], [false, true, false, true]);
  // a finalized conversation never grows an alert
  v = windowView(conv({ phase: 'finalized', window_open: true, expires_at_ms: 1000, composer_enabled: false }), 2000);
  assert.equal(v.alert, false);
});

test('the server clock corrects this browser\'s skew', () => {
  const s = new Store();
  s.setResumed({ agent: { id: 3, name: 'Maria', role: 'agent' }, server_time_ms: Date.now() + 60000, last_seq: 5, window_ms: 86400000 });
  const skew = s.serverNow() - Date.now();
  assert.ok(skew > 59000 && skew <= 60000, String(skew));
  assert.equal(s.agents.get(3), 'Maria');
});
