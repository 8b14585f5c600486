// Journey 12: a job moves between benches, and a conflict is settled. In the Chinese UI, 王芳's
// bench (bench-1) takes a card in; José takes the job over on bench-2 (a bench without a window,
// linked and working through the CLI); bench-1 shows its copy as held by bench-2 and lets nothing
// change it; 王芳 takes it back from the whole shop's history, the hand-over written in its log.
// Then bench-1 loses the shop server and goes on with the job while José takes it over again: back
// in touch, the shop server refuses to write bench-1's change over José's, the top bar says
// "conflict", and the manager keeps bench-1's record on the Shop screen, after which the job
// changes here again.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { journey, Key } from './webdriver.mjs';
import { addTechnicians, linkShopServer, openJob, startShopServer, takeIn, until } from './journeys.mjs';

const revive = (...args) => execFileSync(join(dirname(process.env.REVIVE_APP), 'revive'), args, { encoding: 'utf8' });

journey('a job taken over by another bench and back, and a conflict the manager settles', async (bench) => {
  const shopServer = await startShopServer();
  const benchTwo = mkdtempSync(join(tmpdir(), 'revive-bench-2-'));
  let ticket = '';
  try {
    await bench.withApp(async (app) => {
      await addTechnicians(app, '王芳');
      await app.click('#language option[value="zh-CN"]');
      await app.waitFor('#nav-intake', 5_000, '收件');
      await linkShopServer(app, shopServer.connection, 'bench-1', 'A');
      await app.waitFor('#shop-code-state', 10_000, '店铺服务器已确认此代码属于本工作台');
      ticket = await takeIn(app, { serial: '1654922012350', customer: '深圳算力科技有限公司', observed: '满载掉卡', quote: '９８００' });
      await app.waitFor('#sync-status', 20_000, '店铺服务器：已同步');

      // José takes it over on bench-2, typing the ticket on a Chinese keyboard.
      assert.match(revive('link', '--server', shopServer.connection, '--bench', 'bench-2', '--code', 'ｂ', '--data-dir', benchTwo),
        /bench-2: linked to the shop server, numbering with code B/);
      const typed = ticket.replace('RV', 'ｒｖ').replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
      assert.match(revive('take', typed, '--by', 'José', '--data-dir', benchTwo), new RegExp(`${ticket} is here now .* taken over from bench-1 by José`));

      // Bench-1 reads the hand-over on its next sync: its copy says who holds the job, and stays as it is.
      await until(async () => {
        await openJob(app, '2012350');
        return (await app.script('return document.querySelector("#job-away")?.dataset.reason ?? ""')) === 'taken';
      }, 'bench-1 shows the job as taken over', 30_000);
      assert.match(await app.text('#job-away'), /工作台 bench-2 已接手此工单/);
      assert.match(await app.text('.actions-panel'), /本工作台不能再修改此工单/);

      // 王芳 takes it back from the whole shop's history.
      await app.click('#nav-history');
      await app.click('#history-scope-shop');
      await app.type('#history-search', '２０１２３５０');
      const row = `#history-scroll .history-row[data-ticket="${ticket}"]`;
      await app.waitFor(`${row} .col-bench`, 20_000);
      await until(async () => (await app.script('return document.querySelector(arguments[0])?.textContent ?? ""', `${row} .col-bench`)) === 'bench-2',
        'the whole shop says bench-2 holds it');
      await app.click(`${row} .col-ticket button`);
      await app.waitFor('#history-take', 5_000, `从工作台 bench-2 接手 ${ticket}？`);
      await app.click('#history-take-confirm');
      await app.waitFor('#job-ticket', 20_000, ticket);
      assert.match(await app.text('#timeline'), /从工作台 bench-2 接手（含此前 \d+ 条记录）/);
      assert.equal(await app.script('return document.querySelector("#job-away") === null'), true);

      // Bench-1 loses the shop server (its link names a host that is not there) and goes on with
      // the job, while José takes it over again on bench-2.
      const relink = async (connection) => {
        await app.click('#nav-settings');
        await app.type('#shop-connection', Key.Control + 'a' + Key.Control + connection);
        await app.click('#shop-save');
      };
      await relink('host=/nonexistent-revive dbname=revive user=revive');
      await app.waitFor('#shop-error', 10_000);
      await app.waitFor('#sync-status', 20_000, '离线');
      await openJob(app, '2012350');
      await app.click('#move-diagnosing');
      await app.waitFor('.job-head .badge[data-status="diagnosing"]', 5_000, '诊断中');
      assert.match(revive('take', ticket, '--by', 'José', '--data-dir', benchTwo), /taken over from bench-1 by José/);

      // Back in touch: the change is refused, kept for the manager, and the job stops changing here.
      await relink(shopServer.connection);
      await app.waitFor('#shop-notice', 10_000, '店铺服务器已响应');
      await app.waitFor('#sync-conflicts', 30_000, '1 个冲突');
      await openJob(app, '2012350');
      await app.waitFor('#job-away[data-reason="conflict"]', 5_000, '店铺服务器拒收了本工作台对此工单的最新修改');

      // The manager keeps bench-1's record; the job changes here again.
      await app.click('#nav-shop');
      const conflict = `#shop-conflicts tr[data-ticket="${ticket}"]`;
      await app.waitFor(conflict, 10_000, '在另一个工作台接手后仍被修改');
      assert.match(await app.text(conflict), /bench-1[\s\S]*bench-2/);
      await app.click(`${conflict} .keep-bench`);
      await app.waitFor('#shop-no-conflicts', 10_000, '没有冲突');
      await until(async () => app.script('return document.querySelector("#sync-conflicts") === null'), 'the conflict leaves the top bar', 30_000);
      await openJob(app, '2012350');
      await app.waitFor('.job-head .badge[data-status="diagnosing"]', 5_000, '诊断中');
      assert.equal(await app.script('return document.querySelector("#job-away") === null'), true);
      await app.waitFor('.status-actions button', 5_000);
    });
  } finally {
    await shopServer.stop();
    rmSync(benchTwo, { recursive: true, force: true });
  }
});
