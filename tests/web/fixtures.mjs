// Reads the data-driven fixtures shared with the C unit tests (tests/fixtures/<module>/*.tsv).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

// Undo the C-style escapes of a fixture column (\t \n \r \v \f \\ \xHH); \xHH are bytes of UTF-8.
export function unescapeC(s) {
  const bytes = [];
  const simple = { t: 9, n: 10, r: 13, v: 11, f: 12, '\\': 92 };
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 92 || i + 1 >= raw.length) {
      bytes.push(raw[i]);
      continue;
    }
    const next = String.fromCharCode(raw[i + 1]);
    if (next === 'x') {
      bytes.push(parseInt(String.fromCharCode(raw[i + 2], raw[i + 3]), 16));
      i += 3;
    } else if (next in simple) {
      bytes.push(simple[next]);
      i += 1;
    } else {
      throw new Error(`unknown escape \\${next} in fixture`);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The rows of a TSV fixture as [input, expected] pairs, comments and blank lines skipped. */
export function readTsv(relative) {
  const text = readFileSync(join(FIXTURES, relative), 'utf8');
  const rows = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new Error(`fixture line without a tab: ${JSON.stringify(line)}`);
    rows.push([unescapeC(line.slice(0, tab)), line.slice(tab + 1)]);
  }
  return rows;
}
