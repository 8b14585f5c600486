// Journey 1: a job taken in with the keyboard only, the serial typed the way a barcode scanner does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Key, startBench } from './webdriver.mjs';

let bench;
before(async () => (bench = await startBench()));
after(async () => bench?.stop());

test('take a GPU in with the keyboard only', async () => {
  const session = await bench.open();
  try {
    // First start lands on Settings with the technicians box focused.
    await session.waitFor('#s-technicians');
    assert.equal(await session.focusedId(), 's-technicians');
    await session.keys('Li Wei');
    await session.tabTo('settings-save');
    await session.keys(Key.Enter);
    await session.waitFor('#settings-saved');

    await session.keys([Key.Alt, '1']);
    await session.waitFor('#f-board_serial');
    assert.equal(await session.focusedId(), 'f-board_serial');
    // A scanner types the whole label in one burst and ends with Enter.
    await session.keys('1654922012345' + Key.Enter);
    assert.equal(await session.focusedId(), 'f-model', 'Enter after the serial moves on, it does not submit');
    assert.equal(await session.value('#f-board_serial'), '1654922012345');
    await session.keys('H100 SXM');
    assert.equal(await session.value('#f-model'), 'h100-sxm5-80gb');

    await session.tabTo('f-customer_name');
    await session.keys('Deep Compute Ltd');
    await session.tabTo('f-symptom_observed');
    await session.keys('Xid 79: fell off the bus under training load');
    await session.tabTo('f-quote_amount');
    await session.keys('12000');
    await session.tabTo('f-bench_location');
    await session.keys('B-03');
    await session.keys([Key.Control, Key.Enter]);

    const created = await session.text('#intake-created');
    assert.match(created, /Job RV-\d{4}-000001 created\./);
    assert.equal(await session.focusedId(), 'f-board_serial', 'ready for the next card');

    await session.keys([Key.Alt, '2']);
    await session.waitFor('#job-table tbody tr[data-ticket]', 5_000);
    const row = await session.text('#job-table tbody tr[data-ticket]');
    assert.match(row, /1654922012345/);
    assert.match(row, /Deep Compute Ltd/);
    assert.match(row, /H100 SXM5 80GB/);
    assert.match(row, /B-03/);
  } finally {
    await session.quit();
  }
});
