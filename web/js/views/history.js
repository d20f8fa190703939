// "Histórico de atendimentos": filters, the table of finished attendances with paging by
// cursor, and the "Ações" menu with "+ Iniciar Nova Conversa" (history.start).
import { byTestId, el, replace, show } from '../dom.js';
import { formatDateTime, formatNumber } from '../format.js';
import { cleanPhone } from '../phone.js';

const PAGE_SIZE = 50;
const DAY_MS = 24 * 3600 * 1000;

export function createHistory(app) {
  const { store } = app;
  const form = byTestId('history-filters');
  const number = byTestId('history-filter-number');
  const line = byTestId('history-filter-line');
  const agentField = document.getElementById('hf-agent-field');
  const agent = byTestId('history-filter-agent');
  const reason = byTestId('history-filter-reason');
  const from = byTestId('history-filter-from');
  const to = byTestId('history-filter-to');
  const search = byTestId('history-search');
  const error = byTestId('history-error');
  const rows = byTestId('history-rows');
  const empty = byTestId('history-empty');
  const prev = byTestId('history-prev');
  const next = byTestId('history-next');
  const pageLabel = byTestId('history-page');

  // cursors[i] is the cursor of page i (null for the first); filters are fixed per search.
  let filters = null;
  let cursors = [null];
  let page = 0;
  let nextCursor = null;
  let busy = false;
  let openMenu = null;

  function renderOptions() {
    const keep = { line: line.value, agent: agent.value, reason: reason.value };
    replace(line, el('option', { value: '' }, 'Todas'), store.lines.map((l) => el('option', { value: l.phone_number_id }, l.label)));
    replace(reason, el('option', { value: '' }, 'Todos'), store.reasons.map((r) => el('option', { value: r }, r)));
    const agents = [...store.agents.entries()].sort((a, b) => a[1].localeCompare(b[1]));
    replace(agent, el('option', { value: '' }, 'Todos'), agents.map(([id, name]) => el('option', { value: String(id) }, name)));
    line.value = keep.line;
    reason.value = keep.reason;
    agent.value = keep.agent;
    show(agentField, store.isSupervisor());
  }

  function dayStart(value) {
    const [y, m, d] = value.split('-').map(Number);
    return new Date(y, m - 1, d).getTime();
  }

  function readFilters() {
    const f = {};
    if (number.value.trim()) {
      const c = cleanPhone(number.value);
      if (!c.ok) throw new Error('Número: use apenas dígitos (código do país, DDD e número).');
      f.number = c.digits;
    }
    if (line.value) f.line = line.value;
    if (store.isSupervisor() && agent.value) f.agent_id = Number(agent.value);
    if (reason.value) f.reason = reason.value;
    if (from.value) f.from_ms = dayStart(from.value);
    if (to.value) f.to_ms = dayStart(to.value) + DAY_MS - 1;
    if (f.from_ms != null && f.to_ms != null && f.from_ms > f.to_ms) throw new Error('Período: a data inicial é posterior à final.');
    return f;
  }

  function closeMenu(focusButton) {
    if (!openMenu) return;
    const { menu, button } = openMenu;
    menu.remove();
    button.setAttribute('aria-expanded', 'false');
    openMenu = null;
    if (focusButton) button.focus();
  }

  function toggleMenu(button, attendance) {
    const wasThis = openMenu?.button === button;
    closeMenu(false);
    if (wasThis) return;
    const item = el(
      'button',
      {
        type: 'button',
        role: 'menuitem',
        dataset: { testid: 'history-start' },
        disabled: !app.live(),
        on: { click: () => start(attendance, button) },
      },
      '+ Iniciar Nova Conversa',
    );
    const menu = el('div', { class: 'menu', role: 'menu', 'aria-label': 'Ações', dataset: { testid: 'history-menu' } }, item);
    menu.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' || e.key === 'Tab') {
        e.preventDefault();
        closeMenu(true);
      }
    });
    button.after(menu);
    button.setAttribute('aria-expanded', 'true');
    openMenu = { menu, button };
    item.focus();
  }

  async function start(attendance, button) {
    closeMenu(false);
    try {
      const data = await app.conn.request('history.start', { attendance_id: attendance.id });
      app.openNewConversation({ line: data.line, number: data.number, lookup: data.lookup, opener: button });
    } catch (err) {
      app.toast('error', err.message);
    }
  }

  function row(a) {
    const l = store.line(a.line);
    const actions = el(
      'button',
      {
        type: 'button',
        class: 'icon',
        'aria-haspopup': 'menu',
        'aria-expanded': 'false',
        'aria-label': `Ações do atendimento de ${a.customer_name || formatNumber(a.customer)}`,
        dataset: { testid: 'history-actions', attendanceId: String(a.id) },
      },
      '⋮',
    );
    actions.addEventListener('click', () => toggleMenu(actions, a));
    return el(
      'tr',
      { dataset: { testid: 'history-row', attendanceId: String(a.id) } },
      el('td', {}, a.customer_name ?? ''),
      el('td', {}, a.customer ?? ''),
      el('td', {}, l ? `${l.label} (${l.display_number})` : a.line ?? ''),
      el('td', {}, a.agent?.name ?? ''),
      el('td', {}, formatDateTime(a.started_ms)),
      el('td', {}, formatDateTime(a.ended_ms)),
      el('td', {}, a.reason ?? '—'),
      el('td', { class: 'description' }, a.description ?? '—'),
      el('td', { class: 'actions' }, actions),
    );
  }

  async function load() {
    if (busy) return;
    busy = true;
    controls();
    show(error, false);
    try {
      const data = await app.conn.request('history.search', { ...filters, limit: PAGE_SIZE, cursor: cursors[page] });
      const list = data.attendances ?? [];
      for (const a of list) store.noteAgent(a.agent);
      closeMenu(false);
      replace(rows, list.map(row));
      show(empty, list.length === 0);
      nextCursor = data.next_cursor ?? null;
      pageLabel.textContent = `Página ${page + 1}`;
    } catch (err) {
      error.textContent = err.message;
      show(error, true);
    } finally {
      busy = false;
      controls();
    }
  }

  function controls() {
    const live = app.live();
    search.disabled = busy || !live;
    prev.disabled = busy || !live || page === 0;
    next.disabled = busy || !live || nextCursor == null;
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    try {
      filters = readFilters();
    } catch (err) {
      error.textContent = err.message;
      show(error, true);
      return;
    }
    cursors = [null];
    page = 0;
    load();
  });
  prev.addEventListener('click', () => {
    if (page === 0) return;
    page -= 1;
    load();
  });
  next.addEventListener('click', () => {
    if (nextCursor == null) return;
    cursors[page + 1] = nextCursor;
    page += 1;
    load();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && openMenu) closeMenu(true);
  });
  document.addEventListener('click', (e) => {
    if (openMenu && !openMenu.menu.contains(e.target) && e.target !== openMenu.button) closeMenu(false);
  });

  store.subscribe((topic) => {
    if (topic === 'session') {
      renderOptions();
      controls();
    }
  });

  return {
    /** The tab was shown: the first visit searches with no filter. */
    shown() {
      renderOptions();
      if (filters === null && app.live()) {
        filters = {};
        load();
      }
    },
    controls,
    reset() {
      filters = null;
      cursors = [null];
      page = 0;
      nextCursor = null;
      replace(rows);
      show(empty, false);
      pageLabel.textContent = '';
      controls();
    },
  };
}
