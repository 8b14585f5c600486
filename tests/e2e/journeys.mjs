// Steps several journeys share: what a technician does before the part a journey is about.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Key } from './webdriver.mjs';

/** Enters the shop's technicians in Settings and saves; the first is then at the bench. */
export async function addTechnicians(session, ...names) {
  await session.click('#nav-settings');
  await session.type('#s-technicians', names.join(Key.Enter));
  await session.click('#settings-save');
  await session.waitFor('#settings-saved');
  assert.equal(await session.value('#current-technician'), names[0]);
}

/**
 * Sets `name`'s PIN in Settings, typed on a Chinese keyboard (full-width digits), as each technician
 * does once before they sign anything.
 */
export async function setPin(session, name, pin) {
  await session.click('#nav-settings');
  await session.click(`#pin-technician option[value="${name}"]`);
  await session.type('#pin-new', pin);
  await session.click('#pin-save');
  await session.waitFor('#pin-notice', 5_000, name);
  await session.waitFor(`#pin-states li[data-technician="${name}"][data-set="true"]`);
}

/** Signs the run's sign-off step as `name` with their PIN; `beforeSigning` runs just before the click. */
async function signAs(session, name, pin, beforeSigning = async () => {}) {
  await session.click(`#run-signer option[value="${name}"]`);
  await session.type('#run-pin', pin);
  await beforeSigning();
  await session.click('#run-sign');
}

/** Takes a job in through the intake form with the mouse and keyboard. */
export async function takeIn(session, { serial, customer, observed, quote }) {
  await session.click('#nav-intake');
  await session.type('#f-board_serial', serial + Key.Enter);
  await session.click('#f-model option[value="h100-sxm5-80gb"]');
  await session.type('#f-customer_name', customer);
  await session.type('#f-symptom_observed', observed);
  await session.type('#f-quote_amount', quote);
  // The last intake's notice stays up until this one's replaces it: wait for a new ticket.
  const shown = () => session.script(
    'return [document.getElementById("intake-created")?.textContent ?? "", document.getElementById("form-error")?.textContent ?? ""];');
  const [before] = await shown();
  await session.click('#intake-submit');
  let ticket;
  let refused = '';
  await until(async () => {
    const [created, error] = await shown();
    refused = error;
    ticket = created !== before && created.match(/RV-\d{4}-(?:[A-Z][A-Z0-9]{0,3}-)?\d{6}/)?.[0];
    return Boolean(ticket);
  }, () => `the new ticket is shown (the form says: "${refused}")`);
  return ticket;
}

/** Opens a job from the Jobs screen by its serial. */
export async function openJob(session, serial) {
  await session.click('#nav-jobs');
  await session.type('#job-search', serial);
  // Enter opens the first row: wait until the list shows this job, not the previous search's.
  await session.waitFor('#job-table tbody tr[data-ticket]', 10_000, serial);
  await session.keys(Key.Enter);
  await session.waitFor('#job-ticket');
}

/** Records a reading of the simulated bench running `scenario` to the job `ticket`. */
export async function recordSimulated(session, scenario, ticket) {
  await session.click('#nav-bench');
  await session.click(`#bench-scenario option[value="${scenario}"]`);
  await session.click('#bench-start-simulated');
  await session.waitFor('#bench-simulated', 10_000, scenario);
  await session.click(`#record-job-0 option[data-ticket="${ticket}"]`);
  await session.click('#record-0');
  await session.waitFor('#recorded-0', 5_000, `Recorded to ${ticket}.`);
}

/**
 * Runs the stress test on GPU 0 of the simulated bench running `scenario` (a memory test and a
 * burn-in of `burnIn` minutes: a two-hour burn-in takes seconds there) and records it to `ticket`.
 */
export async function runStress(session, scenario, ticket, { burnIn = '120' } = {}) {
  await session.click('#nav-bench');
  await session.click(`#bench-scenario option[value="${scenario}"]`);
  await session.click('#bench-start-simulated');
  await session.waitFor('#bench-simulated', 10_000, scenario);
  await session.type('#stress-burn-in', Key.Control + 'a' + Key.Control + burnIn);
  await session.click('#stress-start');
  await session.waitFor('#stress-verdict-0', 120_000);
  await session.click(`#stress-record-job-0 option[data-ticket="${ticket}"]`);
  await session.click('#stress-record-0');
  await session.waitFor('#stress-recorded-0', 5_000, ticket);
}

