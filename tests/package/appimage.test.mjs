// A shop that installs nothing runs Revive from its AppImage: one file, copied anywhere (here under a
// Chinese name) and started. It unpacks once into its own folder in the user's cache, draws with the
// WebKit and GTK it carries, takes a job in through its real window on a new data folder and runs
// the simulated bench from its own files; a link to it named `revive` is the CLI; an AppImage
// changed after packaging refuses to start, and says why.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { startBench } from '../e2e/webdriver.mjs';
import { firstJobOnTheSimulatedBench, outsideTheCheckout } from './packaged.mjs';

const IMAGE_DIR = process.env.REVIVE_APPIMAGE_DIR;
/** The libraries the AppImage leaves to the desktop, as the script that built it reads them. */
const DESKTOP_OWN = new RegExp(`^(${readFileSync(new URL('../../scripts/appimage-desktop-libraries.txt', import.meta.url), 'utf8')
  .split('\n').filter((line) => line && !line.startsWith('#')).join('|')})\\.so`);

/** Runs `program` as a person's shell would, with nothing pointing it at a checkout, its cache folder `cache`. */
function run(program, args, cache) {
  return spawnSync(program, args, { encoding: 'utf8', cwd: tmpdir(), env: { ...outsideTheCheckout(), XDG_CACHE_HOME: cache } });
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

/** The shared libraries process `pid` has loaded; none when it ended meanwhile. */
function loaded(pid) {
  try {
    const paths = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').map((line) => line.trim().split(/\s+/)[5]);
    return [...new Set(paths.filter((path) => path && /\.so(\.|$)/.test(basename(path))))];
  } catch {
    return [];
  }
}

/** `libraries` and every library they link, as the loader resolves them, by real path. */
function withTheirs(libraries) {
  const all = new Set(libraries.map((path) => realpathSync(path)));
  for (const library of libraries) {
    for (const line of execFileSync('ldd', [library], { encoding: 'utf8' }).split('\n')) {
      const path = line.match(/=> (\/\S+)/)?.[1];
      if (path) all.add(realpathSync(path));
    }
  }
  return all;
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
  // The person's cache folder, where the AppImage unpacks.
  const cache = join(dir, 'cache');
  mkdirSync(cache);
  const image = join(dir, 'Revive 维修台.AppImage');
  copyFileSync(join(IMAGE_DIR, images[0]), image);
  chmodSync(image, 0o755);
  try {
    // Through a link named revive: the CLI diagnoses a shipped scenario on the fake driver it carries.
    symlinkSync(image, join(dir, 'revive'));
    const diagnosis = run(join(dir, 'revive'), ['diagnose', '--scenario', 'h100-remap-pending', '--lang', 'zh-CN'], cache);
    assert.equal(diagnosis.status, 3, diagnosis.stderr);
    assert.match(diagnosis.stdout, /\[SIMULATED\]/);
    assert.match(diagnosis.stdout, /行重映射待生效/);

    // Unpacked once, into a folder of this user's alone; the app there draws with the WebKit and
    // GTK it carries, and WebKit's own processes use them too.
    const unpackedIn = join(cache, 'revive/appimage');
    const unpacked = () => readdirSync(unpackedIn).map((name) => join(unpackedIn, name));
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

    const bench = await startBench({ application: image, env: { XDG_CACHE_HOME: cache } });
    try {
      await bench.withApp(async (app) => {
        await firstJobOnTheSimulatedBench(app, bench, join(folder, 'usr/lib/Revive'), '深圳市福田区 José 的算力公司');

        // Running, the app and WebKit's processes are programs from the folder, with the WebKit
        // it carries; from the desktop they load only what the AppImage leaves to it (the C
        // library, the graphics driver, X, fonts) and what those link. A library missing from the
        // AppImage would be found on this PC, which has WebKit installed, and fail here.
        const running = runningFrom(folder);
        const programs = [...running.values()].map((program) => basename(program));
        for (const program of ['revive-app', 'WebKitWebProcess', 'WebKitNetworkProcess']) {
          assert.ok(programs.includes(program), `${program} runs from the AppImage: ${programs}`);
        }
        for (const [pid, program] of running) {
          const libraries = loaded(pid);
          if (libraries.length === 0) continue;
          assert.ok(libraries.some((path) => path.startsWith(`${folder}/`) && basename(path).startsWith('libwebkit2gtk-4.1')),
            `${program} draws with the WebKit it carries`);
          const desktop = libraries.filter((path) => !path.startsWith(`${folder}/`));
          const allowed = withTheirs(desktop.filter((path) => DESKTOP_OWN.test(basename(path))));
          for (const path of desktop) {
            assert.ok(allowed.has(realpathSync(path)), `${program} loaded ${path} from the desktop, which the AppImage should carry`);
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
    const refused = run(changed, [], cache);
    assert.equal(refused.status, 127);
    assert.match(refused.stderr, /damaged.*AppImage 内的程序已损坏/);
    assert.deepEqual(unpacked(), [folder], 'nothing of it unpacked');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
