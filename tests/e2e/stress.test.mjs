// Journey 10: in the Chinese UI, 王芳 runs the stress test on the Bench: a card with a stuck HBM cell
// fails the memory test with the offset and the flipped bit shown, a healthy card passes a
// two-hour burn-in on the simulated bench, each run is recorded to its job, and a gpu-burn log is
// imported to a job, where a FAULTY GPU is a failed run.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journey, Key } from './webdriver.mjs';
import { addTechnicians, openJob, takeIn } from './journeys.mjs';

journey('a stress test fails a bad card, passes a good one and lands on their jobs', async (bench) => {
  await bench.withApp(async (app) => {
    await addTechnicians(app, '王芳');
    await app.click('#language option[value="zh-CN"]');
    await app.waitFor('#nav-intake', 5_000, '收件');
    const good = await takeIn(app, { serial: '1654922012345', customer: '深圳算力科技', observed: '训练中掉卡', quote: '８０００' });
    const bad = await takeIn(app, { serial: '1654922012404', customer: '广州智算', observed: '显存报错', quote: '１２０００' });

    // The card with a stuck cell: the memory test alone, which finds it and says where.
    await app.click('#nav-bench');
    await app.click('#bench-scenario option[value="h100-hbm-stuck-bit"]');
    await app.click('#bench-start-simulated');
    await app.waitFor('#bench-simulated', 10_000, 'h100-hbm-stuck-bit');
    await app.type('#stress-burn-in', Key.Control + 'a' + Key.Control + Key.Backspace);
    await app.click('#stress-start');
    await app.waitFor('#stress-verdict-0', 60_000, '未通过');
    assert.match(await app.text('#stress-mismatches-0'), /0x4b5a1c/);
    assert.match(await app.text('#stress-memory-0'), /显存测试：覆盖 100\.0%/);
    assert.match(await app.text('#stress-result-0'), /显存测试发现数据错误/);
    await app.click(`#stress-record-job-0 option[data-ticket="${bad}"]`);
    await app.click('#stress-record-0');
    await app.waitFor('#stress-recorded-0', 5_000, bad);

    // The healthy card: both tests, a burn-in of two hours (seconds on the simulated bench), live.
    await app.click('#bench-scenario option[value="h100-healthy"]');
    await app.click('#bench-start-simulated');
    await app.waitFor('#bench-simulated', 10_000, 'h100-healthy');
    await app.type('#stress-burn-in', Key.Control + 'a' + Key.Control + '１２０');
    await app.click('#stress-start');
    await app.waitFor('#stress-live-0 .burn-in', 60_000, 'FLOP/s');
    await app.waitFor('#stress-verdict-0', 120_000, /(?<!未)通过/);
    assert.match(await app.text('#stress-burn-in-0'), /老化测试：120 分钟/);
    await app.click(`#stress-record-job-0 option[data-ticket="${bad}"]`);
    await app.click('#stress-record-0');
    // Not the bad card's job: this card has another serial.
    await app.waitFor('#stress-recorded-0', 5_000, '1654922012404');
    await app.click(`#stress-record-job-0 option[data-ticket="${good}"]`);
    await app.click('#stress-record-0');
    await app.waitFor('#stress-recorded-0', 5_000, good);

    await openJob(app, '2012345');
    await app.waitFor('#job-stress section.run[data-verdict="passed"]', 5_000, '老化 120 分钟');
    assert.match(await app.text('#timeline'), /已记录压力测试：GPU 0，通过/);

    // gpu-burn's log of another run, GPU １ typed full width: FAULTY is a failed run, whatever it exits with.
    const dir = mkdtempSync(join(tmpdir(), 'revive-gpu-burn-'));
    const log = join(dir, 'gpu_burn.log');
    writeFileSync(log, readFileSync(new URL('../../crates/core/tests/fixtures/stress/gpu_burn_faulty.txt', import.meta.url)));
    await app.click('#stress-import-panel summary');
    await app.type('#stress-import-file', log);
    await app.type('#stress-import-gpu', Key.Control + 'a' + Key.Control + '１');
    await app.click('#stress-import');
    await app.waitFor('#stress-imported', 5_000, 'gpu_burn.log');
    await app.waitFor('#job-stress section.run[data-verdict="failed"]', 5_000, 'gpu-burn');
  });
});
