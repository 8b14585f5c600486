// Journey 2: a job survives a restart, is found by its serial and moved through two statuses.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Key, startBench } from './webdriver.mjs';
import { addTechnicians, takeIn } from './journeys.mjs';

// Typed text must come back as text, never as markup.
const CUSTOMER = 'North Cloud <img src=x onerror="document.title=1">';

let bench;
before(async () => (bench = await startBench()));
after(async () => bench?.stop());

test('find a job after a restart and move it along', async () => {
  let session = await bench.open();
  const ticket = await (async () => {
    try {
      await addTechnicians(session, 'Zhang Min');
      return await takeIn(session, {
        serial: '1324021077777', customer: CUSTOMER, observed: 'Xid 64, row remap failure', quote: '8800',
      });
    } finally {
      await session.quit();
    }
  })();

  session = await bench.open();
  try {
    await session.click('#nav-jobs');
    await session.type('#job-search', '021077777');
    await session.waitFor('#job-table tbody tr[data-ticket]', 5_000, ticket);
    assert.equal(await session.script('return document.querySelectorAll("img:not(.brand img)").length;'), 0);
    await session.keys(Key.Enter);
    await session.waitFor('#job-ticket', 5_000, ticket);
    assert.equal(await session.text('#job-customer'), CUSTOMER);

    await session.click('#move-diagnosing');
    await session.waitFor('.job-head .badge', 5_000, 'Diagnosing');
    await session.click('#move-awaiting_approval');
    await session.waitFor('.job-head .badge', 5_000, 'Awaiting approval');

    const timeline = await session.text('#timeline');
    assert.match(timeline, /Diagnosing → Awaiting approval/);
    assert.match(timeline, /Intake → Diagnosing/);
    assert.match(timeline, /Zhang Min/);
  } finally {
    await session.quit();
  }

  session = await bench.open();
  try {
    await session.click('#nav-jobs');
    await session.click('#status-filter option[value="awaiting_approval"]');
    await session.waitFor('#job-table tbody tr[data-ticket]', 5_000, ticket);
  } finally {
    await session.quit();
  }
});
