// Journey 3: switching to Chinese persists across a restart.
import assert from 'node:assert/strict';
import { journey } from './webdriver.mjs';
import { addTechnicians, takeIn } from './journeys.mjs';

journey('the Chinese UI comes back after a restart', async (bench) => {
  await bench.withApp(async (app) => {
    await addTechnicians(app, '王芳');
    await takeIn(app, { serial: '1654922033333', customer: '深圳算力科技', observed: '显存 ECC 错误', quote: '15000' });
    await app.click('#language option[value="zh-CN"]');
    await app.waitFor('#nav-intake', 5_000, '收件');
  });

  await bench.withApp(async (app) => {
    assert.equal(await app.text('#nav-jobs'), '工单');
    await app.click('#nav-jobs');
    await app.waitFor('#job-table thead', 5_000, '序列号');
    const row = await app.text('#job-table tbody tr[data-ticket]');
    assert.match(row, /已收件/);
    assert.match(row, /深圳算力科技/);
    assert.equal(await app.script('return document.documentElement.lang;'), 'zh-CN');
  });
});
