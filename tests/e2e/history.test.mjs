// Journey 8: a manager works the job history of a busy shop. Filters narrow 60,000 jobs to the
// ones asked for, a CSV export through the native save dialog holds exactly those rows (the same
// bytes the CLI writes), an export cancelled midway leaves no file, and a backup taken in Settings
// brings the store back after a job was added.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journey, Key } from './webdriver.mjs';
import { addTechnicians, answerFileDialog, takeIn } from './journeys.mjs';

const CLI = join(process.env.REVIVE_APP ?? '', '..', 'revive');
const JOBS = 60_000;

journey('history: filter, export CSV, cancel an export, back up and restore', async (bench) => {
  execFileSync(CLI, ['generate', '--jobs', String(JOBS), '--seed', '8', '--data-dir', bench.dataDir]);
  const files = mkdtempSync(join(tmpdir(), 'revive-history-'));
  try {
    await bench.withApp(async (app) => {
      await addTechnicians(app, 'Li Wei');
      await app.keys([Key.Alt, '6']);
      // The first page says "more than"; every match is then counted apart.
      await app.waitFor('#history-count', 20_000, '60,000 jobs');
      await app.waitFor('#history-scroll .history-row[data-ticket]');

      // Filter: RMA cases of one model, taken in during 2023.
      await app.click('#history-status option[value="rma"]');
      await app.click('#history-model option[value="h100-sxm5-80gb"]');
      await app.script(
        `for (const [id, value] of [['history-from', '2023-01-01'], ['history-to', '2023-12-31']]) {
           const input = document.getElementById(id);
           input.value = value;
           input.dispatchEvent(new Event('input', { bubbles: true }));
         }`,
      );
      await app.waitFor('#history-count', 10_000, /^\d+ jobs$/);
      const count = Number((await app.text('#history-count')).match(/^(\d+)/)[1]);
      assert.ok(count > 20 && count < 1_000, `a narrow selection, got ${count}`);
      const rowStatuses = await app.script(
        `return [...document.querySelectorAll('#history-scroll .history-row[data-ticket] .badge')].map((b) => b.textContent.trim())`,
      );
      assert.ok(rowStatuses.length > 0 && rowStatuses.every((status) => status === 'RMA'), rowStatuses.join());

      // Export those rows (newest first, as shown) as CSV through the native dialog: the same bytes
      // as the CLI's export of the same filters.
      const csv = join(files, 'rma-h100-2023.csv');
      await app.click('#export-start');
      answerFileDialog('Export job history', csv);
      await app.waitFor('#export-notice', 20_000, `${count} jobs exported to ${csv}`);
      const cliCsv = join(files, 'cli.csv');
      execFileSync(CLI, [
        'export', '--format', 'csv', '--bom', '--out', cliCsv, '--data-dir', bench.dataDir,
        '--status', 'rma', '--model', 'h100-sxm5-80gb', '--from', '2023-01-01', '--to', '2023-12-31',
        '--sort', 'received', '--descending',
      ]);
      const written = readFileSync(csv);
      assert.ok(written.equals(readFileSync(cliCsv)), 'the screen and the CLI export the same bytes');
      assert.equal(written.toString('utf8').trimEnd().split('\r\n').length, count + 1);

      // A search nothing matches says so.
      await app.type('#history-search', 'no such card');
      await app.waitFor('#history-empty', 10_000, 'No job matches these filters.');
      await app.waitFor('#history-count', 10_000, '0 jobs');

      // A full JSON export, cancelled once it is under way: no file, no partial file.
      await app.click('#history-clear');
      await app.waitFor('#history-count', 20_000, '60,000 jobs');
      await app.click('#export-format option[value="json"]');
      const json = join(files, 'everything.json');
      await app.click('#export-start');
      answerFileDialog('Export job history', json);
      await app.waitFor('#export-count', 20_000, /[1-9][\d,]* jobs written/);
      await app.click('#export-cancel');
      await app.waitFor('#export-notice', 20_000, 'Export cancelled after');
      assert.equal(existsSync(json), false);
      assert.deepEqual(readdirSync(files).sort(), ['cli.csv', 'rma-h100-2023.csv']);

      // Back up with the shop's key sealed by a passphrase, take a card in, restore: the card is
      // gone, the 60,000 jobs are there, and the key came back with them.
      await app.keys([Key.Alt, '4']);
      const backup = join(files, 'shop.revive-backup');
      await app.type('#backup-passphrase', '华强北 维修中心 2026');
      await app.click('#back-up');
      answerFileDialog('Save a backup of the Revive store', backup);
      await app.waitFor('#backup-notice', 30_000, `Backup written to ${backup}`);
      await app.waitFor('#backup-notice', 5_000, "The shop's key is in it");
      await takeIn(app, { serial: '1654922099999', customer: 'After the backup', observed: 'No display', quote: '100' });
      await app.keys([Key.Alt, '2']);
      await app.type('#job-search', '2099999');
      await app.waitFor('#job-table tr[data-ticket]');

      await app.keys([Key.Alt, '4']);
      // The passphrase is never kept: typed again for the restore.
      await app.type('#backup-passphrase', '华强北 维修中心 2026');
      await app.click('#restore');
      await app.waitFor('#restore-confirmation', 5_000, 'replaces every job');
      await app.click('#restore-confirm');
      answerFileDialog('Choose a Revive backup to restore', backup);
      await app.waitFor('#backup-notice', 60_000, `Restored from ${backup}`);
      await app.waitFor('#backup-notice', 5_000, "The shop's key was restored too");
      await app.keys([Key.Alt, '2']);
      await app.type('#job-search', '2099999');
      await app.waitFor('#job-table td.empty');
      await app.keys([Key.Alt, '6']);
      await app.click('#history-tab-statistics');
      await app.waitFor('#kpi-received', 60_000, JOBS.toLocaleString('en'));
    });
    const left = readdirSync(bench.dataDir);
    // The store the restore replaced stays beside it, named for the moment: the restore can be undone.
    assert.ok(left.some((name) => /^revive\.sqlite3\.before-restore-\d{8}T\d+Z$/.test(name)), `the undo copy stays: ${left}`);
  } finally {
    rmSync(files, { recursive: true, force: true });
  }
});
