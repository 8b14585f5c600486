// Journey 4: a bad intake is explained and nothing is stored.
import assert from 'node:assert/strict';
import { journey, Key } from './webdriver.mjs';
import { addTechnicians } from './journeys.mjs';

journey('a bad intake shows the error and stores nothing', async (bench) => {
  await bench.withApp(async (app) => {
    await addTechnicians(app, 'Li Wei');
    await app.click('#nav-intake');
    await app.type('#f-customer_name', 'Acme');
    await app.click('#intake-submit');
    assert.equal(await app.text('#form-error'), 'Board serial: required');
    assert.equal(await app.focusedId(), 'f-board_serial');

    await app.type('#f-board_serial', '1654922044444');
    await app.click('#f-model option[value="a100-sxm4-80gb"]');
    await app.type('#f-symptom_observed', 'Xid 48');
    await app.type('#f-quote_amount', '-500');
    await app.click('#intake-submit');
    await app.waitFor('#form-error', 5_000, 'Quote: cannot be negative');
    assert.equal(await app.script('return document.getElementById("f-quote_amount").getAttribute("aria-invalid");'), 'true');

    // Correct the quote (select all, retype); the next mistake is named in turn.
    await app.type('#f-quote_amount', Key.Backspace.repeat(4) + '1000');
    assert.equal(await app.value('#f-quote_amount'), '1000');
    await app.type('#f-gpu_uuid', 'not-a-uuid');
    await app.click('#intake-submit');
    await app.waitFor('#form-error', 5_000, 'GPU UUID: not in the expected format');
  });

  await bench.withApp(async (app) => {
    await app.click('#nav-jobs');
    await app.waitFor('#job-table td.empty');
    assert.equal(await app.find('#job-table tbody tr[data-ticket]'), null);
  });
});
