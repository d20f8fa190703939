// "Minhas conversas" and the line's shared queue, with unread counts, the window of each and
// the action to take a queued conversation.
import { byTestId, el, show } from '../dom.js';
import { formatCountdown, formatNumber, PHASE_WORDS } from '../format.js';
import { windowView } from '../state.js';

export function createConversations(app) {
  const { store } = app;
  const mine = byTestId('my-conversations');
  const queue = byTestId('queue');
  const mineEmpty = byTestId('my-conversations-empty');
  const queueEmpty = byTestId('queue-empty');

  function windowText(conv, view) {
    if (conv.phase === 'awaiting_reply') return 'aguardando resposta ao modelo';
    if (view.open) return `janela aberta · ${formatCountdown(view.remainingMs)}`;
    return PHASE_WORDS.closed;
  }

  function item(conv, queued) {
    const view = windowView(conv, store.serverNow());
    const unread = store.unread.get(conv.id) ?? 0;
    const line = store.line(conv.line);
    const isOthers = conv.owner && store.agent && conv.owner.id !== store.agent.id;
    const label = conv.customer_name || formatNumber(conv.customer);
    const open = el(
      'button',
      {
        type: 'button',
        class: 'conversation',
        'aria-current': conv.id === store.shownId ? 'true' : false,
        dataset: { testid: 'conversation-item', conversationId: String(conv.id) },
        on: { click: () => app.openConversation(conv.id) },
      },
      el('span', { class: 'name' }, label),
      unread > 0
        ? el('span', { class: 'unread', 'aria-label': `${unread} não lidas`, dataset: { testid: 'unread-count' } }, String(unread))
        : el('span'),
      el('span', { class: 'number' }, `${formatNumber(conv.customer)}${line ? ` · ${line.label}` : ''}`),
      el(
        'span',
        { class: 'window', dataset: { testid: 'conversation-window', open: String(view.open), id: String(conv.id) } },
        windowText(conv, view),
      ),
      isOthers ? el('span', { class: 'owner' }, `atendente: ${conv.owner.name}`) : null,
      conv.last_message ? el('span', { class: 'last' }, conv.last_message.text ?? '') : null,
    );
    const li = el('li', {}, open);
    if (queued)
      li.append(
        el(
          'button',
          {
            type: 'button',
            class: 'take',
            'aria-label': `Assumir conversa com ${label}`,
            disabled: !app.live(),
            dataset: { testid: 'take-conversation', conversationId: String(conv.id) },
            on: { click: (e) => take(conv.id, e.currentTarget) },
          },
          'Assumir',
        ),
      );
    return li;
  }

  async function take(id, button) {
    button.disabled = true;
    try {
      const data = await app.conn.request('conversation.take', { conversation_id: id });
      store.putConversation(data.conversation);
      store.notify('conversations');
      app.openConversation(id);
    } catch (err) {
      app.toast('error', err.message);
      button.disabled = !app.live();
    }
  }

  // Items are kept by conversation id and redrawn only when something they show changed: an
  // event about one conversation must not rebuild a queue of hundreds (the countdowns are
  // updated in place by tick()).
  const drawn = new Map(); // conversation id -> { key, li }

  function itemKey(conv, queued) {
    return JSON.stringify([
      queued, conv.updated_ms, conv.phase, conv.window_open, conv.expires_at_ms, conv.owner?.id ?? null,
      conv.owner?.name ?? null, conv.customer_name ?? null, conv.last_message?.text ?? null,
      store.unread.get(conv.id) ?? 0, conv.id === store.shownId, app.live(), store.line(conv.line)?.label ?? null,
      store.agent?.id ?? null,
    ]);
  }

  /** Makes list's children the items of convs, in order, reusing the items already drawn. */
  function sync(list, convs, queued, keep) {
    const wanted = convs.map((c) => {
      const key = itemKey(c, queued);
      let d = drawn.get(c.id);
      if (!d || d.key !== key) {
        d = { key, li: item(c, queued) };
        drawn.set(c.id, d);
      }
      keep.add(c.id);
      return d.li;
    });
    let cur = list.firstChild;
    for (const li of wanted) {
      if (li === cur) cur = cur.nextSibling;
      else list.insertBefore(li, cur);
    }
    while (cur) {
      const next = cur.nextSibling;
      cur.remove();
      cur = next;
    }
  }

  function render() {
    const all = store.openConversations();
    // A conversation another agent took leaves an agent's screen; supervisors see them all.
    const owned = all.filter((c) => c.owner && (store.isSupervisor() || c.owner.id === store.agent?.id));
    const queued = all.filter((c) => !c.owner);
    const focused = document.activeElement?.dataset?.conversationId;
    const focusedTestId = document.activeElement?.dataset?.testid;
    const keep = new Set();
    sync(mine, owned, false, keep);
    sync(queue, queued, true, keep);
    for (const id of drawn.keys()) if (!keep.has(id)) drawn.delete(id);
    show(mineEmpty, owned.length === 0);
    show(queueEmpty, queued.length === 0);
    if (focused && document.activeElement === document.body) // a redrawn item must not lose the keyboard focus
      document.querySelector(`[data-testid="${focusedTestId}"][data-conversation-id="${focused}"]`)?.focus();
  }

  /** Every second: the countdowns, and an expiry seen here before the gateway's push. */
  function tick() {
    for (const node of document.querySelectorAll('[data-testid="conversation-window"]')) {
      const conv = store.conversations.get(Number(node.dataset.id));
      if (!conv) continue;
      const view = windowView(conv, store.serverNow());
      node.textContent = windowText(conv, view);
      node.dataset.open = String(view.open);
    }
  }

  store.subscribe((topic) => {
    if (topic === 'conversations' || topic === 'session') render();
  });
  return { render, tick };
}
