// "Qualificar Atendimento": the optional contact reason and description, and
// "Finalizar Atendimento" with one success notification per saved field.
import { byTestId, el, replace, show } from '../dom.js';
import { utf8Bytes } from '../format.js';

const DESCRIPTION_MAX_BYTES = 4000;

export function createQualify(app) {
  const { store } = app;
  const form = document.getElementById('qualify-form');
  const reason = byTestId('qualify-reason');
  const description = byTestId('qualify-description');
  const bytes = byTestId('qualify-bytes');
  const error = byTestId('qualify-error');
  const submit = byTestId('finalize');
  let busy = false;

  function renderReasons() {
    const current = reason.value;
    replace(
      reason,
      el('option', { value: '' }, 'Sem motivo'),
      store.reasons.map((r) => el('option', { value: r }, r)),
    );
    reason.value = store.reasons.includes(current) ? current : '';
  }

  function controls() {
    const conv = store.conversations.get(store.shownId);
    const n = utf8Bytes(description.value);
    bytes.textContent = `${n} de ${DESCRIPTION_MAX_BYTES} bytes`;
    const tooLong = n > DESCRIPTION_MAX_BYTES;
    description.setAttribute('aria-invalid', String(tooLong));
    const canFinalize = conv && conv.phase !== 'finalized' && conv.owner && store.agent &&
      (conv.owner.id === store.agent.id || store.isSupervisor());
    submit.disabled = busy || tooLong || !canFinalize || !app.live();
    reason.disabled = description.disabled = !conv || conv.phase === 'finalized';
  }

  description.addEventListener('input', controls);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const conv = store.conversations.get(store.shownId);
    if (!conv || submit.disabled) return;
    show(error, false);
    busy = true;
    controls();
    try {
      const data = await app.conn.request('conversation.finalize', {
        conversation_id: conv.id,
        reason: reason.value || null,
        description: description.value.trim() ? description.value : null,
      });
      if (data.attendance) store.noteAgent(data.attendance.agent);
      if (data.qualification?.saved)
        app.toast('success', `Qualificação realizada com sucesso: ${data.qualification.reason ?? reason.value}.`);
      if (data.description?.saved) app.toast('success', 'Descrição do Atendimento salva com sucesso.');
      if (!data.qualification?.saved && !data.description?.saved) app.toast('success', 'Atendimento finalizado.');
      reason.value = '';
      description.value = '';
      // The finalized conversation arrives as an event too; showing it now avoids a stale chat.
      if (data.attendance) {
        const cur = store.conversations.get(conv.id);
        if (cur && cur.phase !== 'finalized')
          store.putConversation({ ...cur, phase: 'finalized', composer_enabled: false, alert: false, offer_template: false, finalized_ms: data.attendance.ended_ms });
        store.notify('conversations', { id: conv.id });
      }
    } catch (err) {
      error.textContent = err.message;
      show(error, true);
    } finally {
      busy = false;
      controls();
    }
  });

  store.subscribe((topic) => {
    if (topic === 'session') renderReasons();
    if (topic === 'conversations' || topic === 'session') controls();
  });

  return {
    controls,
    /** Another conversation is shown: start its qualification afresh. */
    reset() {
      reason.value = '';
      description.value = '';
      show(error, false);
      controls();
    },
  };
}
