// The console's instant number check must agree with the gateway's rules: it runs over the very
// fixtures the C unit test of core/phone.c uses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brDddValid, checkPhone, cleanPhone, PHONE_MESSAGES, validatePhone } from '../../web/js/phone.js';
import { readTsv } from './fixtures.mjs';

test('cleanPhone agrees with tests/fixtures/phone/clean.tsv', () => {
  const rows = readTsv('phone/clean.tsv');
  assert.ok(rows.length > 10);
  for (const [input, expected] of rows) {
    const r = cleanPhone(input);
    const got = r.ok ? r.digits : r.code;
    assert.equal(got, expected, `clean(${JSON.stringify(input)})`);
  }
});

test('validatePhone agrees with tests/fixtures/phone/validate.tsv', () => {
  const rows = readTsv('phone/validate.tsv');
  assert.ok(rows.length > 200);
  for (const [input, expected] of rows) {
    const r = validatePhone(input);
    const got = r.ok ? `ok:${r.kind}` : r.code;
    assert.equal(got, expected, `validate(${JSON.stringify(input)})`);
  }
});

test('exactly 67 DDDs are in use', () => {
  let n = 0;
  for (let d = 0; d <= 120; d++) if (brDddValid(d)) n++;
  assert.equal(n, 67);
  assert.ok(brDddValid(11) && brDddValid(99) && !brDddValid(20) && !brDddValid(10));
});

test('checkPhone cleans pasted formatting and explains a bad number in words', () => {
  assert.deepEqual(checkPhone('+55 (11) 99999-9999'), {
    ok: true, digits: '5511999999999', kind: 'mobile', code: null, message: null,
  });
  const bad = checkPhone('+55 (11) 9999-9999');
  assert.equal(bad.ok, false);
  assert.equal(bad.digits, '551199999999');
  assert.equal(bad.code, 'phone_br_mobile');
  assert.equal(bad.message, PHONE_MESSAGES.phone_br_mobile);
  assert.equal(checkPhone('55 11 9999a').digits, '');
});

test('every phone error code of error.h has words, and the same words', async () => {
  const { readFileSync } = await import('node:fs');
  const header = readFileSync(new URL('../../include/ativa/error.h', import.meta.url), 'utf8');
  const joined = header.replace(/"\s*\\\s*\n\s*"/g, ''); // join C string continuations
  const codes = [...joined.matchAll(/"(phone_[a-z_]+)"/g)].map((m) => m[1]);
  assert.ok(codes.length >= 9);
  for (const code of codes) {
    assert.ok(PHONE_MESSAGES[code], `no words for ${code}`);
    assert.ok(joined.includes(`"${PHONE_MESSAGES[code]}"`), `words for ${code} differ from error.h`);
  }
});
