// Words and numbers as the console shows them (pt-BR).

const dateTime = new Intl.DateTimeFormat('pt-BR', {
  day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit',
});
const timeOnly = new Intl.DateTimeFormat('pt-BR', { hour: '2-digit', minute: '2-digit' });
const dayOnly = new Intl.DateTimeFormat('pt-BR', { day: '2-digit', month: '2-digit' });

/** "23/11/2026 14:05", or "" for null. */
export function formatDateTime(ms) {
  return ms == null ? '' : dateTime.format(new Date(ms));
}

/** "14:05" today, "22/11 14:05" on another day. */
export function formatMessageTime(ms, nowMs = Date.now()) {
  if (ms == null) return '';
  const d = new Date(ms);
  const same = new Date(nowMs).toDateString() === d.toDateString();
  return same ? timeOnly.format(d) : `${dayOnly.format(d)} ${timeOnly.format(d)}`;
}

/** A countdown: "23:59:07" (hours may exceed 24 never; the window is 24 h). */
export function formatCountdown(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  return `${two(h)}:${two(m)}:${two(s)}`;
}

/** "+55 11 99999-9999" style, for reading only; the canonical digits stay what is sent. */
export function formatNumber(digits) {
  const d = String(digits ?? '');
  const br = /^55(\d{2})(\d{4,5})(\d{4})$/.exec(d);
  return br ? `+55 ${br[1]} ${br[2]}-${br[3]}` : d ? `+${d}` : '';
}

/** Delivery status of an outgoing message, in words. */
export const STATUS_WORDS = Object.freeze({
  queued: 'na fila',
  sending: 'enviando',
  accepted: 'aceita',
  sent: 'enviada',
  delivered: 'entregue',
  read: 'lida',
  failed: 'falhou',
  unknown: 'incerto',
});

export const PHASE_WORDS = Object.freeze({
  open: 'janela aberta',
  awaiting_reply: 'aguardando resposta',
  closed: 'janela fechada',
  finalized: 'finalizado',
});

/** UTF-8 length in bytes (the description's limit is 4000 bytes). */
export function utf8Bytes(s) {
  return new TextEncoder().encode(String(s ?? '')).length;
}
