// Journey 1: a job taken in with the keyboard only, the serial typed the way a barcode scanner does.
import assert from 'node:assert/strict';
import { journey, Key } from './webdriver.mjs';

journey('take a GPU in with the keyboard only', (bench) =>
  bench.withApp(async (app) => {
    // Revive opens on Intake with the serial field focused, ready for the scanner.
    await app.waitFor('#f-board_serial');
    assert.equal(await app.focusedId(), 'f-board_serial');
    // A scanner types the whole label in one burst and ends with Enter.
    await app.keys('1654922012345' + Key.Enter);
    assert.equal(await app.focusedId(), 'f-model', 'Enter after the serial moves on, it does not submit');
    assert.equal(await app.value('#f-board_serial'), '1654922012345');
    await app.keys('H100 SXM');
    assert.equal(await app.value('#f-model'), 'h100-sxm5-80gb');

    await app.tabTo('f-customer_name');
    await app.keys('Deep Compute Ltd');
    await app.tabTo('f-quote_amount');
    await app.keys('12000');
    await app.tabTo('f-bench_location');
    await app.keys('B-03');
    await app.tabTo('f-symptom_observed');
    await app.keys('Xid 79: fell off the bus under training load');
    // A fresh bench has no technicians yet: the first one names themselves with the first card.
    await app.tabTo('f-technician');
    await app.keys('Li Wei');
    await app.keys([Key.Control, Key.Enter]);

    const created = await app.text('#intake-created');
    assert.match(created, /Job RV-\d{4}-000001 created\./);
    assert.equal(await app.focusedId(), 'f-board_serial', 'ready for the next card');
    assert.equal(await app.value('#current-technician'), 'Li Wei');
    assert.equal(await app.find('#f-technician'), null);

    await app.keys([Key.Alt, '2']);
    const row = await app.text('#job-table tbody tr[data-ticket]');
    assert.match(row, /1654922012345/);
    assert.match(row, /Deep Compute Ltd/);
    assert.match(row, /H100 SXM5 80GB/);
    assert.match(row, /B-03/);
  }),
);
