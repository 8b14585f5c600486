// Regenerates the README screenshots in docs/ from the real window (run through `make screenshots`).
// WebKitWebDriver's own screenshot hangs under Xvfb, so the X screen is captured instead.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Key, startBench } from '../tests/e2e/webdriver.mjs';
import {
  addTechnicians, answerFileDialog, linkShopServer, openJob, passFinalQa, recordSimulated, setPin, startAgent, startShopServer, takeIn,
} from '../tests/e2e/journeys.mjs';

const jobs = [
  { serial: '1654922012345', customer: 'Deep Compute Ltd', observed: 'Xid 63 then Xid 64 under training load', quote: '12000' },
  { serial: '1324021077777', customer: 'North Cloud', observed: 'Xid 79: fell off the bus', quote: '8800' },
  { serial: '1654922033333', customer: '深圳算力科技', observed: '显存 ECC 双比特错误，Xid 48', quote: '15000' },
];

/** Moves the pointer off the controls (no hover tooltips), then grabs the screen. */
async function capture(session, path) {
  await session.command('POST', '/actions', {
    actions: [{ type: 'pointer', id: 'mouse', actions: [{ type: 'pointerMove', x: 1270, y: 790, origin: 'viewport' }] }],
  });
  execFileSync('import', ['-window', 'root', path]);
}

