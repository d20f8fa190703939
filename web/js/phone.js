// Customer numbers, checked in the browser for instant feedback. The rules mirror the gateway's
// (include/ativa/phone.h) and are checked against the same fixtures; the gateway's answer to
// customer.lookup stays authoritative.

const MIN_DIGITS = 8;
const MAX_DIGITS = 15;

// The 67 Brazilian area codes (DDD) in use.
const BR_DDDS = new Set([
  11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43,
  44, 45, 46, 47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77,
  79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
]);

// The same words the gateway sends for each code (error.h, pt-BR column).
export const PHONE_MESSAGES = Object.freeze({
  phone_empty: 'informe o número do cliente',
  phone_non_digit: 'o número deve ter apenas dígitos (código do país, DDD e número, sem espaços)',
  phone_too_short: 'número curto demais: informe código do país, DDD e número, ex.: 5511999999999',
  phone_too_long: 'número longo demais: no máximo 15 dígitos',
  phone_bad_country: 'o número deve começar pelo código do país (não por 0)',
  phone_unknown_ddd: 'DDD inexistente no Brasil',
  phone_br_length: 'número brasileiro: 55 + DDD (2 dígitos) + 8 dígitos (fixo) ou 9 dígitos (celular)',
  phone_br_mobile: 'celular brasileiro tem 9 dígitos e começa com 9',
  phone_br_landline: 'telefone fixo brasileiro tem 8 dígitos e começa com 2, 3, 4 ou 5',
});

const FORMATTING = new Set([' ', '\t', '\n', '\r', '\v', '\f', '+', '-', '.', '(', ')']);

const isDigit = (c) => c >= '0' && c <= '9';

/** True when ddd (a number 10..99) is one of the Brazilian area codes in use. */
export function brDddValid(ddd) {
  return BR_DDDS.has(ddd);
}

/**
 * Strip pasted formatting (whitespace, + - . ( )); any other character is an error, not dropped.
 * @returns {{ok: true, digits: string} | {ok: false, code: string}}
 */
export function cleanPhone(input) {
  let digits = '';
  let tooLong = false;
  for (const c of String(input ?? '')) {
    if (FORMATTING.has(c)) continue;
    if (!isDigit(c)) return { ok: false, code: 'phone_non_digit' };
    if (digits.length < MAX_DIGITS) digits += c;
    else tooLong = true;
  }
  if (tooLong) return { ok: false, code: 'phone_too_long' };
  if (digits === '') return { ok: false, code: 'phone_empty' };
  return { ok: true, digits };
}

function validateBrazil(digits) {
  if (digits.length !== 12 && digits.length !== 13) return 'phone_br_length';
  if (!brDddValid(Number(digits.slice(2, 4)))) return 'phone_unknown_ddd';
  const first = digits[4];
  if (digits.length === 13) return first === '9' ? 'mobile' : 'phone_br_mobile';
  // 8 digits starting with 6-9 is a mobile typed without its ninth digit.
  if (first >= '6') return 'phone_br_mobile';
  if (first < '2') return 'phone_br_landline';
  return 'landline';
}

/**
 * Strictly validate canonical digits (no cleaning). First failure wins, in the gateway's order.
 * @returns {{ok: true, kind: 'mobile'|'landline'|'other'} | {ok: false, code: string}}
 */
export function validatePhone(digits) {
  const s = String(digits ?? '');
  if (s === '') return { ok: false, code: 'phone_empty' };
  for (const c of s) if (!isDigit(c)) return { ok: false, code: 'phone_non_digit' };
  if (s.length > MAX_DIGITS) return { ok: false, code: 'phone_too_long' };
  if (s.length < MIN_DIGITS) return { ok: false, code: 'phone_too_short' };
  if (s[0] === '0') return { ok: false, code: 'phone_bad_country' };
  if (s.startsWith('55')) {
    const r = validateBrazil(s);
    return r.startsWith('phone_') ? { ok: false, code: r } : { ok: true, kind: r };
  }
  return { ok: true, kind: 'other' };
}

/**
 * What the "Para" field shows while the agent types: the canonical digits and, when they are
 * not a callable number, the reason in words.
 * @returns {{ok: boolean, digits: string, kind?: string, code: string|null, message: string|null}}
 */
export function checkPhone(input) {
  const cleaned = cleanPhone(input);
  if (!cleaned.ok)
    return { ok: false, digits: '', code: cleaned.code, message: PHONE_MESSAGES[cleaned.code] };
  const v = validatePhone(cleaned.digits);
  if (!v.ok)
    return { ok: false, digits: cleaned.digits, code: v.code, message: PHONE_MESSAGES[v.code] };
  return { ok: true, digits: cleaned.digits, kind: v.kind, code: null, message: null };
}
