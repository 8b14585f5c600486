// Journey 5: on a PC without an NVIDIA driver, the Bench offers the simulated bench; a technician
// picks a scenario, reads the finding, its next step and the driver's Xid, records it all to a job
// and finds it there.
import assert from 'node:assert/strict';
import { journey } from './webdriver.mjs';
import { addTechnicians, openJob, takeIn } from './journeys.mjs';

journey('a simulated finding is recorded to a job', (bench) =>
  bench.withApp(async (app) => {
    await addTechnicians(app, 'Li Wei');
    const ticket = await takeIn(app, { serial: '1654922012345', customer: 'Deep Compute', observed: 'Xid 63', quote: '12000' });

    await app.click('#nav-bench');
    await app.waitFor('#bench-unavailable', 10_000, 'No NVIDIA driver is installed on this PC.');
    await app.click('#bench-scenario option[value="h100-remap-pending"]');
    await app.click('#bench-start-simulated');
    await app.waitFor('#bench-simulated', 10_000, 'h100-remap-pending');
    const finding = await app.text('[data-gpu="0"] li.finding[data-code="remap_pending"]');
    assert.match(finding, /Row remap pending/);
    assert.match(finding, /Next step: Record this evidence now; the remap takes effect only after a GPU reset/);
    // The driver reports Xid 63 through its event API; the bench shows it and what it means.
    await app.waitFor('#xids-0', 10_000, 'Xid 63');
    await app.waitFor('[data-gpu="0"] li.finding[data-code="xid_63"]', 10_000, 'Row remap recorded');

    // The customer's dmesg, pasted: its Xid lands on the GPU at that PCI address.
    await app.click('#kernel-log-panel summary');
    await app.type('#kernel-log', '[ 812.1] NVRM: Xid (PCI:0000:18:00): 48, pid=77, name=train, DBE (0x1) detected\n');
    await app.click('#kernel-log-import');
    await app.waitFor('#kernel-log-result', 5_000, '1 Xid lines found.');
    assert.match(await app.text('#kernel-log-panel li.finding[data-code="xid_48"]'), /GPU 0[\s\S]*Double-bit ECC error/);

    await app.click(`#record-job-0 option:nth-child(2)`);
    await app.click('#record-0');
    await app.waitFor('#recorded-0', 5_000, `Recorded to ${ticket}.`);

    // After the reset the row is remapped (the lifetime counts stay): record again, and the job
    // shows what cleared.
    await app.click('#bench-scenario option[value="h100-remap-reset"]');
    await app.click('#bench-start-simulated');
    await app.waitFor('#bench-simulated', 10_000, 'h100-remap-reset');
    await app.click(`#record-job-0 option:nth-child(2)`);
    await app.click('#record-0');
    await app.waitFor('#recorded-0', 5_000, `Recorded to ${ticket}.`);

    await openJob(app, '2012345');
    await app.waitFor('#job-ticket', 5_000, ticket);
    assert.match(await app.text('#job-comparison'), /Cleared: .*remap_pending/);
    assert.match(await app.text('#job-changes'), /Remap pending\s*yes\s*→\s*no/);
    const run = await app.text('#job-diagnostics .run:last-child');
    assert.match(run, /SIMULATED/);
    assert.match(run, /h100-remap-pending/);
    assert.match(run, /Row remap pending/);
    assert.match(run, /Row remap recorded/);
    assert.match(await app.text('#timeline'), /Diagnostic run recorded: GPU 0, 5 findings/);
    // The lifetime count of the one uncorrectable error stays: one warning, nothing pending.
    assert.match(await app.text('#timeline'), /Diagnostic run recorded: GPU 0, 1 findings/);

    // Another card on the bench, the H100's job picked by mistake: refused until someone says why.
    await app.click('#nav-bench');
    await app.click('#bench-scenario option[value="h20-healthy"]');
    await app.click('#bench-start-simulated');
    await app.waitFor('#bench-simulated', 10_000, 'h20-healthy');
    await app.click(`#record-job-0 option[data-ticket="${ticket}"]`);
    await app.click('#record-0');
    await app.waitFor('#recorded-0', 5_000, 'Not recorded: the card on the bench (serial 1655023098765)');
    await app.type('#record-reason-0', '客户寄来的是这张 H20，标签贴错了');
    await app.click('#record-anyway-0');
    await app.waitFor('#recorded-0', 5_000, `Recorded to ${ticket}.`);
    await openJob(app, '2012345');
    await app.waitFor('#timeline', 5_000, 'from a card with another serial, because: 客户寄来的是这张 H20，标签贴错了');
  }),
);
