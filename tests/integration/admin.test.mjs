// ativa-admin against real data directories: agents, the attendance export (JSON and CSV) and
// backups taken while another process writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';

import { buildDir, makeTempDir, removeDir } from './harness.mjs';

const adminBin = path.join(buildDir, 'tools', 'ativa-admin');
const attendBin = path.join(buildDir, 'tests', 'tools', 'ativa-test-attend');
const LINE = '106540352242922';
const PASSWORD = 'correct horse battery';

/** Runs a program with `input` on stdin: { code, stdout, stderr }. */
function exec(bin, args, input = '') {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    // A command that never reads its standard input may exit before the write lands: EPIPE then
    // says nothing about the command, whose exit code and output are what the tests check.
    child.stdin.on('error', (e) => { if (e.code !== 'EPIPE') reject(e); });
    child.stdin.end(input);
  });
}

const admin = (dir, args, input) => exec(adminBin, ['--data', dir, ...args], input);

async function adminJson(dir, args, input) {
  const r = await admin(dir, args, input);
  assert.equal(r.code, 0, `ativa-admin ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** RFC 4180: records of fields; quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { quoted = true; i++; continue; }
    if (c === ',') { row.push(field); field = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i += 2; continue; }
    assert.ok(c !== '"' && c !== '\n' && c !== '\r', `stray ${JSON.stringify(c)} at ${i} outside quotes`);
    field += c; i++;
  }
  assert.equal(field, '', 'the last record ends with CRLF');
  assert.equal(row.length, 0);
  return rows;
}

test('agents: add, list, set, disable, passwd, revoke', async (t) => {
  const dir = await makeTempDir('ativa-admin-');
  t.after(() => removeDir(dir));

  const maria = await adminJson(dir, ['agent', 'add', 'maria', '--name', 'Maria Souza', '--lines', `${LINE},106540352242999`, '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(maria.login, 'maria');
  assert.equal(maria.role, 'agent');
  assert.deepEqual(maria.lines, [LINE, '106540352242999']);
  assert.equal(maria.disabled, false);
  // Without --password-stdin a non-terminal stdin gives one line too.
  const joao = await adminJson(dir, ['agent', 'add', 'joao', '--name', 'João Lima', '--role', 'supervisor'], 'outra senha boa\n');
  assert.equal(joao.role, 'supervisor');
  assert.equal(joao.lines, null);
  assert.notEqual(joao.id, maria.id);

  const list = await admin(dir, ['agent', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.ok(!list.stdout.includes(PASSWORD), 'the password is never shown');
  assert.ok(!list.stdout.includes('scrypt') && !list.stdout.includes('password_hash'), 'nor its hash');
  assert.deepEqual(JSON.parse(list.stdout).map((a) => a.login), ['maria', 'joao']);

  const set = await adminJson(dir, ['agent', 'set', 'maria', '--name', 'Maria S. Souza', '--role', 'supervisor', '--all-lines']);
  assert.equal(set.name, 'Maria S. Souza');
  assert.equal(set.role, 'supervisor');
  assert.equal(set.lines, null);
  const disabled = await adminJson(dir, ['agent', 'set', 'maria', '--disable']);
  assert.equal(disabled.disabled, true);
  assert.equal(disabled.sessions_revoked, 0);
  assert.equal(disabled.name, 'Maria S. Souza', 'disabling keeps the rest');
  const listed = JSON.parse((await admin(dir, ['agent', 'list'])).stdout);
  assert.equal(listed.find((a) => a.login === 'maria').disabled, true);
  assert.equal((await adminJson(dir, ['agent', 'set', 'maria', '--enable'])).disabled, false);

  const passwd = await adminJson(dir, ['agent', 'passwd', 'maria', '--password-stdin'], 'uma senha nova\n');
  assert.equal(passwd.password_changed, true);
  assert.ok(!JSON.stringify(passwd).includes('uma senha nova'));
  const revoke = await adminJson(dir, ['agent', 'revoke', 'joao']);
  assert.deepEqual(revoke, { login: 'joao', agent: joao.id, sessions_revoked: 0 });

  // Refusals: what is wrong, how to fix it, and the exit code.
  const cases = [
    [['agent', 'add', 'maria', '--name', 'Outra'], `${PASSWORD}\n`, 1, /already exists.*agent set/],
    [['agent', 'add', 'ana'], `${PASSWORD}\n`, 2, /--name is required/],
    [['agent', 'add', 'ana', '--name', 'Ana', '--password', PASSWORD], '', 2, /never taken from the command line/],
    [['agent', 'add', 'Ana!', '--name', 'Ana'], `${PASSWORD}\n`, 2, /not a valid login/],
    [['agent', 'add', 'ana', '--name', 'Ana'], 'curta\n', 1, /8 to 256 bytes/],
    [['agent', 'add', 'ana', '--name', 'Ana'], '', 1, /one line on stdin/],
    [['agent', 'add', 'ana', '--name', 'Ana', '--role', 'admin'], `${PASSWORD}\n`, 2, /'agent' or 'supervisor'/],
    [['agent', 'add', 'ana', '--name', 'Ana', '--lines', '12a'], `${PASSWORD}\n`, 2, /phone_number_ids/],
    [['agent', 'add', 'ana', '--name', 'x'.repeat(129)], `${PASSWORD}\n`, 1, /longer than 128 bytes/],
    [['agent', 'set', 'nobody', '--name', 'N'], '', 1, /no agent has the login 'nobody'.*agent add/],
    [['agent', 'set', 'maria'], '', 2, /nothing to change/],
    [['agent', 'set', 'maria', '--disable', '--enable'], '', 2, /not both/],
    [['agent', 'passwd', 'nobody'], `${PASSWORD}\n`, 1, /no agent has the login/],
    [['agent', 'revoke', 'nobody'], '', 1, /no agent has the login/],
    [['agent', 'frobnicate'], '', 2, /expected add, set, passwd, list or revoke/],
  ];
  for (const [args, input, code, message] of cases) {
    const r = await admin(dir, args, input);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '', `${args.join(' ')} prints nothing on stdout`);
  }
  // None of the refusals created an agent.
  assert.equal(JSON.parse((await admin(dir, ['agent', 'list'])).stdout).length, 2);
});

test('attendances: JSON and CSV export with filters and paging', async (t) => {
  const dir = await makeTempDir('ativa-admin-');
  t.after(() => removeDir(dir));
  await adminJson(dir, ['agent', 'add', 'maria', '--name', 'Maria "Má" Souza, SAC', '--password-stdin'], `${PASSWORD}\n`);
  await adminJson(dir, ['agent', 'add', 'joao', '--name', 'João', '--password-stdin'], `${PASSWORD}\n`);
  const tricky = 'Cliente disse: "não, obrigado",\nligar amanhã\r\nàs 10h';
  const seed = async (customer, login, reason, description) => {
    const r = await exec(attendBin, [dir, 'attend', LINE, customer, login, reason, description]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).attendance;
  };
  const first = await seed('5511988887777', 'maria', 'troca, devolução', tricky);
  const second = await seed('5521977776666', 'joao', 'dúvida', 'resolvido');

  const csv = await admin(dir, ['attendances', '--format', 'csv']);
  assert.equal(csv.code, 0, csv.stderr);
  const rows = parseCsv(csv.stdout);
  assert.deepEqual(rows[0], ['id', 'conversation', 'line', 'customer', 'agent_login', 'agent_name', 'started', 'ended', 'reason', 'description']);
  assert.equal(rows.length, 3);
  assert.equal(rows[1][0], String(second), 'newest first');
  const m = rows[2];
  assert.equal(m[0], String(first));
  assert.equal(m[2], LINE);
  assert.equal(m[3], '5511988887777');
  assert.equal(m[4], 'maria');
  assert.equal(m[5], 'Maria "Má" Souza, SAC');
  assert.match(m[6], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(m[7], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(Math.abs(Date.parse(m[7]) - Date.now()) < 120000, 'ended is now, in UTC');
  assert.equal(m[8], 'troca, devolução');
  assert.equal(m[9], tricky, 'comma, quotes and line breaks survive');
  assert.ok(csv.stdout.includes('"Cliente disse: ""não, obrigado"",\nligar'), 'quotes are doubled inside a quoted field');
  assert.ok(Buffer.from(csv.stdout, 'utf8').includes(Buffer.from('João', 'utf8')), 'UTF-8 as stored');

  const json = await adminJson(dir, ['attendances']);
  assert.equal(json.length, 2);
  assert.equal(json[1].id, first);
  assert.equal(json[1].description, tricky);
  assert.equal(json[1].agent_login, 'maria');
  assert.equal(json[0].agent_name, 'João');

  // Filters.
  assert.deepEqual((await adminJson(dir, ['attendances', '--agent', 'joao'])).map((a) => a.id), [second]);
  assert.deepEqual((await adminJson(dir, ['attendances', '--customer', '5511988887777'])).map((a) => a.id), [first]);
  assert.deepEqual((await adminJson(dir, ['attendances', '--reason', 'dúvida'])).map((a) => a.id), [second]);
  assert.deepEqual((await adminJson(dir, ['attendances', '--line', '106540352242999'])), []);
  assert.equal((await adminJson(dir, ['attendances', '--from', '2000-01-01', '--to', '2000-12-31'])).length, 0);
  assert.equal((await adminJson(dir, ['attendances', '--from', '2000-01-01T00:00Z', '--to', String(Date.now() + 60000)])).length, 2);
  assert.equal((await adminJson(dir, ['attendances', '--limit', '1'])).length, 1);
  const emptyCsv = await admin(dir, ['attendances', '--format', 'csv', '--reason', 'nenhum']);
  assert.equal(parseCsv(emptyCsv.stdout).length, 1, 'only the header');

  // More than one page (200): the export follows the cursor to the end.
  const churn = await exec(attendBin, [dir, 'churn', LINE, 'joao', '230']);
  assert.equal(churn.code, 0, churn.stderr);
  const all = await adminJson(dir, ['attendances', '--reason', 'churn']);
  assert.equal(all.length, 230);
  assert.equal(new Set(all.map((a) => a.id)).size, 230, 'no attendance twice');
  const allCsv = parseCsv((await admin(dir, ['attendances', '--format', 'csv'])).stdout);
  assert.equal(allCsv.length, 1 + 232);
  assert.equal((await adminJson(dir, ['attendances', '--limit', '205'])).length, 205);

  const bad = [
    [['attendances', '--format', 'xml'], 2, /json or csv/],
    [['attendances', '--from', '2026-02-30'], 2, /not an instant/],
    [['attendances', '--from', '2026-01-02', '--to', '2026-01-01'], 2, /before --from/],
    [['attendances', '--agent', 'nobody'], 1, /no agent has the login/],
    [['attendances', '--limit', '0'], 2, /positive/],
    [['attendances', '--line'], 2, /take a value/],
    [['attendances', '--line', 'abc'], 1, /--line \(digits\)/],
  ];
  for (const [args, code, message] of bad) {
    const r = await admin(dir, args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});

test('backup: a copy taken while another process writes opens cleanly', async (t) => {
  const dir = await makeTempDir('ativa-admin-');
  const out = await makeTempDir('ativa-backup-');
  t.after(async () => { await removeDir(dir); await removeDir(out); });
  await adminJson(dir, ['agent', 'add', 'maria', '--name', 'Maria', '--password-stdin'], `${PASSWORD}\n`);

  const writer = spawn(attendBin, [dir, 'churn', LINE, 'maria', '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let written = 0;
  let writerErr = '';
  writer.stderr.on('data', (d) => { writerErr += d; });
  const started = new Promise((resolve) => {
    writer.stdout.on('data', (d) => {
      const last = String(d).trim().split('\n').pop();
      written = Number(last.replace('wrote ', ''));
      if (written >= 20) resolve();
    });
  });
  let running = true;
  const exited = new Promise((resolve) => writer.on('close', () => { running = false; resolve(); }));
  await started;

  const copies = [];
  for (const compact of [false, true]) {
    const dest = path.join(out, compact ? 'compact' : 'plain');
    const args = ['backup', dest, ...(compact ? ['--compact'] : [])];
    const r = await adminJson(dir, args);
    assert.equal(r.compact, compact);
    assert.ok(r.bytes > 0);
    copies.push(dest);
  }
  assert.ok(running, 'the copies were taken while the writer ran');
  writer.kill('SIGTERM');
  await exited;
  assert.equal(writerErr, '', 'the writer never failed');
  const total = (await adminJson(dir, ['stats'])).entries.attendances;

  for (const dest of copies) {
    await access(path.join(dest, 'data.mdb'));
    const atts = await adminJson(dest, ['attendances', '--reason', 'churn']);
    assert.ok(atts.length >= 20, `the copy holds what was written before it (${atts.length})`);
    assert.ok(atts.length < total, `and not what came after it (${atts.length} of ${total})`);
    const ids = atts.map((a) => a.id).sort((a, b) => a - b);
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => i + 1), 'a prefix of the writes, no gap');
    const stats = await adminJson(dest, ['stats']);
    assert.equal(stats.entries.attendances, atts.length);
    assert.equal(stats.entries.att_by_time, atts.length, 'indexes agree with the records');
    assert.equal((await adminJson(dest, ['agent', 'list']))[0].login, 'maria');
  }
  // A copy never lands over another.
  const again = await admin(dir, ['backup', copies[0]]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already holds a data\.mdb/);
  assert.equal((await admin(dir, ['backup'])).code, 2);
});
