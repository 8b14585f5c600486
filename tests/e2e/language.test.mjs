// Journey 3: switching to Chinese persists across a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBench } from './webdriver.mjs';
import { addTechnicians, takeIn } from './journeys.mjs';

let bench;
before(async () => (bench = await startBench()));
after(async () => bench?.stop());

test('the Chinese UI comes back after a restart', async () => {
  let session = await bench.open();
  try {
    await addTechnicians(session, '王芳');
    await takeIn(session, { serial: '1654922033333', customer: '深圳算力科技', observed: '显存 ECC 错误', quote: '15000' });
    await session.click('#language option[value="zh-CN"]');
    await session.waitFor('#nav-intake', 5_000, '收件');
  } finally {
    await session.quit();
  }

  session = await bench.open();
  try {
    assert.equal(await session.text('#nav-jobs'), '工单');
    await session.click('#nav-jobs');
    await session.waitFor('#job-table thead', 5_000, '序列号');
    const row = await session.text('#job-table tbody tr[data-ticket]');
    assert.match(row, /已收件/);
    assert.match(row, /深圳算力科技/);
    assert.equal(await session.script('return document.documentElement.lang;'), 'zh-CN');
  } finally {
    await session.quit();
  }
});
