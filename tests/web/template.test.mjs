// The console's live rendering and parameter checks must agree with core/template_values.c: they
// run over the template fixtures of the C unit tests, taking the text with no values
// (rendered_empty) as the `text` a template carries in the protocol.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkValue, renderPieces, renderText, slotLabel, valuesComplete } from '../../web/js/template.js';
import { FIXTURES } from './fixtures.mjs';

const dir = join(FIXTURES, 'template', 'valid');
const cases = readdirSync(dir).map((name) => ({
  name,
  expected: JSON.parse(readFileSync(join(dir, name, 'expected.json'), 'utf8')),
}));

const stringValues = (values) => Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v === 'string'));

test('the fixtures are there', () => {
  assert.ok(cases.length >= 10);
  assert.ok(cases.some((c) => c.expected.sends.some((s) => s.problems)));
});

test('renderText gives the text the customer reads, for every fixture send', () => {
  let n = 0;
  for (const { name, expected } of cases) {
    const template = { text: expected.rendered_empty, slots: expected.slots };
    assert.equal(renderText(template, {}), expected.rendered_empty, name);
    for (const send of expected.sends) {
      if (Object.values(send.values).some((v) => typeof v !== 'string')) continue;
      assert.equal(renderText(template, send.values), send.rendered, `${name}: ${JSON.stringify(send.values)}`);
      n++;
    }
  }
  assert.ok(n >= 15);
});

test('checkValue finds the first problem the gateway reports for each slot', () => {
  let checked = 0;
  for (const { name, expected } of cases) {
    for (const send of expected.sends) {
      for (const slot of expected.slots) {
        const v = send.values[slot.key];
        if (v !== undefined && typeof v !== 'string') continue; // a non-text value is the gateway's to refuse
        const first = (send.problems ?? []).find((p) => p.slot === slot.key);
        const got = checkValue(slot, v);
        assert.equal(got?.code ?? null, first?.code ?? null, `${name}: ${slot.key} = ${JSON.stringify(v)}`);
        checked++;
      }
      const slotProblems = (send.problems ?? []).filter((p) => expected.slots.some((s) => s.key === p.slot));
      const complete = valuesComplete({ slots: expected.slots }, stringValues(send.values));
      if (slotProblems.length === 0 && Object.values(send.values).every((v) => typeof v === 'string'))
        assert.ok(complete, `${name}: complete`);
      if (slotProblems.some((p) => p.code.startsWith('param_'))) assert.ok(!complete, `${name}: incomplete`);
    }
  }
  assert.ok(checked >= 30);
});

test('characters are counted as Meta counts them, not UTF-16 units or bytes', () => {
  const slot = { max_chars: 3 };
  assert.equal(checkValue(slot, 'ção'), null);
  assert.equal(checkValue(slot, '😀😀😀'), null);
  assert.equal(checkValue(slot, '😀😀😀😀')?.code, 'param_too_long');
  assert.match(checkValue(slot, 'abcd').message, /4 caracteres; o máximo é 3/);
});

test('spaces: four in a row pass, five do not, and only spaces is empty', () => {
  const slot = { max_chars: 100 };
  assert.equal(checkValue(slot, 'a    b'), null);
  assert.equal(checkValue(slot, 'a     b')?.code, 'param_spaces');
  assert.equal(checkValue(slot, '   ')?.code, 'param_missing');
  assert.equal(checkValue(slot, '\u00a0'), null); // as in the gateway, only ' ' makes a value blank
});

test('renderPieces marks which parts come from which slot', () => {
  const t = { text: 'Oi {{1}}\nA: {{1}}', slots: [
    { key: 'header.1', component: 'header', name: '1', max_chars: 60 },
    { key: 'body.1', component: 'body', name: '1', max_chars: 1024 },
  ] };
  assert.deepEqual(renderPieces(t, { 'body.1': 'x' }), [
    { text: 'Oi ', slot: null },
    { text: '{{1}}', slot: 'header.1' },
    { text: '\nA: ', slot: null },
    { text: 'x', slot: 'body.1' },
  ]);
});

test('slot labels name the component', () => {
  assert.equal(slotLabel({ component: 'body', name: '2' }), '{{2}} do corpo');
  assert.equal(slotLabel({ component: 'header', name: 'nome' }), '{{nome}} do cabeçalho');
  assert.equal(slotLabel({ component: 'button', name: '1', index: 0 }), 'link do botão 1');
});