/**
 * xdotool reads the path it types in the caller's locale, and a CI machine may have none (C): it
 * then refuses a Chinese file name. The journeys type UTF-8, so they say so.
 */
const UTF8 = { ...process.env, LC_ALL: 'C.UTF-8' };
function xdotool(args, options = {}) {
  return execFileSync('xdotool', args, { ...options, env: UTF8 });
}

/**
 * The X window of the native dialog titled `title`, once it is shown. xdotool cannot read a Chinese
 * title (X keeps it as compound text), so such a dialog is found as the app's newest visible window.
 */
function nativeDialog(title) {
  if (/^[\x20-\x7e]*$/.test(title)) {
    return xdotool(['search', '--sync', '--onlyvisible', '--name', `^${title}$`], { timeout: 20_000 })
      .toString().trim().split('\n')[0];
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    const windows = spawnSync('xdotool', ['search', '--onlyvisible', '--class', 'revive-app'], { env: UTF8 }).stdout.toString().trim().split('\n');
    if (windows.length > 1) return windows.map(Number).sort((a, b) => b - a)[0].toString();
    if (Date.now() > deadline) throw new Error(`no dialog "${title}" opened`);
    execFileSync('sleep', ['0.2']);
  }
}

/** The size of `pdf`'s page in whole millimetres, and how many pages it has. */
export function pdfPages(pdf) {
  const info = execFileSync('pdfinfo', [pdf]).toString();
  const [width, height] = info.match(/Page size:\s+([\d.]+) x ([\d.]+) pts/).slice(1).map((pt) => Math.round((pt * 25.4) / 72));
  return { width, height, count: Number(info.match(/Pages:\s+(\d+)/)[1]) };
}

/** What a barcode reader decodes off the first page of `pdf`. */
export function scanPdf(pdf) {
  const image = pdf.replace(/\.pdf$/, '');
  execFileSync('pdftoppm', ['-r', '300', '-png', '-singlefile', pdf, image]);
  return execFileSync('zbarimg', ['--quiet', '--raw', `${image}.png`]).toString().trim();
}

/**
 * Presses `button` and prints to a file through the system print dialog it opens, the way a bench
 * with no printer attached would: GTK's "Print to File" writes `output.pdf` into the app's working
 * folder (`folder`, which the journey made its own before the app started). Returns its path.
 */
export async function printToFile(session, button, folder) {
  const printed = join(folder, 'output.pdf');
  rmSync(printed, { force: true });
  await session.click(button);
  const dialog = xdotool(['search', '--sync', '--onlyvisible', '--name', '^(Print|打印)$'], { timeout: 20_000 })
    .toString().trim().split('\n')[0];
  xdotool(['windowfocus', '--sync', dialog]);
  xdotool(['sleep', '0.5', 'key', 'Down', 'sleep', '0.5', 'key', 'Return']);
  await until(() => existsSync(printed) && pdfPages(printed).count > 0, 'the printed paper is written', 20_000);
  return printed;
}

/**
 * Answers the native file dialog titled `title` (opened by Revive from Rust) by typing `path` and
 * pressing Enter, as a person would; xdotool drives it because WebDriver cannot reach native windows.
 */
export function answerFileDialog(title, path) {
  const window = nativeDialog(title);
  // GTK's chooser takes a typed path that starts with "/" as a location. There is no window manager:
  // focus the dialog, and give it a moment to settle, as a person's eyes would.
  xdotool(['windowfocus', '--sync', window]);
  xdotool(['sleep', '0.8', 'key', '--clearmodifiers', 'ctrl+a']);
  xdotool(['type', '--delay', '40', path]);
  xdotool(['sleep', '0.4', 'key', 'Return']);
}

