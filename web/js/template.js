// Template values in the browser: the text the customer will read, rendered as the agent types,
// and Meta's parameter rules checked before sending. The gateway checks them again and its
// answer (param_* errors) is authoritative.

const MAX_CONSECUTIVE_SPACES = 4;

const chars = (s) => [...s].length; // characters (code points), as Meta counts them

/**
 * The problem with one value, in words, or null when Meta would accept it.
 * @param {{max_chars: number}} slot
 * @param {string} value
 * @returns {{code: string, message: string} | null}
 */
export function checkValue(slot, value) {
  const v = String(value ?? '');
  if (/^ *$/.test(v)) // only spaces counts as empty, as in the gateway
    return { code: 'param_missing', message: 'preencha este campo' };
  if (/[\n\r\t]/.test(v))
    return { code: 'param_newline_tab', message: 'não pode ter quebra de linha nem tabulação' };
  if (v.includes(' '.repeat(MAX_CONSECUTIVE_SPACES + 1)))
    return {
      code: 'param_spaces',
      message: `não pode ter mais de ${MAX_CONSECUTIVE_SPACES} espaços seguidos`,
    };
  const n = chars(v);
  if (Number.isInteger(slot.max_chars) && n > slot.max_chars)
    return { code: 'param_too_long', message: `tem ${n} caracteres; o máximo é ${slot.max_chars}` };
  return null;
}

/** True when every slot of the template has a value Meta accepts. */
export function valuesComplete(template, values) {
  return (template.slots ?? []).every((s) => checkValue(s, values[s.key]) === null);
}

/**
 * The template's text with each {{name}} replaced by its value (placeholders without a value
 * stay as they are). The text joins header and body; a header has at most one placeholder and
 * comes first, so the first occurrence of a name that both a header and a body slot use is the
 * header's.
 * @returns {Array<{text: string, slot: string|null}>} pieces, so the caller can mark the filled
 *          parts; join the texts for the plain string.
 */
export function renderPieces(template, values) {
  const text = String(template.text ?? '');
  const slots = (template.slots ?? []).filter((s) => s.component !== 'button');
  const headerUsed = new Set();
  const pieces = [];
  const re = /\{\{([^{}]+)\}\}/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) pieces.push({ text: text.slice(last, m.index), slot: null });
    const name = m[1];
    let slot = slots.find((s) => s.component === 'header' && s.name === name && !headerUsed.has(s.key));
    if (slot) headerUsed.add(slot.key);
    else slot = slots.find((s) => s.component !== 'header' && s.name === name);
    const value = slot ? values[slot.key] : undefined;
    pieces.push(value ? { text: value, slot: slot.key } : { text: m[0], slot: slot ? slot.key : null });
    last = re.lastIndex;
  }
  if (last < text.length) pieces.push({ text: text.slice(last), slot: null });
  return pieces;
}

/** The rendered text as one string. */
export function renderText(template, values) {
  return renderPieces(template, values).map((p) => p.text).join('');
}

/** How a slot is named to the agent, e.g. "{{1}} do corpo" or "link do botão 1". */
export function slotLabel(slot) {
  if (slot.component === 'button') return `link do botão ${(slot.index ?? 0) + 1}`;
  return `{{${slot.name}}} do ${slot.component === 'header' ? 'cabeçalho' : 'corpo'}`;
}
