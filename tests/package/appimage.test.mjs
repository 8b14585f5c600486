// A shop that installs nothing runs Revive from its AppImage: one file, copied anywhere (here under a
// Chinese name) and started. It unpacks once into a folder only this user can write, draws with the
// WebKit and GTK it carries, takes a job in through its real window on a new data folder and runs
// the simulated bench from its own files; a link to it named `revive` is the CLI; an AppImage
// changed after packaging refuses to start, and says why.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { startBench } from '../e2e/webdriver.mjs';
import { addTechnicians, takeIn } from '../e2e/journeys.mjs';

const IMAGE_DIR = process.env.REVIVE_APPIMAGE_DIR;

/** Runs `program` as a person's shell would, with nothing pointing it at a checkout. */
function run(program, args, temp) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REVIVE_')));
  return spawnSync(program, args, { encoding: 'utf8', cwd: tmpdir(), env: { ...env, TMPDIR: temp } });
}

/** The processes running a program from inside `folder`: pid → program. */
function runningFrom(folder) {
  const running = new Map();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const program = readlinkSync(`/proc/${pid}/exe`);
      if (program.startsWith(`${folder}/`)) running.set(pid, program);
    } catch {
      // Gone meanwhile, or another user's.
    }
  }
  return running;
}

/** The shared libraries process `pid` has loaded. */
function loaded(pid) {
  const paths = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').map((line) => line.trim().split(/\s+/)[5]);
  return new Set(paths.filter((path) => path && /\.so(\.|$)/.test(basename(path))));
}

/** Where `elf` finds `library`, as the dynamic loader would resolve it. */
function resolved(elf, library) {
  const line = execFileSync('ldd', [elf], { encoding: 'utf8' }).split('\n').find((entry) => entry.trim().startsWith(`${library} =>`));
  assert.ok(line, `${elf} links ${library}`);
  return line.split('=>')[1].trim().split(' ')[0];
}

test('the AppImage runs the app and the CLI from its own files, and refuses to start once changed', async () => {
  assert.ok(IMAGE_DIR, 'REVIVE_APPIMAGE_DIR must name the folder make package wrote the AppImage to');
  const images = readdirSync(IMAGE_DIR).filter((name) => name.endsWith('.AppImage'));
  assert.equal(images.length, 1, `one AppImage in ${IMAGE_DIR}: ${images}`);
  const bytes = readFileSync(join(IMAGE_DIR, images[0]));
  assert.deepEqual([...bytes.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], 'an ELF program');
  assert.equal(bytes.subarray(8, 11).toString('latin1'), 'AI\x02', 'marked as an AppImage of type 2');

  const dir = mkdtempSync(join(tmpdir(), 'revive-appimage-'));
  const temp = join(dir, 'tmp');
  mkdirSync(temp);
  const image = join(dir, 'Revive 维修台.AppImage');
  copyFileSync(join(IMAGE_DIR, images[0]), image);
  chmodSync(image, 0o755);
  try {
    // Through a link named revive: the CLI diagnoses a shipped scenario on the fake driver it carries.
    symlinkSync(image, join(dir, 'revive'));
    const diagnosis = run(join(dir, 'revive'), ['diagnose', '--scenario', 'h100-remap-pending', '--lang', 'zh-CN'], temp);
    assert.equal(diagnosis.status, 3, diagnosis.stderr);
    assert.match(diagnosis.stdout, /\[SIMULATED\]/);
    assert.match(diagnosis.stdout, /行重映射待生效/);

    // Unpacked once, into a folder of this user's alone; the app there draws with the WebKit and
    // GTK it carries, and WebKit's own processes use them too.
    const unpacked = () => readdirSync(temp).filter((name) => name.startsWith('.mount_Revive')).map((name) => join(temp, name));
    const [folder] = unpacked();
    assert.equal(unpacked().length, 1);
    assert.equal(statSync(folder).mode & 0o777, 0o700);
    const app = join(folder, 'usr/bin/revive-app');
    for (const [elf, library] of [
      [app, 'libwebkit2gtk-4.1.so.0'], [app, 'libgtk-3.so.0'],
      [join(folder, 'usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/WebKitWebProcess'), 'libwebkit2gtk-4.1.so.0'],
    ]) {
      assert.ok(resolved(elf, library).startsWith(`${folder}/`), `${elf} uses its own ${library}`);
    }
    assert.ok(resolved(app, 'libc.so.6').startsWith('/lib'), "the desktop's own C library");

    const bench = await startBench({ application: image, env: { TMPDIR: temp } });
    try {
      await bench.withApp(async (app) => {
        await addTechnicians(app, '王芳');
        await app.click('#language option[value="zh-CN"]');
        await app.waitFor('#nav-intake', 5_000, '收件');
        const ticket = await takeIn(app, { serial: '1654922012345', customer: '深圳市福田区 José 的算力公司', observed: 'Xid 79，掉卡', quote: '１２０００' });
        assert.match(ticket, /^RV-\d{4}-\d{6}$/);

        await app.click('#nav-settings');
        assert.equal(await app.text('#data-dir'), bench.dataDir);
        assert.equal(await app.text('#simulated-driver'), join(folder, 'usr/lib/Revive/libnvidia_ml_fake.so'));
        assert.equal(await app.text('#scenarios-dir'), join(folder, 'usr/lib/Revive/scenarios'));

        await app.click('#nav-bench');
        await app.click('#bench-scenario option[value="hgx-h100-8gpu-one-bad"]');
        await app.click('#bench-start-simulated');
        await app.waitFor('#bench-simulated', 10_000, 'hgx-h100-8gpu-one-bad');
        await app.waitFor('[data-gpu="7"]');

        // Running, the app and WebKit's processes are programs from the folder, and no library
        // the AppImage carries was loaded from the desktop instead.
        const running = runningFrom(folder);
        const programs = [...running.values()].map((program) => basename(program));
        for (const program of ['revive-app', 'WebKitWebProcess', 'WebKitNetworkProcess']) {
          assert.ok(programs.includes(program), `${program} runs from the AppImage: ${programs}`);
        }
        const carried = new Set(readdirSync(join(folder, 'usr/lib/x86_64-linux-gnu')));
        for (const [pid, program] of running) {
          const libraries = [...loaded(pid)];
          assert.ok(libraries.some((path) => path.startsWith(`${folder}/`) && basename(path).startsWith('libwebkit2gtk-4.1')),
            `${program} draws with the WebKit it carries`);
          for (const path of libraries.filter((path) => !path.startsWith(`${folder}/`))) {
            assert.ok(!carried.has(basename(path)), `${program} loaded the desktop's ${path}, which the AppImage carries`);
          }
        }
      });
    } finally {
      await bench.stop();
    }
    assert.deepEqual(unpacked(), [folder], 'the app ran from the folder the CLI unpacked');

    // One byte of the app changed after packaging (a bad download, an edit): it does not start.
    const changed = join(dir, 'changed.AppImage');
    const edited = Buffer.from(bytes);
    edited[edited.length - 100_000] ^= 0x01;
    writeFileSync(changed, edited, { mode: 0o755 });
    const refused = run(changed, [], temp);
    assert.equal(refused.status, 127);
    assert.match(refused.stderr, /damaged.*AppImage 内的程序已损坏/);
    assert.deepEqual(unpacked(), [folder], 'nothing of it unpacked');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
