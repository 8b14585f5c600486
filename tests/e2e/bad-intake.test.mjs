// Journey 4: a bad intake is explained and nothing is stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBench } from './webdriver.mjs';
import { addTechnicians } from './journeys.mjs';

let bench;
before(async () => (bench = await startBench()));
after(async () => bench?.stop());

test('a bad intake shows the error and stores nothing', async () => {
  let session = await bench.open();
  try {
    await addTechnicians(session, 'Li Wei');
    await session.click('#nav-intake');
    await session.type('#f-customer_name', 'Acme');
    await session.click('#intake-submit');
    assert.equal(await session.text('#form-error'), 'Board serial: required');
    assert.equal(await session.focusedId(), 'f-board_serial');

    await session.type('#f-board_serial', '1654922044444');
    await session.click('#f-model option[value="a100-sxm4-80gb"]');
    await session.type('#f-symptom_observed', 'Xid 48');
    await session.type('#f-quote_amount', '-500');
    await session.click('#intake-submit');
    await session.waitFor('#form-error', 5_000, 'Quote: cannot be negative');
    assert.equal(await session.script('return document.getElementById("f-quote_amount").getAttribute("aria-invalid");'), 'true');
    // Correct the quote (select all, retype); the next mistake is named in turn.
    await session.type('#f-quote_amount', '\uE009a\uE000' + '1000');
    await session.type('#f-gpu_uuid', 'not-a-uuid');
    await session.click('#intake-submit');
    await session.waitFor('#form-error', 5_000, 'GPU UUID: not in the expected format');
  } finally {
    await session.quit();
  }

  session = await bench.open();
  try {
    await session.click('#nav-jobs');
    await session.waitFor('#job-table td.empty');
    assert.equal(await session.find('#job-table tbody tr[data-ticket]'), null);
  } finally {
    await session.quit();
  }
});
