// Journey 11: a shop with a test room. A throwaway PostgreSQL stands in for the shop server and a
// `revive agent` on the simulated HGX board for a rack server. In the Chinese UI, 王芳 links the
// bench to the shop server, takes a card in, queues its two-hour burn-in and memory test on the
// slot that holds it (the burn-in typed with full-width digits), watches the slot go to passed,
// finds the run on the job with the rack and slot it ran in, sees a task for a slot holding
// another card refused with both serials, and cancels a day-long burn-in queued by mistake.
import assert from 'node:assert/strict';
import { journey, Key } from './webdriver.mjs';
import { addTechnicians, linkShopServer, openJob, startAgent, startShopServer, takeIn, until } from './journeys.mjs';

journey('a burn-in queued from the bench runs on a rack server and lands on the job', async (bench) => {
  const shopServer = await startShopServer();
  const agent = startAgent(shopServer.connection);
  try {
    await bench.withApp(async (app) => {
      await addTechnicians(app, '王芳');
      await app.click('#language option[value="zh-CN"]');
      await app.waitFor('#nav-intake', 5_000, '收件');

      // Settings → Shop server: a bench name typed on a Chinese keyboard's full-width forms.
      await linkShopServer(app, shopServer.connection, 'ｂｅｎｃｈ－１', 'ａ１');
      await app.waitFor('#shop-notice', 10_000, '店铺服务器已响应');
      assert.equal(await app.value('#shop-bench'), 'bench-1');
      assert.equal(await app.value('#shop-code'), 'A1');
      await app.waitFor('#shop-code-state', 5_000, '店铺服务器已确认此代码属于本工作台');

      const ticket = await takeIn(app, { serial: '1654922012340', customer: '深圳算力科技有限公司', observed: '训练中掉卡', quote: '１２０００' });
      assert.match(ticket, /^RV-\d{4}-A1-000001$/, 'the bench code the server confirmed is in the number');
      // The new job reaches the shop server on its own; the top bar says so.
      await app.waitFor('#sync-status', 20_000, '店铺服务器：已同步');

      await app.click('#nav-testRoom');
      await app.waitFor('#slot-rack-07-0', 30_000, '空闲');
      assert.match(await app.text('#racks'), /1654922012340/);
      await app.click(`#room-job option[data-ticket="${ticket}"]`);
      await app.click('#room-server option[value="rack-07"]');
      await app.click('#room-slot option[data-slot="0"]');
      await app.type('#room-burn-in', Key.Control + 'a' + Key.Control + '１２０');
      await app.click('#room-queue');
      await app.waitFor('#room-queued', 10_000, '已作为任务');
      await app.waitFor('#slot-rack-07-0[data-state="running"]', 30_000);
      await app.waitFor('#slot-rack-07-0[data-state="passed"]', 180_000, '通过');
      await app.waitFor('main', 10_000, `${ticket}：测试间的测试结果已记录到工单`);

      // The same job queued on a slot holding another card: the agent refuses it, saying both serials.
      await app.click('#room-slot option[data-slot="1"]');
      await app.click('#room-queue');
      await app.waitFor('#room-tasks tr[data-state="refused"]', 30_000, '1654922012341');
      assert.match(await app.text('#room-tasks tr[data-state="refused"]'), /已拒绝：槽位中的显卡序列号为 1654922012341，不是工单的 1654922012340/);

      // A day-long burn-in queued by mistake is cancelled while it runs.
      await app.click('#room-slot option[data-slot="0"]');
      await app.type('#room-burn-in', Key.Control + 'a' + Key.Control + '１４４０');
      await app.click('#room-queue');
      await app.waitFor('#slot-rack-07-0[data-state="running"]', 30_000);
      const cancelled = (await app.text('#room-queued')).match(/\d+/)[0];
      await app.click(`#room-cancel-${cancelled}`);
      await app.waitFor(`#room-tasks tr[data-task="${cancelled}"][data-state="cancelled"]`, 10_000, '已取消');
      await app.waitFor('#slot-rack-07-0[data-state="idle"]', 10_000);

      await openJob(app, '2012340');
      await app.waitFor('#job-stress section.run[data-verdict="passed"]', 10_000, '测试间：rack-07 #0');
      assert.match(await app.text('#job-stress'), /老化 120 分钟/);
      assert.match(await app.text('#timeline'), /已记录压力测试：GPU 0，通过/);

      // The whole shop's history, read on the shop server, holds the job with the bench that has it.
      await app.click('#nav-history');
      await app.click('#history-scope-shop');
      await app.waitFor('#history-shop-note', 10_000, '店铺服务器上所有工作台的工单');
      await app.type('#history-search', '２０１２３４０');
      // WebKit's WebDriver leaves out the text of some table cells and muted lines: read it from the page.
      const textOf = (css) => app.script('return document.querySelector(arguments[0])?.textContent ?? ""', css);
      const bench = `#history-scroll .history-row[data-ticket="${ticket}"] .col-bench`;
      await app.waitFor(bench, 20_000);
      assert.equal(await textOf(bench), 'bench-1');
      assert.equal(await app.script('return document.querySelectorAll("#history-scroll .history-row").length'), 1);
      let count = '';
      await until(async () => (count = await textOf('#history-count')) === '共 1 个工单', () => `the whole shop counts one job (it says "${count}")`);
      // Its statistics too, counted on the shop server.
      await app.click('#history-tab-statistics');
      await app.waitFor('#kpi-received', 20_000, '1');
      assert.match(await textOf('#chart-outcomes'), /H100 SXM5 80GB/);

      // The manager's view: this bench, in touch, its code, nothing waiting, one open job.
      await app.click('#nav-shop');
      await app.waitFor('#shop-benches tr[data-bench="bench-1"][data-in-touch="true"]', 10_000, '在线');
      assert.match(await app.text('#shop-benches tr[data-bench="bench-1"]'), /bench-1（本工作台）\s*A1\s*在线/);
      await app.waitFor('#shop-summary', 5_000, '共 1 个工作台，1 个正与店铺服务器保持联系');
    });
  } finally {
    agent.kill('SIGKILL');
    await shopServer.stop();
  }
});
