// The "Nova Conversa" pop-up. First step: "Número de Origem" and "Para", then customer.lookup.
// Window open: the conversation opens in Chat. Window closed: the pop-up grows the 24-hour alert,
// "Escolher Modelo" and "Texto do Modelo" (one input per parameter, the text rendered live), and
// "+Criar Conversa" sends the template (to the existing conversation when there is one).
import { byTestId, el, replace, show } from '../dom.js';
import { checkPhone } from '../phone.js';
import { checkValue, renderPieces, slotLabel, valuesComplete } from '../template.js';

const KIND_WORDS = { mobile: 'celular do Brasil', landline: 'fixo do Brasil', other: 'internacional' };

export function createNewConversation(app) {
  const { store } = app;
  const dialog = byTestId('new-conversation-dialog');
  const form = document.getElementById('nc-form');
  const line = byTestId('nc-line');
  const to = byTestId('nc-to');
  const feedback = byTestId('nc-to-feedback');
  const templatePart = byTestId('nc-template-part');
  const templateSelect = byTestId('nc-template');
  const preview = byTestId('nc-preview');
  const params = document.getElementById('nc-params');
  const error = byTestId('nc-error');
  const create = byTestId('nc-create');

  // lookup: the customer.lookup answer for lookupFor ("line|digits"); conversationId: the chat
  // whose "+Selecionar Template" opened the pop-up.
  let s = fresh();
  function fresh() {
    return { lookup: null, lookupFor: '', conversationId: null, template: null, values: {}, touched: new Set(), busy: false, opener: null };
  }

  const phone = () => checkPhone(to.value);
  const currentKey = () => `${line.value}|${phone().digits}`;
  const windowClosed = () => s.lookup && !s.lookup.window?.open;

  function renderLines(selected) {
    const lines = store.lines;
    replace(
      line,
      lines.length === 1 ? null : el('option', { value: '' }, 'Selecione a linha'),
      lines.map((l) => el('option', { value: l.phone_number_id }, `${l.label} (${l.display_number})`)),
    );
    if (selected && lines.some((l) => l.phone_number_id === selected)) line.value = selected;
  }

  function renderFeedback() {
    if (to.value.trim() === '') {
      feedback.textContent = '';
      delete feedback.dataset.ok;
      to.removeAttribute('aria-invalid');
      return;
    }
    const p = phone();
    feedback.dataset.ok = String(p.ok);
    to.setAttribute('aria-invalid', String(!p.ok));
    if (p.ok) feedback.textContent = `Número: ${p.digits} (${KIND_WORDS[p.kind]})`;
    else feedback.textContent = p.digits ? `${p.digits}: ${p.message}` : p.message;
  }

  function setError(message) {
    error.textContent = message ?? '';
    show(error, Boolean(message));
  }

  function renderTemplates() {
    const list = store.templatesOf(line.value);
    const keep = s.template ? `${s.template.name}|${s.template.language}` : '';
    if (list === null) {
      replace(templateSelect, el('option', { value: '' }, 'Carregando modelos…'));
      return;
    }
    replace(
      templateSelect,
      el('option', { value: '' }, list.length ? 'Selecione um modelo' : 'Nenhum modelo aprovado para esta linha'),
      list.map((t) =>
        el(
          'option',
          { value: `${t.name}|${t.language}`, disabled: t.sendable === false },
          `${t.name} (${t.language})${t.sendable === false ? ` — indisponível: ${t.unsupported_reason ?? 'não suportado'}` : ''}`,
        ),
      ),
    );
    const still = list.find((t) => `${t.name}|${t.language}` === keep && t.sendable !== false);
    if (still) {
      templateSelect.value = keep;
      s.template = still;
    } else if (keep) {
      s.template = null;
      setError('O modelo escolhido deixou de estar aprovado; escolha outro.');
      renderParams();
    }
  }

  function renderPreview() {
    if (!s.template) {
      replace(preview, 'Escolha um modelo para ver o texto.');
      return;
    }
    replace(
      preview,
      renderPieces(s.template, s.values).map((p) =>
        p.slot && s.values[p.slot] ? el('mark', {}, p.text) : p.slot ? el('span', { class: 'placeholder' }, p.text) : p.text,
      ),
    );
  }

  function renderParams() {
    const slots = s.template?.slots ?? [];
    replace(
      params,
      slots.map((slot, i) => {
        const id = `nc-param-${i}`;
        const input = el('input', {
          id,
          autocomplete: 'off',
          placeholder: slot.example ? `ex.: ${slot.example}` : false,
          'aria-describedby': `${id}-error`,
          dataset: { testid: 'nc-param', slot: slot.key },
          value: s.values[slot.key] ?? '',
          on: {
            input: (e) => {
              s.values[slot.key] = e.target.value;
              s.touched.add(slot.key);
              paramFeedback(slot, e.target);
              renderPreview();
              controls();
            },
          },
        });
        const wrap = el(
          'div',
          { class: 'param' },
          el('label', { for: id }, `Campo ${slotLabel(slot)}`),
          input,
          el('p', { id: `${id}-error`, class: 'param-error', dataset: { testid: 'nc-param-error' } }),
        );
        paramFeedback(slot, input, wrap.lastChild);
        return wrap;
      }),
    );
    renderPreview();
  }

  function paramFeedback(slot, input, out = document.getElementById(`${input.id}-error`)) {
    const problem = checkValue(slot, s.values[slot.key]);
    const visible = problem && (s.touched.has(slot.key) || (s.values[slot.key] ?? '') !== '');
    out.textContent = visible ? problem.message : '';
    input.setAttribute('aria-invalid', String(Boolean(visible)));
  }

  function controls() {
    const p = phone();
    const closed = windowClosed();
    show(templatePart, Boolean(closed));
    let ready = app.live() && !s.busy && line.value !== '' && p.ok;
    if (ready && closed) ready = s.template !== null && valuesComplete(s.template, s.values);
    create.disabled = !ready;
  }

  async function loadTemplates() {
    renderTemplates();
    if (store.templatesOf(line.value) !== null) return;
    try {
      const data = await app.conn.request('templates.list', { line: line.value });
      store.setTemplates(line.value, data.templates);
    } catch (err) {
      setError(err.message);
    }
  }

  function applyLookup(data, digits) {
    s.lookup = data;
    s.lookupFor = `${line.value}|${digits}`;
    if (data.number) to.value = data.number; // the canonical digits, as the gateway reads them
    renderFeedback();
    if (windowClosed()) {
      loadTemplates();
      controls();
      templateSelect.focus();
    }
  }

  function dropLookupIfStale() {
    if (s.lookup && s.lookupFor !== currentKey()) {
      s.lookup = null;
      s.template = null;
      s.values = {};
      s.touched.clear();
      templateSelect.value = '';
      renderParams();
    }
  }

  async function run(type, fields) {
    s.busy = true;
    controls();
    try {
      return await app.conn.request(type, fields);
    } finally {
      s.busy = false;
      controls();
    }
  }

  function showPhoneError(err) {
    if (!err.code?.startsWith('phone_')) return false;
    feedback.dataset.ok = 'false';
    to.setAttribute('aria-invalid', 'true');
    feedback.textContent = err.message;
    to.focus();
    return true;
  }

  async function submit() {
    if (create.disabled) return;
    setError('');
    dropLookupIfStale();
    try {
      if (!s.lookup) {
        const digits = phone().digits;
        const data = await run('customer.lookup', { line: line.value, number: to.value });
        applyLookup(data, data.number ?? digits);
        if (!windowClosed()) await startOpen();
        return;
      }
      if (!windowClosed()) {
        await startOpen();
        return;
      }
      await startWithTemplate();
    } catch (err) {
      if (!showPhoneError(err)) setError(err.message);
    }
  }

  // Window open: the existing conversation, or a new one without a template.
  async function startOpen() {
    const existing = s.lookup.open_conversation_id ?? s.conversationId;
    if (existing != null) {
      toChat(existing);
      return;
    }
    const data = await run('conversation.create', { line: line.value, number: s.lookup.number ?? phone().digits });
    store.loadChat(data);
    toChat(data.conversation.id);
  }

  // Window closed: the chosen template, to the conversation already open with the customer or
  // to a new one.
  async function startWithTemplate() {
    const template = { name: s.template.name, language: s.template.language, values: { ...s.values } };
    const existing = s.lookup.open_conversation_id ?? s.conversationId;
    if (existing != null) {
      const data = await run('message.send_template', { conversation_id: existing, template });
      if (data.message) store.putMessage(data.message);
      store.notify('messages', { id: existing });
      toChat(existing);
      return;
    }
    const data = await run('conversation.create', { line: line.value, number: s.lookup.number ?? phone().digits, template });
    store.loadChat(data);
    toChat(data.conversation.id);
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  // The pop-up's work is done: the chat takes over, and the keyboard goes to its text box rather
  // than back to the button that opened the pop-up.
  function toChat(id) {
    s.opener = null;
    close();
    app.openConversation(id, { focusComposer: true });
  }

  line.addEventListener('change', () => {
    dropLookupIfStale();
    setError('');
    controls();
  });
  to.addEventListener('input', () => {
    renderFeedback();
    dropLookupIfStale();
    setError('');
    controls();
  });
  templateSelect.addEventListener('change', () => {
    const list = store.templatesOf(line.value) ?? [];
    s.template = list.find((t) => `${t.name}|${t.language}` === templateSelect.value) ?? null;
    s.values = {};
    s.touched.clear();
    setError('');
    renderParams();
    controls();
    params.querySelector('input')?.focus();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  byTestId('nc-close').addEventListener('click', close);
  dialog.addEventListener('close', () => {
    const opener = s.opener;
    s = fresh();
    if (opener?.isConnected) opener.focus();
  });

  store.subscribe((topic, detail) => {
    if (!dialog.open) return;
    if (topic === 'templates' && detail.line === line.value && windowClosed()) {
      renderTemplates();
      renderPreview();
      controls();
    }
    if (topic === 'session') controls();
  });

  return {
    /**
     * Open the pop-up. prefill: {line, number, conversationId, lookup, opener}; with both
     * numbers (from "+Selecionar Template" or Histórico) the lookup runs at once, or its answer
     * (history.start) is used as it is.
     */
    open(prefill = {}) {
      s = fresh();
      s.opener = prefill.opener ?? document.activeElement;
      s.conversationId = prefill.conversationId ?? null;
      renderLines(prefill.line);
      to.value = prefill.number ?? '';
      setError('');
      templateSelect.value = '';
      renderParams(); // no template yet: no inputs, and the preview says to choose one
      renderFeedback();
      controls();
      if (!dialog.open) dialog.showModal();
      (line.value === '' ? line : to).focus();
      if (prefill.lookup && line.value && phone().ok) {
        applyLookup(prefill.lookup, prefill.lookup.number ?? phone().digits);
        if (!windowClosed()) create.focus();
      } else if (prefill.number && line.value && phone().ok && !create.disabled) {
        submit();
      }
    },
    controls,
  };
}
