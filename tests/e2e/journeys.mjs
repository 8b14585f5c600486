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
