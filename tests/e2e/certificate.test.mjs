// Journey 7: a repaired card leaves with a certificate. Final QA with an approver, the certificate
// issued and previewed, printed on A4 through the system print dialog, saved as a PDF through the
// native save dialog, checked in the Verify screen from the file and from its scanned QR code, and a
// tampered code refused.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { journey, Key } from './webdriver.mjs';
import {
  addTechnicians, answerFileDialog, openJob, passFinalQa, pdfPages, printToFile, recordSimulated, scanPdf, setPin, takeIn,
} from './journeys.mjs';

const SERIAL = '1654922012345';

// GTK's "Print to File" writes into the app's working folder: make that this test's own.
const files = mkdtempSync(join(tmpdir(), 'revive-certificate-'));
process.chdir(files);

journey('a repaired card gets a signed certificate that prints, saves as PDF and verifies', async (bench) => {
  try {
    await bench.withApp(async (app) => {
      await addTechnicians(app, '王芳', '李娜');
      await app.type('#s-shop_name', '深圳芯复活 GPU 维修中心');
      await app.click('#settings-save');
      await app.waitFor('#settings-saved');
      const fingerprint = await app.text('#shop-key-fingerprint');
      // The shop hands out its public key as a file.
      const keyFile = join(files, 'shop.pub');
      await app.click('#export-key');
      answerFileDialog("Save the shop's public key", keyFile);
      await app.waitFor('#key-saved', 10_000, keyFile);
      assert.match(readFileSync(keyFile, 'utf8'), new RegExp(`fingerprint ${fingerprint}`));

      const ticket = await takeIn(app, { serial: SERIAL, customer: '北京智算云', observed: 'Xid 63', quote: '12000' });
      await recordSimulated(app, 'h100-remap-pending', ticket);

      // Technicians named in Chinese: 王芳 attaches the photos and signs, 李娜 approves, each with
      // their own PIN, 李娜's typed in full-width digits.
      const pins = { 王芳: '2468', 李娜: '１３５７' };
      await setPin(app, '王芳', pins.王芳);
      await setPin(app, '李娜', pins.李娜);
      await passFinalQa(app, { serial: SERIAL, ticket, technician: '王芳', approver: '李娜', pins, files });

      // Passing final QA made the card ready: nobody pressed a status button.
      await openJob(app, '2012345');
      await app.waitFor('.job-head [data-status="ready"]');

      // Issue: the preview shows the page the PDF holds.
      await app.click('#issue-certificate');
      const number = (await app.text('#certificate-number')).trim();
      assert.match(number, /^RC-\d{4}-000001$/);
      await app.waitFor('#certificate-page');
      const rendered = "const img = document.querySelector('#certificate-page'); return img.complete && img.naturalWidth > 0;";
      for (let wait = 0; !(await app.script(rendered)); wait++) {
        assert.ok(wait < 100, 'the preview image renders');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      // Print: the page alone, on one sheet of A4 whatever the printer's own paper is.
      const printed = await printToFile(app, '#print-certificate', files);
      assert.deepEqual(pdfPages(printed), { width: 210, height: 297, count: 1 });
      const printedCode = scanPdf(printed);

      // Save PDF through the native dialog.
      const pdf = join(files, `${number}.pdf`);
      await app.click('#save-certificate');
      answerFileDialog('Save certificate PDF', pdf);
      await app.waitFor('#certificate-saved', 10_000, pdf);
      assert.equal(readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
      const text = execFileSync('pdftotext', [pdf, '-']).toString();
      assert.match(text, new RegExp(number));
      assert.match(text, /SIMULATED/);
      assert.match(text, /王芳/);
      assert.match(text, /李娜/);

      // Verify screen: the file, against this shop's key.
      await app.click('#nav-verify');
      await app.click('#verify-file');
      answerFileDialog('Choose a certificate PDF', pdf);
      await app.waitFor('#verify-result[data-valid="true"]', 10_000);
      // From the simulated bench: valid, and said to be no repair certificate.
      assert.match(await app.text('#verify-verdict'), new RegExp(`Valid, but SIMULATED: certificate ${number}`));
      assert.equal(await app.text('#verify-serial'), SERIAL);
      assert.equal(await app.text('#verify-fact-serial'), SERIAL);
      assert.match(await app.text('#verify-result'), new RegExp(fingerprint));

      // The same file with one byte of the page changed, as an editor would save it: refused, and why.
      const bytes = readFileSync(pdf);
      bytes[Math.floor(bytes.length / 3)] ^= 0x20;
      const edited = join(files, 'edited.pdf');
      writeFileSync(edited, bytes);
      await app.click('#verify-file');
      answerFileDialog('Choose a certificate PDF', edited);
      await app.waitFor('#verify-result[data-valid="false"]', 10_000);
      assert.match(await app.text('#verify-verdict'), /changed after the shop sealed it/);

      // The QR code as a scanner reads it off the printed page.
      const scanned = scanPdf(pdf);
      assert.match(scanned, new RegExp(`^RVC2:S:${number}:${SERIAL}:`));
      assert.equal(printedCode, scanned, 'the printed page carries the same code');
      await app.type('#verify-payload', scanned + Key.Enter);
      await app.waitFor('#verify-result[data-valid="true"]', 5_000, 'To read all of it, check the PDF');
      assert.equal(await app.text('#verify-fact-serial'), SERIAL);

      // One character changed in the number: refused, and why.
      await app.type('#verify-payload', Key.Control + 'a' + Key.Control + scanned.replace('000001', '000002') + Key.Enter);
      await app.waitFor('#verify-result[data-valid="false"]', 5_000);
      assert.match(await app.text('#verify-verdict'), /does not match this shop's key/);

      // The command-line check a customer would run, with the exported key file, agrees.
      const cli = spawnSync(join(process.env.REVIVE_APP, '..', 'revive'), ['verify', pdf, '--public-key', keyFile]);
      assert.equal(cli.status, 6, 'a simulated certificate has its own exit status');
      assert.match(cli.stdout.toString(), new RegExp(`^valid, but SIMULATED \\(not a repair certificate\\): certificate ${number}`));

      // The card comes back faulty: the certificate is revoked on its job, and the same file,
      // checked again, says so.
      await openJob(app, '2012345');
      await app.click(`#revoke-${number}`);
      await app.click('#revoke-reason option[value="returned_faulty"]');
      await app.type('#revoke-note', '客户退回：满载掉卡');
      await app.click('#revoke-confirm');
      await app.waitFor(`#revoked-${number}`, 5_000, 'the card came back faulty');
      await app.click('#nav-verify');
      await app.click('#verify-file');
      answerFileDialog('Choose a certificate PDF', pdf);
      await app.waitFor('#verify-revoked', 10_000, '客户退回：满载掉卡');
      assert.match(await app.text('#verify-verdict'), /the shop revoked this certificate/);
      assert.equal(await app.script("return document.querySelector('#verify-result').dataset.valid;"), 'false');
    });
  } finally {
    rmSync(files, { recursive: true, force: true });
  }
});
