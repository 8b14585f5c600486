// Journey 14: a card taken in gets a ticket label for its bag, in the shop's language and on the
// roll chosen in Settings; it goes to the system print dialog and saves as a PDF whose QR a barcode
// reader decodes; the scanner typing that code into the Jobs search or the History search opens
// the job, and a label from another card is refused with the reason.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journey, Key } from './webdriver.mjs';
import { addTechnicians, answerFileDialog, takeIn, until } from './journeys.mjs';

const SERIAL = '1654922012345';

/** The size of `pdf`'s page in whole millimetres, and how many pages it has. */
function pages(pdf) {
  const info = execFileSync('pdfinfo', [pdf]).toString();
  const [width, height] = info.match(/Page size:\s+([\d.]+) x ([\d.]+) pts/).slice(1).map((pt) => Math.round((pt * 25.4) / 72));
  return { width, height, count: Number(info.match(/Pages:\s+(\d+)/)[1]) };
}

/** What a barcode reader decodes off the first page of `pdf`. */
function scan(pdf) {
  const image = pdf.replace(/\.pdf$/, '');
  execFileSync('pdftoppm', ['-r', '300', '-png', '-singlefile', pdf, image]);
  return execFileSync('zbarimg', ['--quiet', '--raw', `${image}.png`]).toString().trim();
}

// GTK's "Print to File" writes output.pdf into the app's working folder: make that this test's own.
const files = mkdtempSync(join(tmpdir(), 'revive-label-'));
process.chdir(files);

journey('a ticket label prints, saves, scans and opens its job', async (bench) => {
  try {
    await bench.withApp(async (app) => {
      await addTechnicians(app, '王芳');
      await app.click('#s-label_size option[value="dk62_continuous"]');
      await app.click('#settings-save');
      await app.waitFor('#settings-saved');
      await app.click('#language option[value="zh-CN"]');
      await app.waitFor('#nav-intake', 5_000, '收件');

      const ticket = await takeIn(app, { serial: SERIAL, customer: '深圳市南山区算力科技有限公司', observed: 'Xid 79，掉卡', quote: '１２０００' });
      // The label is there as soon as the job is: the size chosen in Settings, in Chinese.
      await app.waitFor('#label-size', 10_000, 'Brother DK 62 毫米连续纸');
      assert.equal(await app.script('return document.getElementById("label-image").alt;'), `${ticket} 的工单标签`);

      // Print opens the system's print dialog on paper of the label's size; this PC's only printer
      // is GTK's "Print to File", and what it prints is the label alone, on one page, and scans.
      await app.click('#print-label');
      const dialog = execFileSync('xdotool', ['search', '--sync', '--onlyvisible', '--name', '^(Print|打印)$'], { timeout: 20_000 })
        .toString().trim().split('\n')[0];
      execFileSync('xdotool', ['windowfocus', '--sync', dialog]);
      execFileSync('xdotool', ['sleep', '0.5', 'key', 'Down', 'sleep', '0.5', 'key', 'Return']);
      const printed = join(files, 'output.pdf');
      await until(() => existsSync(printed) && pages(printed).count > 0, 'the printed label is written', 20_000);
      const paper = pages(printed);
      assert.equal(paper.width, 62, 'printed on the 62 mm roll');
      assert.equal(paper.count, 1, 'the label alone, on one page');
      assert.ok(paper.height > 40 && paper.height < 120, `cut after the label: ${paper.height} mm`);

      const pdf = join(files, `${ticket}-标签.pdf`);
      await app.click('#save-label');
      answerFileDialog('保存工单标签 PDF', pdf);
      await app.waitFor('#label-saved', 10_000, pdf);
      const code = scan(pdf);
      assert.equal(code, `REVIVE:${ticket}:${SERIAL}`);
      assert.equal(scan(printed), code);
      assert.equal(pages(pdf).width, 62);

      // A USB scanner types the code and Enter: into the Jobs search, then into the History search.
      await app.click('#nav-jobs');
      await app.type('#job-search', code + Key.Enter);
      await app.waitFor('#job-ticket', 10_000, ticket);
      await app.click('#nav-history');
      await app.type('#history-search', code + Key.Enter);
      await app.waitFor('#job-ticket', 10_000, ticket);

      // The same ticket with another card's serial: the label is on the wrong bag.
      await app.click('#nav-jobs');
      await app.type('#job-search', `REVIVE:${ticket}:1654922099999` + Key.Enter);
      await app.waitFor('#scan-error', 10_000, '该标签属于另一张显卡');
      await app.waitFor('#job-table');
    });
  } finally {
    rmSync(files, { recursive: true, force: true });
  }
});
