// A shop installs Revive like any desktop app: the .deb `make package` built goes in with its
// dependencies from the distribution, the installed app takes a job in through its real window on a
// new data folder and runs the simulated bench from the package's own files, the installed CLI
// diagnoses a shipped scenario, a store from a newer Revive is refused untouched, and the package
// comes out again leaving nothing of itself behind (and the shop's data where it was).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startBench } from '../e2e/webdriver.mjs';
import { firstJobOnTheSimulatedBench, outsideTheCheckout } from './packaged.mjs';

const PACKAGE = 'revive';
const APP = '/usr/bin/revive-app';
const RESOURCES = '/usr/lib/Revive';
const DEB_DIR = process.env.REVIVE_DEB_DIR;

/** Runs a command as root, through sudo when the tests do not run as root. */
function asRoot(command, ...args) {
  const [program, argv] = process.getuid() === 0 ? [command, args] : ['sudo', [command, ...args]];
  return execFileSync(program, argv, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

const installed = () => spawnSync('dpkg-query', ['-W', '-f=${Status}', PACKAGE], { encoding: 'utf8' }).stdout.includes('install ok installed');

/** The installed CLI, run from outside any checkout with nothing pointing it at one. */
function revive(...args) {
  return spawnSync('/usr/bin/revive', args, { encoding: 'utf8', cwd: tmpdir(), env: outsideTheCheckout() });
}

test('the .deb installs, runs the bench from its own files, and uninstalls cleanly', async () => {
  assert.ok(DEB_DIR, 'REVIVE_DEB_DIR must name the folder make package wrote the .deb to');
  const debs = readdirSync(DEB_DIR).filter((name) => name.endsWith('.deb'));
  assert.equal(debs.length, 1, `one .deb in ${DEB_DIR}: ${debs}`);
  const deb = join(DEB_DIR, debs[0]);
  // A run that died half-way must not leave this one testing an old install.
  if (installed()) asRoot('apt-get', 'purge', '-y', '-qq', PACKAGE);

  asRoot('apt-get', 'install', '-y', '-qq', '--no-install-recommends', deb);
  try {
    assert.ok(installed(), `${PACKAGE} is installed`);
    const files = execFileSync('dpkg-query', ['-L', PACKAGE], { encoding: 'utf8' }).split('\n');
    for (const file of [
      APP, '/usr/bin/revive', `${RESOURCES}/libnvidia_ml_fake.so`, `${RESOURCES}/scenarios/hgx-h100-8gpu-one-bad.json`,
      `${RESOURCES}/procedures/hbm-triage.toml`, `${RESOURCES}/fonts/NotoSansCJKsc-Regular.otf`,
      `${RESOURCES}/rules/xid-catalog.json`, '/usr/share/applications/Revive.desktop',
      '/usr/share/icons/hicolor/128x128/apps/revive-app.png',
    ]) {
      assert.ok(files.includes(file) && existsSync(file), `the package installs ${file}`);
    }
    const entry = readFileSync('/usr/share/applications/Revive.desktop', 'utf8');
    assert.match(entry, /^Exec=revive-app$/m);
    assert.match(entry, /^Icon=revive-app$/m);
    execFileSync('desktop-file-validate', ['/usr/share/applications/Revive.desktop']);
    // Its dependencies are the distribution's: the WebKit the app draws with among them.
    const depends = execFileSync('dpkg-query', ['-W', '-f=${Depends}', PACKAGE], { encoding: 'utf8' });
    assert.match(depends, /libwebkit2gtk-4\.1-0/);

    // The installed CLI runs a shipped scenario by name on the installed fake driver.
    const diagnosis = revive('diagnose', '--scenario', 'h100-remap-pending', '--lang', 'zh-CN');
    assert.equal(diagnosis.status, 3, diagnosis.stderr);
    assert.match(diagnosis.stdout, /\[SIMULATED\]/);
    assert.match(diagnosis.stdout, /行重映射待生效/);
    // Copied under the real driver's name, the fake still reports itself as simulated.
    const disguise = mkdtempSync(join(tmpdir(), 'revive-disguise-'));
    copyFileSync(`${RESOURCES}/libnvidia_ml_fake.so`, join(disguise, 'libnvidia-ml.so.1'));
    const disguised = revive('diagnose', '--json', '--nvml-lib', join(disguise, 'libnvidia-ml.so.1'),
      '--scenario', `${RESOURCES}/scenarios/h100-healthy.json`);
    assert.equal(disguised.status, 0, disguised.stderr);
    assert.equal(JSON.parse(disguised.stdout).bench.simulated, true);
    rmSync(disguise, { recursive: true });

    const bench = await startBench();
    try {
      await bench.withApp(async (app) => {
        await firstJobOnTheSimulatedBench(app, bench, RESOURCES, '深圳市南山区 算力科技');
      });

      // A store a newer Revive wrote is refused, and left exactly as it was.
      const store = join(bench.dataDir, 'revive.sqlite3');
      execFileSync('python3', ['-c', 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("PRAGMA user_version = 9999"); c.commit()', store]);
      const before = createHash('sha256').update(readFileSync(store)).digest('hex');
      await bench.withApp(async (app) => {
        await app.waitFor('#startup-error', 10_000, 'newer version of Revive');
      });
      assert.equal(createHash('sha256').update(readFileSync(store)).digest('hex'), before);

      asRoot('apt-get', 'purge', '-y', '-qq', PACKAGE);
      assert.ok(!installed(), `${PACKAGE} is gone`);
      for (const path of [APP, '/usr/bin/revive', RESOURCES, '/usr/share/applications/Revive.desktop']) {
        assert.ok(!existsSync(path), `uninstalling removed ${path}`);
      }
      // The shop's data is its own: uninstalling the program leaves it.
      assert.equal(createHash('sha256').update(readFileSync(store)).digest('hex'), before);
    } finally {
      await bench.stop();
    }
  } finally {
    if (installed()) asRoot('apt-get', 'purge', '-y', '-qq', PACKAGE);
  }
});
