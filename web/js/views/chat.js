// The Chat section: the conversation's messages (after the previous conversation's history),
// the window countdown, the 24-hour alert with "+Selecionar Template", and the composer.
import { byTestId, el, replace, show } from '../dom.js';
import { formatCountdown, formatDateTime, formatMessageTime, formatNumber, STATUS_WORDS } from '../format.js';
import { windowView } from '../state.js';

const TEXT_MAX_CHARS = 4096;
const ALERT_24H = 'Já se passaram mais de 24 horas desde a última mensagem do cliente.';

export function createChat(app) {
  const { store } = app;
  const customer = byTestId('chat-customer');
  const countdown = byTestId('window-countdown');
  const empty = byTestId('chat-empty');
  const alert = byTestId('window-alert');
  const alertText = byTestId('window-alert-text');
  const selectTemplate = byTestId('select-template');
  const finalized = byTestId('chat-finalized');
  const list = byTestId('messages');
  const composer = byTestId('composer');
  const text = byTestId('composer-text');
  const send = byTestId('composer-send');
  const state = byTestId('composer-state');
  let sending = false;
  let errorText = ''; // the last refusal, shown until the agent types or changes conversation

  selectTemplate.addEventListener('click', () => {
    const conv = store.conversations.get(store.shownId);
    if (conv) app.openNewConversation({ line: conv.line, number: conv.customer, conversationId: conv.id, opener: selectTemplate });
  });

  composer.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  text.addEventListener('input', () => {
    if (errorText) say('', false);
  });
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });

  async function submit() {
    const conv = store.conversations.get(store.shownId);
    const body = text.value;
    if (!conv || sending || send.disabled) return;
    if (body.trim() === '') {
      say('digite uma mensagem', true);
      return;
    }
    if ([...body].length > TEXT_MAX_CHARS) {
      say(`o texto tem ${[...body].length} caracteres; o WhatsApp aceita até ${TEXT_MAX_CHARS}`, true);
      return;
    }
    sending = true;
    controls();
    try {
      const data = await app.conn.request('message.send_text', { conversation_id: conv.id, text: body });
      if (data.message) store.putMessage(data.message);
      store.notify('messages', { id: conv.id });
      if (text.value === body) text.value = '';
      say('', false);
    } catch (err) {
      say(err.message, true);
    } finally {
      sending = false;
      controls();
      if (!text.disabled) text.focus();
    }
  }

  function say(message, isError) {
    errorText = isError ? message : '';
    controls();
  }

  function messageItem(m, previous) {
    const out = m.direction === 'out';
    const who = out ? (m.agent?.name ?? 'Atendente') : 'Cliente';
    const meta = el(
      'p',
      { class: 'meta' },
      el('span', { class: 'visually-hidden' }, `${who}, `),
      el('time', { datetime: new Date(m.ts_ms).toISOString(), title: formatDateTime(m.ts_ms) }, formatMessageTime(m.ts_ms)),
      m.kind === 'template' && m.template ? el('span', {}, `modelo ${m.template.name}`) : null,
      out
        ? el('span', { class: 'status', dataset: { testid: 'message-status', status: m.status } }, STATUS_WORDS[m.status] ?? m.status)
        : null,
    );
    return el(
      'li',
      {
        class: `message ${out ? 'out' : 'in'}${previous ? ' previous' : ''}`,
        dataset: { testid: previous ? 'previous-message' : 'message', direction: m.direction, seq: String(m.seq), status: m.status ?? 'none' },
      },
      el('p', { class: 'text', dataset: { testid: 'message-text' } }, m.text ?? ''),
      meta,
      m.status === 'failed'
        ? el('p', { class: 'failure', dataset: { testid: 'message-failure' } }, `Falhou: ${m.error?.text ?? 'o WhatsApp recusou a mensagem'}`)
        : null,
      m.status === 'unknown'
        ? el('p', { class: 'failure', dataset: { testid: 'message-failure' } }, 'Envio incerto: o serviço parou durante o envio; confira com o cliente antes de reenviar.')
        : null,
    );
  }

  function renderMessages() {
    const conv = store.conversations.get(store.shownId);
    if (!conv) {
      replace(list);
      return;
    }
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const prev = store.previous.get(conv.id);
    const items = [];
    if (prev?.messages?.length) {
      items.push(el('li', { class: 'divider', dataset: { testid: 'previous-divider' } }, `Conversa anterior · ${formatDateTime(prev.conversation?.created_ms)}`));
      for (const m of prev.messages) items.push(messageItem(m, true));
      items.push(el('li', { class: 'divider' }, `Conversa atual · ${formatDateTime(conv.created_ms)}`));
    }
    for (const m of store.messagesOf(conv.id)) items.push(messageItem(m, false));
    replace(list, items);
    if (nearBottom || list.dataset.conversation !== String(conv.id)) list.scrollTop = list.scrollHeight;
    list.dataset.conversation = String(conv.id);
  }

  /** The header, alert, countdown and composer; cheap enough to run every second. */
  function controls() {
    const conv = store.conversations.get(store.shownId);
    show(empty, !conv);
    if (!conv) {
      customer.textContent = '';
      countdown.textContent = '';
      show(alert, false);
      show(finalized, false);
      text.disabled = send.disabled = true;
      return;
    }
    const view = windowView(conv, store.serverNow());
    const line = store.line(conv.line);
    const isFinal = conv.phase === 'finalized';
    const mine = !conv.owner || !store.agent ? false : conv.owner.id === store.agent.id;
    customer.textContent = `${conv.customer_name ? `${conv.customer_name} · ` : ''}${formatNumber(conv.customer)}${line ? ` · ${line.label}` : ''}`;
    countdown.dataset.open = String(view.open);
    countdown.textContent = isFinal ? '' : view.open ? `Janela: ${formatCountdown(view.remainingMs)} restantes` : 'Janela fechada';
    show(finalized, isFinal);
    show(alert, !isFinal && view.alert);
    show(selectTemplate, !isFinal && view.offerTemplate);
    selectTemplate.disabled = !app.live() || !mine;
    alertText.textContent =
      conv.phase === 'awaiting_reply'
        ? `${ALERT_24H} Modelo enviado: o campo de texto será liberado quando o cliente responder.`
        : `${ALERT_24H} Para falar com o cliente, envie um modelo aprovado.`;

    let why = '';
    if (isFinal) why = 'Atendimento finalizado.';
    else if (!conv.owner) why = 'Conversa na fila: assuma-a para responder.';
    else if (!mine) why = `Conversa de ${conv.owner.name}.`;
    else if (conv.phase === 'awaiting_reply') why = 'Aguardando a resposta do cliente ao modelo enviado.';
    else if (!view.composer) why = 'A janela de 24 horas está fechada: envie um modelo (+Selecionar Template).';
    else if (!app.live()) why = 'Sem conexão: aguarde a reconexão para enviar.';
    text.disabled = why !== '';
    send.disabled = why !== '' || sending;
    state.textContent = errorText || why;
    state.dataset.error = String(errorText !== '');
  }

  // The list is redrawn whole; only what the customer just wrote is read out.
  const announce = document.getElementById('chat-announce');
  let announced = new Set();
  function announceNew() {
    const conv = store.conversations.get(store.shownId);
    if (!conv) return;
    const inbound = store.messagesOf(conv.id).filter((m) => m.direction === 'in');
    const fresh = inbound.filter((m) => !announced.has(`${conv.id}:${m.seq}`));
    if (list.dataset.conversation === String(conv.id) && fresh.length)
      announce.textContent = `Nova mensagem do cliente: ${fresh[fresh.length - 1].text ?? ''}`;
    announced = new Set(inbound.map((m) => `${conv.id}:${m.seq}`));
  }

  store.subscribe((topic, detail) => {
    if (topic === 'messages' && (detail.id == null || detail.id === store.shownId)) {
      announceNew();
      renderMessages();
    }
    if (topic === 'conversations' || topic === 'session' || topic === 'messages') controls();
  });

  return {
    tick: controls,
    refresh() {
      renderMessages();
      controls();
    },
    focusComposer() {
      if (!text.disabled) text.focus();
    },
    /** Another conversation is shown: a draft must never reach the wrong customer. */
    reset() {
      text.value = '';
      errorText = '';
    },
  };
}
