import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { synthesizeFleet } from '../lib/output/fleet';
import { applyTree } from '../lib/output/output-tree';
import { snapshot, tempDirPerTest } from './support/files';
import { ACK_TERWAY, profileYaml } from './support/profiles';

const ROOT = path.join(__dirname, '..');

const temp = tempDirPerTest('hardening');


function fleet(name: string, profiles: Record<string, Record<string, unknown>>): string {
  const dir = path.join(temp.path, name);
  fs.mkdirSync(dir);
  for (const [cluster, spec] of Object.entries(profiles)) fs.writeFileSync(path.join(dir, `${cluster}.yaml`), profileYaml(spec, cluster));
  return dir;
}

describe('interrupted synths', () => {
  test.each(['SIGINT', 'SIGTERM'])('%s arriving before the write exits 130 and leaves dist/ byte-identical', (signal) => {
    const a = fleet('a', { one: { ...ACK_TERWAY, networkPolicy: 'relay' } });
    const b = fleet('b', { two: { ...ACK_TERWAY, networkPolicy: 'disabled' } });
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: a, outdir: out });
    const before = snapshot(out);
    // Deliver the signal while the synth is still rendering: right before its first event-loop turn.
    const preload = path.join(temp.path, 'signal-early.cjs');
    fs.writeFileSync(
      preload,
      `const orig = global.setImmediate; let sent = false;
global.setImmediate = (fn, ...args) => { if (!sent && process.listenerCount('${signal}') > 0) { sent = true; process.emit('${signal}', '${signal}'); } return orig(fn, ...args); };`,
    );
    const run = spawnSync(process.execPath, ['--require', preload, path.join(ROOT, 'bin', 'netscale.js')], { cwd: ROOT, env: { ...process.env, CLUSTERS_DIR: b, CDK8S_OUTDIR: out }, encoding: 'utf8' });
    expect(run.status).toBe(130);
    expect(run.stderr).toContain(`netscale: ${signal} received; dist/ was not changed`);
    expect(snapshot(out)).toEqual(before);
  });

  test('SIGINT or SIGTERM at any moment leaves dist/ either as it was or fully new, never half', async () => {
    const a = fleet('a', { one: { ...ACK_TERWAY, networkPolicy: 'relay' }, two: { ...ACK_TERWAY, networkPolicy: 'disabled' } });
    const b = fleet('b', Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`b${i}`, { ...ACK_TERWAY, nodes: 200 + i, networkPolicy: 'relay' }])));
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: a, outdir: out });
    const before = snapshot(out);
    const fresh = path.join(temp.path, 'fresh');
    synthesizeFleet({ clustersDir: b, outdir: fresh });
    const after = snapshot(fresh);

    const outcomes = new Set<string>();
    for (const [signal, delay] of [['SIGINT', 50], ['SIGTERM', 300], ['SIGINT', 600], ['SIGTERM', 900]] as const) {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'netscale.js')], { cwd: ROOT, env: { ...process.env, CLUSTERS_DIR: b, CDK8S_OUTDIR: out }, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill(signal), delay);
      const code: number | null = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
      clearTimeout(timer);
      const now = snapshot(out);
      if (code === 0) {
        expect(now).toEqual(after);
        outcomes.add('new');
        synthesizeFleet({ clustersDir: a, outdir: out }); // back to the old state for the next round
      } else {
        expect(now).toEqual(before);
        outcomes.add('kept');
      }
      expect(fs.readdirSync(temp.path).filter((f) => f.startsWith('.dist-'))).toEqual([]);
    }
    expect(outcomes.size).toBeGreaterThan(0);
  }, 60_000);

  test('writing touches only files whose bytes changed, removes stale ones, and leaves other scopes alone', () => {
    const out = path.join(temp.path, 'out');
    applyTree(new Map([['a/x.yaml', 'one'], ['a/y.yaml', 'two'], ['b/z.yaml', 'three'], ['keep.md', 'k']]), out);
    expect(applyTree(new Map([['a/x.yaml', 'one'], ['a/y.yaml', 'TWO'], ['keep.md', 'k']]), out)).toEqual({ written: 1, removed: 1, unchanged: 2 });
    expect(snapshot(out)).toEqual({ [path.join('a', 'x.yaml')]: 'one', [path.join('a', 'y.yaml')]: 'TWO', 'keep.md': 'k' });
    expect(fs.existsSync(path.join(out, 'b'))).toBe(false);
    // A scoped write (one cluster) never removes what lies outside its scope.
    expect(applyTree(new Map([['a/x.yaml', 'ONE']]), out, ['a'])).toEqual({ written: 1, removed: 1, unchanged: 0 });
    expect(snapshot(out)).toEqual({ [path.join('a', 'x.yaml')]: 'ONE', 'keep.md': 'k' });
    // Empty folders left by anything go too.
    fs.mkdirSync(path.join(out, 'empty', 'deeper'), { recursive: true });
    applyTree(new Map([['a/x.yaml', 'ONE'], ['keep.md', 'k']]), out);
    expect(fs.existsSync(path.join(out, 'empty'))).toBe(false);
  });
});
