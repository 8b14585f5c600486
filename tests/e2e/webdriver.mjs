// A small W3C WebDriver client for tauri-driver: enough to drive Revive's real window like a
// technician does (keyboard, clicks, reading what is on screen). No browser download involved.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

export const Key = { Backspace: '\uE003', Tab: '\uE004', Enter: '\uE007', Control: '\uE009', Alt: '\uE00A' };
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';
const PORT = 4444;
const APP = process.env.REVIVE_APP;

/**
 * Starts tauri-driver with a data directory of its own; every app it launches (`application`, with
 * `env` besides) uses that store.
 */
export async function startBench({ application = APP, env = {} } = {}) {
  if (!application) throw new Error('REVIVE_APP must point at the built revive-app binary');
  const dataDir = mkdtempSync(join(tmpdir(), 'revive-e2e-'));
  const driver = spawn('tauri-driver', ['--port', String(PORT), '--native-port', String(PORT + 1)], {
    env: { ...process.env, ...env, REVIVE_DATA_DIR: dataDir },
    // Nothing inherited: a WebKit helper that outlives the app must not hold the test runner's pipes open.
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${PORT}`;
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(`${base}/status`);
      break;
    } catch (error) {
      if (attempt > 100) throw new Error(`tauri-driver did not start: ${error}`);
      await sleep(100);
    }
  }
  return {
    dataDir,
    /** Launches the app (a fresh process on the same store, as after a restart), lets `use` drive
     * it, and quits it whatever happens. */
    async withApp(use) {
      const session = await Session.open(base, application);
      try {
        return await use(session);
      } finally {
        await session.quit();
      }
    },
    stop: async () => {
      // A driver that already died must not leave the test waiting for an exit that came before.
      if (driver.exitCode === null && driver.signalCode === null) {
        driver.kill('SIGTERM');
        await new Promise((resolve) => driver.once('exit', resolve));
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A real-window test with its own tauri-driver and store, both removed afterwards. */
export function journey(name, steps) {
  test(name, async () => {
    const bench = await startBench();
    try {
      await steps(bench);
    } finally {
      await bench.stop();
    }
  });
}

export class Session {
  constructor(base, id) {
    this.url = `${base}/session/${id}`;
  }

  static async open(base, application) {
    const body = { capabilities: { alwaysMatch: { 'tauri:options': { application } } } };
    const response = await request('POST', `${base}/session`, body);
    const session = new Session(base, response.sessionId);
    await session.waitFor('header.topbar nav, #startup-error', 30_000);
    return session;
  }

  async quit() {
    await request('DELETE', this.url);
  }

  command(method, path, body) {
    return request(method, `${this.url}${path}`, body);
  }

  async find(css) {
    const found = await this.command('POST', '/elements', { using: 'css selector', value: css });
    return found.length > 0 ? found[0][ELEMENT] : null;
  }

  /** Waits until `css` matches (and, with `text`, until its text contains it or matches the RegExp); returns the element. */
  async waitFor(css, timeout = 10_000, text) {
    const deadline = Date.now() + timeout;
    let last = '';
    while (Date.now() < deadline) {
      const element = await this.find(css);
      if (element) {
        if (text === undefined) return element;
        last = await this.command('GET', `/element/${element}/text`);
        if (text instanceof RegExp ? text.test(last) : last.includes(text)) return element;
      }
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${css}${text === undefined ? '' : ` to contain "${text}" (last: "${last}")`}`);
  }

  /** Scrolls the element (an option: its list) to the middle of the window, as a person would,
   * then clicks it. */
  async click(css, timeout = 10_000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const element = await this.waitFor(css, timeout);
      try {
        await this.command('POST', '/execute/sync', {
          script: "(arguments[0].closest('select') ?? arguments[0]).scrollIntoView({ block: 'center' });",
          args: [{ [ELEMENT]: element }],
        });
        await this.command('POST', `/element/${element}/click`, {});
        return;
      } catch (error) {
        // Found while the page was still laying it out or replacing it (a busy machine): a person
        // waits a moment and clicks again.
        if (Date.now() > deadline || !/not interactable|stale element/.test(String(error))) throw error;
        await sleep(100);
      }
    }
  }

  /** Types into one element (focusing it first), like a person clicking a field and typing. */
  async type(css, text) {
    await this.command('POST', `/element/${await this.waitFor(css)}/value`, { text });
  }

  async text(css) {
    return this.command('GET', `/element/${await this.waitFor(css)}/text`);
  }

  async value(css) {
    return this.command('GET', `/element/${await this.waitFor(css)}/property/value`);
  }

  async script(source, ...args) {
    return this.command('POST', '/execute/sync', { script: source, args });
  }

  async focusedId() {
    return this.script('return document.activeElement && document.activeElement.id;');
  }

  /** Presses keys on whatever has focus, one after another; an array presses them together. */
  async keys(...strokes) {
    const actions = [];
    for (const stroke of strokes) {
      const chord = Array.isArray(stroke) ? stroke : [...stroke];
      if (Array.isArray(stroke)) {
        for (const key of chord) actions.push({ type: 'keyDown', value: key });
        for (const key of [...chord].reverse()) actions.push({ type: 'keyUp', value: key });
      } else {
        for (const key of chord) actions.push({ type: 'keyDown', value: key }, { type: 'keyUp', value: key });
      }
    }
    await this.command('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] });
    await this.command('DELETE', '/actions');
  }

  /** Presses Tab until the element with `id` has focus: how a keyboard user reaches a field. */
  async tabTo(id, limit = 40) {
    for (let presses = 0; presses < limit; presses++) {
      if ((await this.focusedId()) === id) return;
      await this.keys(Key.Tab);
    }
    throw new Error(`Tab never reached #${id}`);
  }
}

async function request(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    const { error, message } = payload.value ?? {};
    throw new Error(`${method} ${url}: ${response.status} ${error ?? ''} ${message ?? ''}`);
  }
  return payload.value;
}