/**
 * Final QA on the job with `serial` (its latest reading the intake one): the stress test on the
 * Bench and its two gates, bandwidth, a clean release reading from the simulated bench, two release
 * photos written into `files`, the sign-off of `technician` and the approval of `approver`, each
 * with their own PIN (`pins`), at the same bench.
 */
export async function passFinalQa(session, { serial, ticket, technician, approver, pins, files, beforeApproval }) {
  const search = serial.slice(-7);
  await openJob(session, search);
  await session.click('#procedure-choice option[value="final-qa-burn-in"]');
  await session.click('#start-procedure');
  await session.waitFor('#run-step[data-step="load-tests"]');
  await runStress(session, 'h100-remap-reset', ticket);
  await openJob(session, search);
  await session.click('#job-procedures button.primary');
  await session.waitFor('#run-step[data-step="load-tests"]');
  await session.click('#run-pass');
  await session.waitFor('#run-step[data-step="memory-test"]');
  await session.click('#run-check-gate');
  await session.waitFor('#run-step[data-step="burn-in"]');
  await session.click('#run-check-gate');
  await session.waitFor('#run-step[data-step="bandwidth"]');
  await session.keys('1880000' + Key.Enter);
  await session.waitFor('#run-step[data-step="release-reading"]');
  await recordSimulated(session, 'h100-remap-reset', ticket);
  await openJob(session, search);
  await session.click('#job-procedures button.primary');
  await session.waitFor('#run-step[data-step="release-reading"]');
  await session.keys(Key.Enter);
  await session.waitFor('#run-step[data-step="photos-out"]');
  const front = join(files, 'front.jpg');
  const back = join(files, 'back.png');
  writeFileSync(front, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x10, 0x4a, 0x46, 0x49, 0x46]));
  writeFileSync(back, Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.from('back')]));
  await session.type('#run-photo-file', `${front}\n${back}`);
  await session.waitFor('#run-photo-count', 5_000, '2');
  await session.click('#run-use-photos');
  await session.waitFor('#run-step[data-step="technician-qc"]');
  await signAs(session, technician, pins[technician]);
  await session.waitFor('#run-step[data-step="approver-qc"]');
  // The approver signs at the technician's bench: nobody switches the seat.
  await signAs(session, approver, pins[approver], beforeApproval);
  await session.waitFor('#run-finished', 5_000, 'repaired');
}

const BUILT = dirname(process.env.REVIVE_APP ?? '');
const SCENARIO = new URL('../../scenarios/hgx-h100-8gpu-one-bad.json', import.meta.url).pathname;

/** Starts a throwaway shop server (PostgreSQL); answers its connection string and a stop. */
export async function startShopServer() {
  const server = spawn(join(BUILT, 'revive-test-postgres'), [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [connection] = await Promise.race([
    new Promise((resolve) => createInterface({ input: server.stdout }).once('line', (line) => resolve([line]))),
    new Promise((_, reject) => server.once('exit', (code) => reject(new Error(`the test PostgreSQL exited with ${code}`)))),
  ]);
  const stop = async () => {
    server.stdin.end();
    await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once('exit', resolve)));
  };
  return { connection, stop };
}

/** Starts `revive agent` for rack server `rack-07`, simulating an HGX board of eight H100s. */
export function startAgent(connection) {
  return spawn(
    join(BUILT, 'revive'),
    ['agent', '--server', connection, '--name', 'rack-07', '--lease', '10', '--heartbeat-ms', '500',
      '--nvml-lib', join(BUILT, 'libnvidia_ml_fake.so'), '--scenario', SCENARIO],
    { stdio: 'ignore' },
  );
}

/** Links the bench to the shop server in Settings → Shop server. */
export async function linkShopServer(session, connection, bench, code) {
  await session.click('#nav-settings');
  await session.type('#shop-connection', connection);
  await session.type('#shop-bench', bench);
  await session.type('#shop-code', code);
  await session.click('#shop-save');
  await session.waitFor('#shop-notice', 10_000);
}

/** Waits until `check` holds (polled every 200 ms), failing with `what` (text, or a function saying it) after `timeout` ms. */
export async function until(check, what, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
