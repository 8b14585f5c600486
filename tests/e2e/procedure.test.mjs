// Journey 6: the HBM triage on a card whose simulated GPU has a pending remap. The gate holds until a
// new diagnostic run shows the remap cleared; the app is closed mid-procedure and resumes exactly
// there; a measurement out of range takes the fail branch.
import assert from 'node:assert/strict';
import { journey, Key } from './webdriver.mjs';
import { addTechnicians, openJob, recordSimulated, takeIn } from './journeys.mjs';

const SERIAL = '1654922012345';

/** Continues the job's unfinished run and waits for the runner to show `step`. */
async function continueAt(app, step) {
  await openJob(app, '2012345');
  await app.click('#job-procedures button.primary');
  await app.waitFor(`#run-step[data-step="${step}"]`);
}

journey('a procedure gate waits for the bench, survives a restart and branches on a bad measurement', async (bench) => {
  const ticket = await bench.withApp(async (app) => {
    await addTechnicians(app, 'Li Wei');
    const ticket = await takeIn(app, { serial: SERIAL, customer: 'Deep Compute', observed: 'Xid 63', quote: '12000' });
    await app.click('#open-created');
    await app.waitFor('#procedure-choice option[value="hbm-triage"]');
    await app.click('#procedure-choice option[value="hbm-triage"]');
    await app.click('#start-procedure');
    await app.waitFor('#run-step[data-step="evidence"]');

    // Nothing recorded since the gate was reached: it holds.
    await app.keys(Key.Enter);
    await app.waitFor('#run-error', 5_000, 'Not yet');
    assert.equal(await app.find('#run-step[data-step="evidence"]') !== null, true);

    await recordSimulated(app, 'h100-remap-pending', ticket);
    await continueAt(app, 'evidence');
    await app.keys(Key.Enter);
    await app.waitFor('#run-step[data-step="reset"]');
    await app.keys(Key.Enter);
    await app.waitFor('#run-step[data-step="reread"]');
    assert.match(await app.text('#run-gate'), /no longer shows remap_pending/);

    // The remap is still pending after this reading: the gate still holds.
    await recordSimulated(app, 'h100-remap-pending', ticket);
    await continueAt(app, 'reread');
    await app.keys(Key.Enter);
    await app.waitFor('#run-error', 5_000, 'Not yet');

    // After the reset the bench reads the card healthy: the gate opens.
    await recordSimulated(app, 'h100-remap-reset', ticket);
    await continueAt(app, 'reread');
    await app.keys(Key.Enter);
    await app.waitFor('#run-step[data-step="remap-failed"]');

    // The parts used and the labour the steps did not time go on the job, against the quote.
    await openJob(app, SERIAL);
    await app.type('#part-number', 'TDA21490');
    await app.type('#part-description', 'Power stage');
    await app.type('#part-quantity', Key.Backspace + '2');
    await app.type('#part-unit-cost', '85.50');
    await app.click('#add-part');
    await app.waitFor('#job-costs tr[data-part="TDA21490"]', 5_000, '171.00');
    await app.type('#labor-minutes', '-90');
    await app.click('#adjust-labor');
    await app.waitFor('#costs-error', 5_000, 'Reason: required');
    await app.type('#labor-reason', 'Timer left running over lunch');
    await app.click('#adjust-labor');
    await app.waitFor('#job-costs', 5_000, 'Timer left running over lunch');
    assert.match(await app.text('#costs-totals'), /Parts\s*CN¥171\.00/);
    return ticket;
  });

  // Closed mid-procedure: a new process shows the run exactly where it was.
  await bench.withApp(async (app) => {
    await continueAt(app, 'remap-failed');
    assert.match(await app.text('#run-answers'), /Read again: no remap pending/);
    await app.keys('p');
    await app.waitFor('#run-step[data-step="memory-test"]');
    assert.match(await app.text('#run-limits'), /≤ 0/);
    // Three new uncorrectable errors: out of range, so the fail branch.
    await app.keys('3' + Key.Enter);
    await app.waitFor('#run-step[data-step="decide"]');
    assert.match(await app.text('#run-answers'), /New uncorrectable errors under a memory test\s*3\s*Fail/);
    await app.keys('1');
    await app.waitFor('#run-finished', 5_000, 'needs RMA');
    await app.click('#run-back');
    await app.waitFor('#job-ticket', 5_000, ticket);
    // The timeline names the procedure by its title, and the outcome moved the job on to RMA.
    const timeline = await app.text('#timeline');
    assert.match(timeline, /Procedure finished: HBM memory fault triage, needs RMA/);
    assert.match(timeline, /Diagnosing → RMA · moved by HBM memory fault triage/);
    await app.waitFor('.job-head [data-status="rma"]');

    // The job has ended: its parts and labour no longer change, and the forms are gone.
    await app.waitFor('#costs-locked', 5_000, 'no longer change');
    assert.equal(await app.find('#add-part'), null);
    assert.match(await app.text('#costs-totals'), /Parts\s*CN¥171\.00/);
  });
});