const bench = await startBench();
const files = mkdtempSync(join(tmpdir(), 'revive-screenshots-'));
try {
  await bench.withApp(async (session) => {
    await addTechnicians(session, 'Li Wei', 'Zhang Min');
    await session.type('#s-shop_name', '深圳芯复活 GPU 维修中心');
    await session.type('#s-shop_address', '深圳市福田区华强北路 1019 号 3 楼');
    await session.click('#settings-save');
    await session.waitFor('#settings-saved');
    const tickets = [];
    for (const job of jobs) tickets.push(await takeIn(session, job));
    await openJob(session, '077777');
    await session.click('#move-diagnosing');
    await session.waitFor('.job-head .badge', 5_000, 'Diagnosing');
    await session.click('#nav-jobs');
    await session.waitFor('#job-table tbody tr[data-ticket]');
    await capture(session, 'docs/jobs.png');

    await session.click('#nav-intake');
    await session.type('#f-board_serial', '1654922055555' + Key.Enter);
    await session.click('#f-model option[value="h20-96gb"]');
    await session.type('#f-gpu_uuid', 'GPU-5b0c1e6a-2f3d-4a1b-9c8d-7e6f5a4b3c2d');
    await session.type('#f-customer_name', 'Deep Compute Ltd');
    await session.type('#f-symptom_observed', 'Training job aborts after ~40 min, nvidia-smi shows pending row remap');
    await session.type('#f-symptom_frequency', 'Every run; 1 of 8 GPUs in the node');
    await session.click('#condition-warranty_seal_broken');
    await session.type('#f-quote_amount', '12,500');
    await session.type('#f-bench_location', 'B-04');
    await session.script('window.scrollTo(0, 0);');
    await capture(session, 'docs/intake.png');

    await session.click('#nav-bench');
    await session.click('#bench-scenario option[value="h100-remap-pending"]');
    await session.click('#bench-start-simulated');
    await session.waitFor('#xids-0', 10_000, 'Xid 63');
    await session.waitFor('[data-gpu="0"] li.finding[data-code="xid_63"]', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await capture(session, 'docs/bench.png');

    await openJob(session, '077777');
    await session.click('#procedure-choice option[value="vrm-inspection"]');
    await session.click('#start-procedure');
    await session.waitFor('#run-step[data-step="visual"]');
    await session.keys('p');
    await session.waitFor('#run-step[data-step="photo-stages"]');
    await session.type('#run-photo-file', new URL('../icons/128x128.png', import.meta.url).pathname);
    await session.waitFor('#run-photo-count', 5_000, '1 attached');
    await session.click('#run-use-photos');
    await session.waitFor('#run-step[data-step="core-rail"]');
    await session.keys('0.4');
    for (let wait = 0; (await session.value('#run-value')) !== '0.4' && wait < 20; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await capture(session, 'docs/procedure.png');
    await session.keys(Key.Enter);
    await session.waitFor('#run-step[data-step="memory-rail"]');

    // Deep Compute's card: repaired, certified, and its PDF checked on the Verify screen.
    await recordSimulated(session, 'h100-remap-pending', tickets[0]);
    const pins = { 'Li Wei': '2468', 'Zhang Min': '１３５７' };
    await setPin(session, 'Li Wei', pins['Li Wei']);
    await setPin(session, 'Zhang Min', pins['Zhang Min']);
    await session.type('#backup-passphrase', '华强北 维修中心 2026');
    await session.script("document.querySelector('#pins').scrollIntoView();");
    await capture(session, 'docs/settings-pins.png');
    await passFinalQa(session, {
      serial: jobs[0].serial,
      ticket: tickets[0],
      technician: 'Li Wei',
      approver: 'Zhang Min',
      pins,
      files,
      beforeApproval: () => capture(session, 'docs/sign-off.png'),
    });
    await openJob(session, '2012345');
    await session.click('#issue-certificate');
    await session.waitFor('#certificate-page');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await session.script('window.scrollTo(0, 0);');
    await capture(session, 'docs/certificate-preview.png');
    const pdf = join(files, 'certificate.pdf');
    await session.click('#save-certificate');
    answerFileDialog('Save certificate PDF', pdf);
    await session.waitFor('#certificate-saved');
    await session.click('#nav-verify');
    await session.click('#verify-file');
    answerFileDialog('Choose a certificate PDF', pdf);
    await session.waitFor('#verify-result[data-valid="true"]', 10_000);
    await session.script('window.scrollTo(0, 0);');
    await capture(session, 'docs/verify.png');

    // The certified card is ready to go back: its hand-over slip on the job.
    await openJob(session, '2012345');
    await session.click('#show-hand-over-slip');
    await session.waitFor('#hand-over-slip-image');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await session.script("document.querySelector('#hand-over-slip-panel').scrollIntoView({ block: 'start' }); window.scrollBy(0, -70);");
    await capture(session, 'docs/job-hand-over-slip.png');

    await session.click('#language option[value="zh-CN"]');
    // A card taken in in Chinese: its label and 王芳's intake receipt, ready to print.
    await takeIn(session, { serial: '1654922066666', customer: '王芳（北京智算云科技有限公司）', observed: '训练中掉卡，Xid 79', quote: '１２，０００' });
    await session.waitFor('#intake-receipt-image');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await session.script('window.scrollTo(0, 0);');
    await capture(session, 'docs/intake-label-zh-CN.png');
    await openJob(session, '033333');
    await session.click('#move-diagnosing');
    await session.waitFor('.job-head .badge', 5_000, '诊断中');
    await capture(session, 'docs/job-zh.png');

    // The stress test in the Chinese UI: a burn-in going (a card whose cooling fails at minute 3),
    // then the evidence of a memory test that found a stuck HBM cell.
    await session.click('#nav-bench');
    await session.click('#bench-scenario option[value="h100-burn-in-thermal"]');
    await session.click('#bench-start-simulated');
    await session.waitFor('#bench-simulated', 10_000, 'h100-burn-in-thermal');
    await session.type('#stress-burn-in', Key.Control + 'a' + Key.Control + '120');
    await session.click('#stress-start');
    await session.waitFor('#stress-live-0 .burn-in', 60_000, 'FLOP/s');
    await session.script("document.querySelector('#stress-panel').scrollIntoView();");
    await capture(session, 'docs/stress-running.png');
    await session.waitFor('#stress-verdict-0', 120_000);
    await session.click('#bench-scenario option[value="h100-hbm-stuck-bit"]');
    await session.click('#bench-start-simulated');
    await session.waitFor('#bench-simulated', 10_000, 'h100-hbm-stuck-bit');
    await session.type('#stress-burn-in', Key.Control + 'a' + Key.Control + Key.Backspace);
    await session.click('#stress-start');
    await session.waitFor('#stress-verdict-0', 60_000, '未通过');
    await session.script("document.querySelector('#stress-result-0').scrollIntoView();");
    await capture(session, 'docs/stress-failed.png');
  });
} finally {
  await bench.stop();
  rmSync(files, { recursive: true, force: true });
}

// The history of a busy shop: a generated store of 50,000 jobs.
const busy = await startBench();
try {
  execFileSync(join(process.env.REVIVE_APP, '..', 'revive'), ['generate', '--jobs', '50000', '--data-dir', busy.dataDir]);
  await busy.withApp(async (session) => {
    await addTechnicians(session, 'Li Wei', '王芳', 'Chen Hao');
    await session.keys([Key.Alt, '6']);
    await session.type('#history-search', '深圳');
    await session.click('#history-outcome option[value="returned"]');
    // The filtered rows, not the unfiltered ones still on screen while the query runs (WebKitWebDriver
    // reads no text from the table's grid cells, so the page is asked).
    for (let wait = 0; ; wait++) {
      const first = await session.script(
        "const row = document.querySelector('#history-scroll .history-row[data-ticket]'); return row && row.textContent;",
      );
      if (first && first.includes('深圳') && first.includes('Returned')) break;
      if (wait > 100) throw new Error(`the filtered history never showed: ${first}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await capture(session, 'docs/history.png');
    await session.click('#history-clear');
    await session.click('#history-tab-statistics');
    await session.waitFor('#kpi-received', 30_000, '50,000');
    await session.script("document.querySelector('#statistics').scrollIntoView({ block: 'start' }); window.scrollBy(0, -70);");
    await capture(session, 'docs/statistics.png');
    await session.script("document.querySelector('#chart-findings').scrollIntoView({ block: 'start' }); window.scrollBy(0, -70);");
    await capture(session, 'docs/statistics-findings.png');
  });
} finally {
  await busy.stop();
}

// The test room in Chinese: one card passed, one failed (GPU 5's row-remap failure), one burning in;
// then the whole shop's history with a second bench's jobs, and the Benches screen.
const shopServer = await startShopServer();
const agent = startAgent(shopServer.connection);
try {
  const other = await startBench();
  try {
    await other.withApp(async (session) => {
      await addTechnicians(session, 'José');
      await session.click('#language option[value="zh-CN"]');
      await linkShopServer(session, shopServer.connection, 'bench-2', 'B');
      await takeIn(session, { serial: '1324021077777', customer: "José's GPU Cloud 广州", observed: '风扇常转 100%', quote: '８０００' });
      await takeIn(session, { serial: '1324021077778', customer: '广州智算中心', observed: '显存 ECC 错误', quote: '１５０００' });
      await session.waitFor('#sync-status', 20_000, '已同步');
    });
  } finally {
    await other.stop();
  }
  const room = await startBench();
  try {
    await room.withApp(async (session) => {
      await addTechnicians(session, '王芳');
      await session.click('#language option[value="zh-CN"]');
      await linkShopServer(session, shopServer.connection, 'bench-1', 'A');
      const cards = [
        { slot: 0, serial: '1654922012340', customer: '深圳算力科技有限公司', burnIn: '60' },
        { slot: 5, serial: '1654922012345', customer: '广州智算中心', burnIn: '60' },
        { slot: 2, serial: '1654922012342', customer: '杭州云计算', burnIn: '1440' },
      ];
      for (const card of cards) card.ticket = await takeIn(session, { ...card, observed: '训练中掉卡', quote: '１２０００' });
      await session.click('#nav-testRoom');
      await session.waitFor('#slot-rack-07-0', 30_000);
      for (const card of cards) {
        await session.click(`#room-job option[data-ticket="${card.ticket}"]`);
        await session.click(`#room-slot option[data-slot="${card.slot}"]`);
        await session.type('#room-burn-in', Key.Control + 'a' + Key.Control + card.burnIn);
        await session.click('#room-queue');
        await session.waitFor('#room-queued', 10_000);
      }
      await session.waitFor('#slot-rack-07-0[data-state="passed"]', 120_000);
      await session.waitFor('#slot-rack-07-5[data-state="failed"]', 120_000);
      await session.waitFor('#slot-rack-07-2[data-state="running"]', 30_000, '老化');
      await capture(session, 'docs/test-room.png');

      await session.waitFor('#sync-status', 20_000, '已同步');
      await session.click('#nav-history');
      await session.click('#history-scope-shop');
      await session.waitFor('#history-scroll .history-row[data-ticket]', 20_000);
      await session.waitFor('#history-count', 10_000, '共 5 个工单');
      await session.waitFor('#history-scroll .history-row:nth-child(5)[data-ticket]', 10_000);
      await capture(session, 'docs/history-shop.png');
      await session.click('#nav-shop');
      await session.waitFor('#shop-benches tr[data-bench="bench-2"]', 10_000);
      await capture(session, 'docs/benches.png');

      // A conflict: bench-1 loses the shop server and goes on with a job that José takes over on
      // bench-3 meanwhile; back in touch, the Shop screen asks the manager whose record to keep.
      const relink = async (connection) => {
        await session.click('#nav-settings');
        await session.type('#shop-connection', Key.Control + 'a' + Key.Control + connection);
        await session.click('#shop-save');
        await session.waitFor('#shop-notice, #shop-error', 10_000);
      };
      await relink('host=/nonexistent-revive dbname=revive user=revive');
      await session.waitFor('#sync-status', 20_000, '离线');
      await openJob(session, '2012342');
      await session.click('#move-diagnosing');
      await session.waitFor('.job-head .badge[data-status="diagnosing"]', 5_000);
      const revive = (...args) => execFileSync(join(dirname(process.env.REVIVE_APP), 'revive'), args);
      const benchThree = mkdtempSync(join(tmpdir(), 'revive-bench-3-'));
      revive('link', '--server', shopServer.connection, '--bench', 'bench-3', '--code', 'C', '--data-dir', benchThree);
      revive('take', cards[2].ticket, '--by', 'José', '--data-dir', benchThree);
      rmSync(benchThree, { recursive: true, force: true });
      await relink(shopServer.connection);
      await session.waitFor('#sync-conflicts', 30_000);
      await session.click('#nav-shop');
      await session.waitFor(`#shop-conflicts tr[data-ticket="${cards[2].ticket}"]`, 10_000);
      await capture(session, 'docs/conflict.png');
    });
  } finally {
    await room.stop();
  }
} finally {
  agent.kill('SIGKILL');
  await shopServer.stop();
}
