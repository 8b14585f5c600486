// Journey 14: a card taken in gets a ticket label for its bag, in the shop's language and on the
// roll chosen in Settings; it goes to the system print dialog and saves as a PDF whose QR a barcode
// reader decodes; the scanner typing that code into the Jobs search or the History search opens
// the job, and a label from another card is refused with the reason.
// Journey 15: the customer's intake receipt prints on A4 at intake and goes into the job; the
// hand-over slip is refused while the card is on the bench and prints once it goes back; the QR on
// each opens the job.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journey, Key } from './webdriver.mjs';
import { addTechnicians, answerFileDialog, pdfPages, printToFile, scanPdf, takeIn } from './journeys.mjs';

const SERIAL = '1654922012345';

// GTK's "Print to File" writes output.pdf into the app's working folder: make that this test's own.
const files = mkdtempSync(join(tmpdir(), 'revive-papers-'));
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
      const printed = await printToFile(app, '#print-label', files);
      const paper = pdfPages(printed);
      assert.equal(paper.width, 62, 'printed on the 62 mm roll');
      assert.equal(paper.count, 1, 'the label alone, on one page');
      assert.ok(paper.height > 40 && paper.height < 120, `cut after the label: ${paper.height} mm`);

      const pdf = join(files, `${ticket}-标签.pdf`);
      await app.click('#save-label');
      answerFileDialog('保存工单标签 PDF', pdf);
      await app.waitFor('#label-saved', 10_000, pdf);
      const code = scanPdf(pdf);
      assert.equal(code, `REVIVE:${ticket}:${SERIAL}`);
      assert.equal(scanPdf(printed), code);
      assert.equal(pdfPages(pdf).width, 62);

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
    rmSync(join(files, 'output.pdf'), { force: true });
  }
});

journey('the intake receipt and the hand-over slip print, go into the job and scan to it', async (bench) => {
  try {
    await bench.withApp(async (app) => {
      await addTechnicians(app, '王芳');
      await app.click('#language option[value="zh-CN"]');
      await app.waitFor('#nav-intake', 5_000, '收件');
      const ticket = await takeIn(app, { serial: SERIAL, customer: '王芳（北京智算云科技有限公司）', observed: '训练中掉卡，Xid 79', quote: '１２，０００' });
      const code = `REVIVE:${ticket}:${SERIAL}`;

      // The receipt is there beside the label, not yet in the job; printing puts it there.
      await app.waitFor('#intake-receipt-draft', 10_000, '打印或保存后即记入工单');
      assert.equal(await app.script('return document.getElementById("intake-receipt-image").alt;'), `${ticket} 的收件单`);
      const printed = await printToFile(app, '#print-intake-receipt', files);
      const receipt = pdfPages(printed);
      assert.deepEqual([receipt.width, receipt.height, receipt.count], [210, 297, 1], 'the receipt alone, on one A4 page');
      assert.equal(scanPdf(printed), code);
      await app.waitFor('#intake-receipt-issued', 10_000, '王芳');
      // The printer got the page drawn; the saved PDF is the same paper with its text.
      const receiptPdf = join(files, `${ticket}-收件单.pdf`);
      await app.click('#save-intake-receipt');
      answerFileDialog('保存收件单 PDF', receiptPdf);
      await app.waitFor('#intake-receipt-saved', 10_000, receiptPdf);
      const text = execFileSync('pdftotext', [receiptPdf, '-']).toString().replace(/\s+/g, '');
      for (const field of ['收件单', 'Intakereceipt', ticket, '王芳（北京智算云科技有限公司）', '训练中掉卡，Xid79', '12,000.00CNY', '客户签字']) {
        assert.ok(text.includes(field), `${field} is on the saved receipt`);
      }
      assert.equal(scanPdf(receiptPdf), code);

      // The job's timeline has it; the slip is refused while the card is on the bench.
      await app.click('#open-created');
      await app.waitFor('#job-ticket', 10_000, ticket);
      await app.waitFor('.timeline', 10_000, '已出具收件单');
      await app.click('#show-hand-over-slip');
      await app.waitFor('#hand-over-slip-error', 10_000, '交件单用于将显卡交还客户');

      // The card cannot be saved: it goes back scrapped, with the reason, and the slip says so.
      await app.click('#move-scrapped');
      await app.type('#move-reason', 'HBM 堆栈损坏，无法修复');
      await app.click('#confirm-move');
      await app.waitFor('.job-head [data-status="scrapped"]');
      await app.waitFor('#hand-over-slip-draft');
      const pdf = join(files, `${ticket}-交件单.pdf`);
      await app.click('#save-hand-over-slip');
      answerFileDialog('保存交件单 PDF', pdf);
      await app.waitFor('#hand-over-slip-saved', 10_000, pdf);
      await app.waitFor('#hand-over-slip-issued', 10_000, '王芳');
      await app.waitFor('.timeline', 10_000, '已出具交件单');
      assert.equal(pdfPages(pdf).width, 210);
      const slip = execFileSync('pdftotext', [pdf, '-']).toString().replace(/\s+/g, '');
      for (const field of ['交件单', ticket, '无法修复：按原样退还', 'HBM堆栈损坏，无法修复', '客户签收']) {
        assert.ok(slip.includes(field), `${field} is on the saved slip`);
      }

      // The slip's QR, typed by the scanner into the Jobs search, opens the job.
      assert.equal(scanPdf(pdf), code);
      await app.click('#nav-jobs');
      await app.type('#job-search', code + Key.Enter);
      await app.waitFor('#job-ticket', 10_000, ticket);
    });
  } finally {
    rmSync(files, { recursive: true, force: true });
  }
});
