// What both package tests do with the app they packaged: the environment of a person's shell, and
// a first job and the simulated bench through the real window.
import assert from 'node:assert/strict';
import { addTechnicians, takeIn } from '../e2e/journeys.mjs';

/** This process's environment without the REVIVE_* variables that point a run at a checkout. */
export function outsideTheCheckout() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REVIVE_')));
}

/**
 * As 王芳, in Chinese: takes a job in for `customer` on the bench's new data folder, checks that
 * Settings → About names the version, the store's schema and the package's own files under
 * `resources`, and runs the simulated bench from them.
 */
export async function firstJobOnTheSimulatedBench(app, bench, resources, customer) {
  await addTechnicians(app, '王芳');
  await app.click('#language option[value="zh-CN"]');
  await app.waitFor('#nav-intake', 5_000, '收件');
  const ticket = await takeIn(app, { serial: '1654922012345', customer, observed: 'Xid 79，掉卡', quote: '１２０００' });
  assert.match(ticket, /^RV-\d{4}-\d{6}$/);

  await app.click('#nav-settings');
  assert.match(await app.text('#about-version'), /版本 \d+\.\d+\.\d+，数据库结构 \d+/);
  assert.equal(await app.text('#data-dir'), bench.dataDir);
  assert.equal(await app.text('#simulated-driver'), `${resources}/libnvidia_ml_fake.so`);
  assert.equal(await app.text('#scenarios-dir'), `${resources}/scenarios`);

  // No NVIDIA driver here: the Bench offers the simulated bench, and it runs.
  await app.click('#nav-bench');
  await app.click('#bench-scenario option[value="hgx-h100-8gpu-one-bad"]');
  await app.click('#bench-start-simulated');
  await app.waitFor('#bench-simulated', 10_000, 'hgx-h100-8gpu-one-bad');
  await app.waitFor('[data-gpu="7"]');
}
