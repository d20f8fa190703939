// Starts the console: login, the connection and its state, and the views, wired together.
import { Connection } from './connection.js';
import { byTestId } from './dom.js';
import { Store } from './state.js';
import { createChat } from './views/chat.js';
import { createConversations } from './views/conversations.js';
import { createHistory } from './views/history.js';
import { createLogin } from './views/login.js';
import { createNewConversation } from './views/new_conversation.js';
import { createQualify } from './views/qualify.js';
import { createShell } from './views/shell.js';
import { createToasts } from './views/toasts.js';

// Not a secret: the name to greet with and when the HttpOnly session cookie expires.
const SESSION_KEY = 'ativa.session';
// A page that never got through after this many attempts asks for a new login: the browser
// cannot tell a refused session (HTTP 401 on the upgrade) from an unreachable gateway.
const FIRST_CONNECT_ATTEMPTS = 3;
const RELOAD_RETRY_MS = 2000;

const store = new Store();
let resumeSeq = 0;
let expiryTimer = null;

const app = {
  store,
  conn: null,
  live: () => app.conn.live,
  toast: createToasts(byTestId('toasts')),
  openConversation,
  openNewConversation: (prefill) => newConversation.open(prefill),
};

app.conn = new Connection({
  lastSeq: () => store.lastSeq,
  onResumed,
  onEvent: (frame) => store.applyEvent(frame),
  onResync: () => {
    store.lastSeq = Math.max(store.lastSeq, resumeSeq);
    const shown = store.shownId;
    store.resetData();
    store.shownId = shown;
    reload();
  },
  onState,
  onUnauthenticated: (err) => endSession(err.message),
});

const shell = createShell({
  onLogout: logout,
  onTab: (tab) => {
    if (tab === 'historico') history.shown();
  },
});
const login = createLogin(({ agent, expiresMs }) => {
  saveSession({ agent, expiresMs });
  begin({ agent, expiresMs });
});
const conversations = createConversations(app);
const chat = createChat(app);
const qualify = createQualify(app);
const newConversation = createNewConversation(app);
const history = createHistory(app);

byTestId('new-conversation').addEventListener('click', (e) => newConversation.open({ opener: e.currentTarget }));

function saveSession(s) {
  try {
    localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  } catch {
    /* private mode: the console still works for this page */
  }
}

function readSession() {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null');
    if (!s?.agent) return null;
    if (Number.isFinite(s.expiresMs) && s.expiresMs <= Date.now()) return null;
    return s;
  } catch {
    return null;
  }
}

function begin({ agent, expiresMs }) {
  login.hide();
  shell.setAgent(agent);
  shell.selectAtendimento();
  shell.showApp(true);
  clearTimeout(expiryTimer);
  if (Number.isFinite(expiresMs))
    expiryTimer = setTimeout(() => endSession('sessão expirada: entre novamente'), Math.max(0, expiresMs - Date.now()));
  app.conn.start();
}

function endSession(message) {
  clearTimeout(expiryTimer);
  app.conn.stop();
  try {
    localStorage.removeItem(SESSION_KEY);
  } catch {
    /* nothing stored */
  }
  if (byTestId('new-conversation-dialog').open) byTestId('new-conversation-dialog').close();
  store.resetData();
  store.lastSeq = 0;
  store.agent = null;
  history.reset();
  chat.reset();
  shell.showApp(false);
  login.show(message);
}

async function logout() {
  try {
    await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' });
  } catch {
    /* the session dies with its cookie's expiry anyway; the local state goes now */
  }
  endSession('');
}

function onState(state, detail) {
  shell.setConnection(state, detail);
  if (state === 'reconnecting' && !detail.wasLive && detail.attempt >= FIRST_CONNECT_ATTEMPTS) {
    endSession('não foi possível abrir a sessão no servidor; entre novamente');
    return;
  }
  refreshControls();
}

function refreshControls() {
  byTestId('new-conversation').disabled = !app.live();
  conversations.render();
  chat.tick();
  qualify.controls();
  newConversation.controls();
  history.controls();
}

async function onResumed(data) {
  resumeSeq = Number.isInteger(data.last_seq) ? data.last_seq : 0;
  if (store.agent && data.agent && data.agent.id !== store.agent.id) {
    // Another login in this browser replaced the session cookie: nothing shown belongs to it.
    store.resetData();
    store.lastSeq = 0;
    history.reset();
    chat.reset();
    qualify.reset();
  }
  store.setResumed(data);
  shell.setAgent(store.agent);
  if (store.agent) saveSession({ ...(readSession() ?? {}), agent: store.agent });
  if (!store.loaded) {
    // A fresh page loads a snapshot; only events after the resume point are news to it.
    store.lastSeq = Math.max(store.lastSeq, resumeSeq);
    await reload();
  }
  refreshControls();
}

/** Load the whole state again: lines, reasons, conversations, and the chat on screen. */
async function reload() {
  try {
    const [lines, reasons, list] = await Promise.all([
      app.conn.request('lines.list'),
      app.conn.request('reasons.list'),
      app.conn.request('conversation.list'),
    ]);
    store.setLines(lines.lines);
    store.setReasons(reasons.reasons);
    store.loadConversations(list.conversations);
    if (store.shownId != null) store.loadChat(await app.conn.request('conversation.open', { conversation_id: store.shownId }));
  } catch (err) {
    if (err.code === 'disconnected' || err.code === 'offline') return; // the next resume reloads
    app.toast('error', `Não foi possível carregar os atendimentos: ${err.message}`);
    setTimeout(() => {
      if (app.live() && !store.loaded) reload();
    }, RELOAD_RETRY_MS);
  }
}

// Lists are redrawn with new nodes: a control is the same if it is the same item of the same list.
function sameControl(a, b) {
  if (a === b || a === document.body || a == null) return true;
  return Boolean(a.dataset?.testid) && a.dataset.testid === b?.dataset?.testid &&
    a.dataset.conversationId === b.dataset.conversationId;
}

/**
 * Show conversation `id` in Chat. The composer gets the focus once loaded when focusComposer is
 * set (the agent came from the pop-up), or when the focus has not moved meanwhile.
 */
async function openConversation(id, { focusComposer = false } = {}) {
  shell.selectAtendimento();
  if (store.shownId !== id) {
    chat.reset();
    qualify.reset();
  }
  store.show(id);
  chat.refresh();
  const focusBefore = document.activeElement;
  try {
    store.loadChat(await app.conn.request('conversation.open', { conversation_id: id }));
    chat.refresh();
    // Move to the composer only if the agent has not gone on to another field meanwhile.
    if (focusComposer || sameControl(document.activeElement, focusBefore)) chat.focusComposer();
  } catch (err) {
    app.toast('error', err.message);
  }
}

setInterval(() => {
  conversations.tick();
  chat.tick();
}, 1000);

const saved = readSession();
if (saved) begin(saved);
else login.show('');
