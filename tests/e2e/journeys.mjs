// Steps several journeys share: what a technician does before the part a journey is about.
import assert from 'node:assert/strict';
import { Key } from './webdriver.mjs';

/** Enters the shop's technicians in Settings and saves; the first is then at the bench. */
export async function addTechnicians(session, ...names) {
  await session.click('#nav-settings');
  await session.type('#s-technicians', names.join(Key.Enter));
  await session.click('#settings-save');
  await session.waitFor('#settings-saved');
  assert.equal(await session.value('#current-technician'), names[0]);
}

/** Takes a job in through the intake form with the mouse and keyboard. */
export async function takeIn(session, { serial, customer, observed, quote }) {
  await session.click('#nav-intake');
  await session.type('#f-board_serial', serial + Key.Enter);
  await session.click('#f-model option[value="h100-sxm5-80gb"]');
  await session.type('#f-customer_name', customer);
  await session.type('#f-symptom_observed', observed);
  await session.type('#f-quote_amount', quote);
  await session.click('#intake-submit');
  const created = await session.text('#intake-created');
  return created.match(/RV-\d{4}-\d{6}/)[0];
}

/** Opens a job from the Jobs screen by its serial. */
export async function openJob(session, serial) {
  await session.click('#nav-jobs');
  await session.type('#job-search', serial + Key.Enter);
  await session.waitFor('#job-ticket');
}

/** Records a reading of the simulated bench running `scenario` to the only open job. */
export async function recordSimulated(session, scenario, ticket) {
  await session.click('#nav-bench');
  await session.click(`#bench-scenario option[value="${scenario}"]`);
  await session.click('#bench-start-simulated');
  await session.waitFor('#bench-simulated', 10_000, scenario);
  await session.click('#record-job-0 option:nth-child(2)');
  await session.click('#record-0');
  await session.waitFor('#recorded-0', 5_000, `Recorded to ${ticket}.`);
}
