/** bin/netscale.js never trusts its cached bundle: a bad one is rebuilt, an unwritable cache skipped. */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { tempDirPerTest } from './support/files';

const ROOT = path.join(__dirname, '..');
const temp = tempDirPerTest('bundle');

function explain(cacheDir: string) {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'netscale.js'), 'explain', 'clusters/ack-terway-relay.yaml'], {
    cwd: ROOT,
    env: { ...process.env, NETSCALE_CACHE_DIR: cacheDir },
    encoding: 'utf8',
  });
  // The profile's own warnings are fine; a rebuilt or skipped cache must not add anything else.
  expect(run.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('warning: clusters/ack-terway-relay.yaml:'))).toEqual([]);
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^# Resolved profile\n/);
  return run.stdout;
}

/** The one cached bundle, checked: its last line is the SHA-256 of everything before it. */
function cachedBundle(cacheDir: string): string {
  const files = fs.readdirSync(cacheDir);
  expect(files).toEqual([expect.stringMatching(/^main-[0-9a-f]{16}\.js$/)]);
  const text = fs.readFileSync(path.join(cacheDir, files[0]), 'utf8');
  const trailer = '\n//# netscale-bundle sha256=';
  const at = text.lastIndexOf(trailer);
  expect(text.slice(at + trailer.length)).toBe(`${crypto.createHash('sha256').update(text.slice(0, at)).digest('hex')}\n`);
  return path.join(cacheDir, files[0]);
}

describe('the cached bundle', () => {
  test('is rebuilt when truncated, empty or not what its trailer says, and the run is the same', () => {
    const cache = path.join(temp.path, 'cache');
    const expected = explain(cache);
    const bundle = cachedBundle(cache);
    const whole = fs.readFileSync(bundle, 'utf8');
    const damaged = [whole.slice(0, whole.length / 2), '', `process.exit(0);${whole.slice(whole.indexOf('\n'))}`];
    for (const text of damaged) {
      fs.writeFileSync(bundle, text);
      expect(explain(cache)).toBe(expected);
      expect(fs.readFileSync(cachedBundle(cache), 'utf8')).toBe(whole);
    }
  }, 60_000);

  test('leftovers of killed builds and bundles of other sources are removed when it is rebuilt', () => {
    const cache = path.join(temp.path, 'cache');
    fs.mkdirSync(cache);
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    fs.writeFileSync(path.join(cache, `main-0123456789abcdef.js.${dead}.tmp`), 'half');
    fs.writeFileSync(path.join(cache, 'main-fedcba9876543210.js'), 'old');
    explain(cache);
    cachedBundle(cache);
  }, 30_000);

  test('a cache that cannot be written is skipped: the run works all the same', () => {
    const notAFolder = path.join(temp.path, 'file');
    fs.writeFileSync(notAFolder, 'x');
    expect(explain(path.join(notAFolder, 'cache'))).toMatch(/^# Resolved profile\n/);
    expect(fs.readFileSync(notAFolder, 'utf8')).toBe('x');
  }, 30_000);
});
