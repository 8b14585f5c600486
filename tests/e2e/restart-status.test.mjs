// Journey 2: a job survives a restart, is found by its serial and moved through two statuses.
import assert from 'node:assert/strict';
import { journey, Key } from './webdriver.mjs';
import { addTechnicians, takeIn } from './journeys.mjs';

// Typed text must come back as text, never as markup.
const CUSTOMER = 'North Cloud <img src=x onerror="document.title=1">';

journey('find a job after a restart and move it along', async (bench) => {
  const ticket = await bench.withApp(async (app) => {
    await addTechnicians(app, 'Zhang Min');
    return takeIn(app, { serial: '1324021077777', customer: CUSTOMER, observed: 'Xid 64, row remap failure', quote: '8800' });
  });

  await bench.withApp(async (app) => {
    await app.click('#nav-jobs');
    await app.type('#job-search', '021077777');
    await app.waitFor('#job-table tbody tr[data-ticket]', 5_000, ticket);
    assert.equal(await app.script('return document.querySelectorAll("img:not(.brand img)").length;'), 0);
    await app.keys(Key.Enter);
    await app.waitFor('#job-ticket', 5_000, ticket);
    assert.equal(await app.text('#job-customer'), CUSTOMER);

    await app.click('#move-diagnosing');
    await app.waitFor('.job-head .badge', 5_000, 'Diagnosing');
    await app.click('#move-awaiting_approval');
    await app.waitFor('.job-head .badge', 5_000, 'Awaiting approval');

    const timeline = await app.text('#timeline');
    assert.match(timeline, /Diagnosing → Awaiting approval/);
    assert.match(timeline, /Intake → Diagnosing/);
    assert.match(timeline, /Zhang Min/);
  });

  await bench.withApp(async (app) => {
    await app.click('#nav-jobs');
    await app.click('#status-filter option[value="awaiting_approval"]');
    await app.waitFor('#job-table tbody tr[data-ticket]', 5_000, ticket);
  });
});
