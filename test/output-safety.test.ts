/**
 * netscale deletes only what it wrote: the output folders it refuses, links and devices it never
 * follows, paths claimed twice, the lock, and what signals and kills leave behind.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stageCluster, stageFleet, synthesizeFleet } from '../lib/output/fleet';
import { LOCK_FILE, OUTPUT_MARKER, OUTPUT_MARKER_TEXT, OutputError } from '../lib/output/output-folder';
import { applyTree } from '../lib/output/output-tree';
import { ProfileError } from '../lib/profile/diagnostics';
import { snapshot, tempDirPerTest } from './support/files';
import { ACK_TERWAY, profileYaml } from './support/profiles';

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'netscale.js');
const temp = tempDirPerTest('output');

function fleet(name: string, profiles: Record<string, Record<string, unknown>>): string {
  const dir = path.join(temp.path, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [cluster, spec] of Object.entries(profiles)) fs.writeFileSync(path.join(dir, `${cluster}.yaml`), profileYaml(spec, cluster));
  return dir;
}

function manyClusters(prefix: string, n: number): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, { ...ACK_TERWAY, nodes: 200 + i, networkPolicy: 'relay' }]));
}

/** The error a call throws, or a failure if it throws none. */
function thrownBy(run: () => unknown): Error {
  try {
    run();
  } catch (e) {
    return e as Error;
  }
  throw new Error('nothing was thrown');
}

/** Every entry below `dir` (links not followed), with file contents and link targets. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) {
        out[`${rel}/`] = '';
        walk(p);
      } else if (e.isFile()) out[rel] = fs.readFileSync(p, 'utf8');
      else out[rel] = '(special)';
    }
  };
  walk(dir);
  return out;
}

/** A repository as a user has it: .git, the profiles, a file of their own. */
function repository(): string {
  const repo = path.join(temp.path, 'repo');
  fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
  fs.writeFileSync(path.join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  fs.writeFileSync(path.join(repo, 'precious.txt'), 'mine\n');
  fleet(path.join('repo', 'clusters'), { prod: { ...ACK_TERWAY, networkPolicy: 'relay' } });
  return repo;
}

describe('the output folders netscale refuses', () => {
  test.each([
    ['the repository root', (repo: string) => ({ outdir: repo, clustersDir: path.join(repo, 'clusters') }), 'holds the clusters folder'],
    [
      'a git repository whose profiles live elsewhere',
      (repo: string) => ({ outdir: repo, clustersDir: fleet('elsewhere', { a: ACK_TERWAY }) }),
      'is the root of a git repository (it holds .git)',
    ],
    [
      'the clusters folder',
      (repo: string) => ({ outdir: path.join(repo, 'clusters'), clustersDir: path.join(repo, 'clusters') }),
      'is the clusters folder: netscale would delete the profiles',
    ],
    [
      'a folder above the clusters folder',
      (repo: string) => ({ outdir: path.dirname(repo), clustersDir: path.join(repo, 'clusters') }),
      'holds the clusters folder',
    ],
    ['the file system root', (repo: string) => ({ outdir: '/', clustersDir: path.join(repo, 'clusters') }), 'is the root of the file system'],
    [
      'an empty CDK8S_OUTDIR',
      (repo: string) => ({ outdir: '', clustersDir: path.join(repo, 'clusters') }),
      'no output folder given (CDK8S_OUTDIR is empty)',
    ],
    [
      'a folder inside .git',
      (repo: string) => ({ outdir: path.join(repo, '.git', 'dist'), clustersDir: path.join(repo, 'clusters') }),
      'lies inside a .git folder',
    ],
    ['a file', (repo: string) => ({ outdir: path.join(repo, 'precious.txt'), clustersDir: path.join(repo, 'clusters') }), 'is a file, not a folder'],
    [
      "a folder of someone else's files",
      (repo: string) => {
        fs.mkdirSync(path.join(repo, 'docs'));
        fs.writeFileSync(path.join(repo, 'docs', 'README.md'), 'mine\n');
        return { outdir: path.join(repo, 'docs'), clustersDir: path.join(repo, 'clusters') };
      },
      'holds files netscale did not write (README.md) and no .netscale-output marker',
    ],
  ])('%s, before rendering anything, and changes nothing', (_, where, message) => {
    const repo = repository();
    const options = where(repo);
    const before = tree(temp.path);
    const error = thrownBy(() => synthesizeFleet(options));
    expect(error).toBeInstanceOf(OutputError);
    expect(error.message).toContain(message);
    expect(error.message).toMatch(/nothing was written$/);
    expect(tree(temp.path)).toEqual(before);
  });

  test('a path the system will not create (/proc) fails at once instead of spinning', () => {
    const error = thrownBy(() => synthesizeFleet({ clustersDir: fleet('c', { a: ACK_TERWAY }), outdir: '/proc/netscale-test/dist' }));
    expect(error).toBeInstanceOf(OutputError);
    expect(error.message).toMatch(/^cannot create the output folder \/proc\/netscale-test: /);
  });

  test('the command refuses CDK8S_OUTDIR=. and an empty one with exit 2, and the repository is untouched', () => {
    const repo = repository();
    const before = tree(repo);
    for (const outdir of ['.', '']) {
      const run = spawnSync(process.execPath, [BIN], {
        cwd: repo,
        env: { ...process.env, CLUSTERS_DIR: 'clusters', CDK8S_OUTDIR: outdir },
        encoding: 'utf8',
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^error: (the output folder "\." holds the clusters folder|no output folder given)/);
      expect(tree(repo)).toEqual(before);
    }
  });

  test('a dist/ written before the marker existed is recognised by its layout, and gets the marker', () => {
    const clusters = fleet('c', { a: { ...ACK_TERWAY, networkPolicy: 'relay' } });
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: clusters, outdir: out });
    fs.rmSync(path.join(out, OUTPUT_MARKER));
    fs.mkdirSync(path.join(out, 'gone-cluster'));
    fs.writeFileSync(path.join(out, 'gone-cluster', 'ConfigMap.eni-config.k8s.yaml'), 'old\n');
    synthesizeFleet({ clustersDir: clusters, outdir: out });
    expect(fs.readFileSync(path.join(out, OUTPUT_MARKER), 'utf8')).toBe(OUTPUT_MARKER_TEXT);
    expect(fs.existsSync(path.join(out, 'gone-cluster'))).toBe(false);

    // Anything that is not that layout, without the marker, is not netscale's.
    fs.rmSync(path.join(out, OUTPUT_MARKER));
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine\n');
    expect(thrownBy(() => synthesizeFleet({ clustersDir: clusters, outdir: out })).message).toContain(
      'holds files netscale did not write (notes.txt)',
    );
  });

  test("a folder with the marker is netscale's: whatever it did not render goes", () => {
    const clusters = fleet('c', { a: ACK_TERWAY });
    const out = path.join(temp.path, 'dist');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
    fs.writeFileSync(path.join(out, 'stray.txt'), 'x\n');
    synthesizeFleet({ clustersDir: clusters, outdir: out });
    expect(Object.keys(snapshot(out)).sort()).toEqual(
      [OUTPUT_MARKER, path.join('a', 'ConfigMap.eni-config.k8s.yaml'), path.join('reviews', 'README.md'), path.join('reviews', 'a.md')].sort(),
    );
  });
});

describe('links, devices and paths in the way', () => {
  function written(): { clusters: string; out: string; outside: string } {
    const clusters = fleet('c', { a: { ...ACK_TERWAY, networkPolicy: 'relay' }, b: ACK_TERWAY });
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: clusters, outdir: out });
    const outside = path.join(temp.path, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'victim.txt'), "not netscale's\n");
    return { clusters, out, outside };
  }

  test('a link to a file outside is refused with its path, and nothing is written through it', () => {
    const { clusters, out, outside } = written();
    const file = path.join(out, 'a', 'ConfigMap.eni-config.k8s.yaml');
    fs.rmSync(file);
    fs.symlinkSync(path.join(outside, 'victim.txt'), file);
    const before = tree(temp.path);
    const error = thrownBy(() => synthesizeFleet({ clustersDir: clusters, outdir: out }));
    expect(error).toBeInstanceOf(OutputError);
    expect(error.message).toContain(
      `${JSON.stringify(path.join(out, 'a', 'ConfigMap.eni-config.k8s.yaml'))} is a symbolic link ` +
        `(to ${path.join(outside, 'victim.txt')}): netscale never writes through a link in its output folder`,
    );
    expect(tree(temp.path)).toEqual(before);
  });

  test('a linked cluster folder is refused, neither written through nor unlinked', () => {
    const { clusters, out, outside } = written();
    fs.rmSync(path.join(out, 'b'), { recursive: true });
    fs.symlinkSync(outside, path.join(out, 'b'));
    const before = tree(temp.path);
    expect(thrownBy(() => synthesizeFleet({ clustersDir: clusters, outdir: out })).message).toContain(
      `${JSON.stringify(path.join(out, 'b'))} is a symbolic link`,
    );
    expect(thrownBy(() => stageCluster({ clustersDir: clusters, outdir: out, cluster: 'b' }).commit()).message).toContain(
      `${JSON.stringify(path.join(out, 'b'))} is a symbolic link`,
    );
    expect(tree(temp.path)).toEqual(before);
  });

  test('a linked reviews folder stops a one-cluster synth too', () => {
    const { clusters, out, outside } = written();
    fs.renameSync(path.join(out, 'reviews'), path.join(outside, 'reviews'));
    fs.symlinkSync(path.join(outside, 'reviews'), path.join(out, 'reviews'));
    const before = tree(temp.path);
    expect(thrownBy(() => stageCluster({ clustersDir: clusters, outdir: out, cluster: 'a' }).commit()).message).toContain(
      `${JSON.stringify(path.join(out, 'reviews'))} is a symbolic link`,
    );
    expect(tree(temp.path)).toEqual(before);
  });

  test('a pipe in the output folder is refused instead of blocking the read', () => {
    const { clusters, out } = written();
    const file = path.join(out, 'a', 'Service.calico-typha.k8s.yaml');
    fs.rmSync(file);
    expect(spawnSync('mkfifo', [file]).status).toBe(0);
    const error = thrownBy(() => synthesizeFleet({ clustersDir: clusters, outdir: out }));
    expect(error.message).toContain(`${JSON.stringify(file)} is neither a file nor a folder (a device, pipe or socket)`);
  });

  test('a link planted at the temporary name of a one-cluster write is replaced, never followed', () => {
    const { clusters, out, outside } = written();
    fs.writeFileSync(path.join(out, 'reviews', 'a.md'), 'changed, so it is written again\n');
    fs.symlinkSync(path.join(outside, 'victim.txt'), path.join(out, 'reviews', '.a.md.netscale-tmp'));
    stageCluster({ clustersDir: clusters, outdir: out, cluster: 'a' }).commit();
    expect(fs.readFileSync(path.join(outside, 'victim.txt'), 'utf8')).toBe("not netscale's\n");
    expect(fs.readFileSync(path.join(out, 'reviews', 'a.md'), 'utf8')).toMatch(/^# a\n/);
    expect(fs.existsSync(path.join(out, 'reviews', '.a.md.netscale-tmp'))).toBe(false);
  });

  test('in its own scope, a file where a folder goes and a folder where a file goes are replaced', () => {
    const { clusters, out } = written();
    const expected = snapshot(out);
    fs.rmSync(path.join(out, 'a'), { recursive: true });
    fs.writeFileSync(path.join(out, 'a'), 'a file in the way\n');
    fs.rmSync(path.join(out, 'reviews', 'b.md'));
    fs.mkdirSync(path.join(out, 'reviews', 'b.md', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(out, 'reviews', 'b.md', 'deeper', 'x'), 'x\n');
    synthesizeFleet({ clustersDir: clusters, outdir: out });
    expect(snapshot(out)).toEqual(expected);
  });

  test('outside its scope, a file in the way is reported and nothing is written', () => {
    const { clusters, out } = written();
    fs.rmSync(path.join(out, 'reviews'), { recursive: true });
    fs.writeFileSync(path.join(out, 'reviews'), 'not a folder\n');
    fs.rmSync(path.join(out, 'a'), { recursive: true });
    const before = tree(out);
    const error = thrownBy(() => stageCluster({ clustersDir: clusters, outdir: out, cluster: 'a' }).commit());
    expect(error.message).toContain(`${JSON.stringify(path.join(out, 'reviews'))} is a file where netscale needs a folder: remove it`);
    expect(tree(out)).toEqual(before);
  });
});

describe('every output path is claimed once', () => {
  test('fails on two objects for one file, naming both and the field that chose the name; dist/ untouched', () => {
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: fleet('ok', { prod: ACK_TERWAY }), outdir: out });
    const before = snapshot(out);
    const error = thrownBy(() =>
      synthesizeFleet({ clustersDir: fleet('c', { prod: { ...ACK_TERWAY, kubeProxy: { configMapName: 'eni-config' } } }), outdir: out }),
    );
    expect(error).toBeInstanceOf(ProfileError);
    const errors = (error as ProfileError).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => `${path.basename(d.file)}:${d.line}:${d.col} ${d.path}: ${d.message}`)).toEqual([
      'prod.yaml:13:20 spec.kubeProxy.configMapName: two objects would be written to dist/prod/ConfigMap.eni-config.k8s.yaml: ConfigMap ' +
        'kube-system/eni-config (prod/terway/TerwayEniConfig/Resource) and ConfigMap kube-system/eni-config (prod/kubeProxy/KubeProxy/Resource); ' +
        'give one of them another name',
    ]);
    expect(snapshot(out)).toEqual(before);
  });
});

describe('one writer at a time', () => {
  function lockedBy(out: string, pid: number): void {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
    fs.writeFileSync(path.join(out, LOCK_FILE), `${JSON.stringify({ pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z' })}\n`);
  }

  test('a synth finding the folder locked by a running synth fails at once, naming it, and writes nothing', () => {
    const out = path.join(temp.path, 'dist');
    lockedBy(out, process.pid);
    const before = tree(out);
    const error = thrownBy(() => synthesizeFleet({ clustersDir: fleet('c', { a: ACK_TERWAY }), outdir: out }));
    expect(error).toBeInstanceOf(OutputError);
    expect(error.message).toContain(
      `another netscale synth ` +
        `(pid ${process.pid} on ${os.hostname()}, since 2026-01-01T00:00:00.000Z) is writing the output folder; run again when it is ` +
        `done, or remove ${path.join(fs.realpathSync(out), LOCK_FILE)} if no synth runs`,
    );
    expect(tree(out)).toEqual(before);
  });

  test('a lock left by a synth that was killed is taken over, and released after the write', () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const out = path.join(temp.path, 'dist');
    lockedBy(out, dead);
    const applied = stageFleet({ clustersDir: fleet('c', { a: ACK_TERWAY }), outdir: out }).commit();
    expect(applied.recovered).toEqual({ pid: dead, host: os.hostname(), since: '2026-01-01T00:00:00.000Z' });
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
    expect(fs.existsSync(path.join(out, 'a', 'ConfigMap.eni-config.k8s.yaml'))).toBe(true);
  });

  test('two synths of different fleets into one folder at once never end mixed', async () => {
    const a = fleet('a', manyClusters('a', 25));
    const b = fleet('b', manyClusters('b', 25));
    synthesizeFleet({ clustersDir: a, outdir: path.join(temp.path, 'only-a') });
    synthesizeFleet({ clustersDir: b, outdir: path.join(temp.path, 'only-b') });
    const [onlyA, onlyB] = [snapshot(path.join(temp.path, 'only-a')), snapshot(path.join(temp.path, 'only-b'))];
    const out = path.join(temp.path, 'dist');
    const run = (clusters: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN], {
          cwd: ROOT,
          env: { ...process.env, CLUSTERS_DIR: clusters, CDK8S_OUTDIR: out },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all([run(a), run(b)]);
      for (const r of results) {
        if (r.code !== 0) {
          expect(r.code).toBe(2);
          expect(r.stderr).toMatch(/^error: another netscale synth \(pid \d+ on .*\) is writing the output folder/);
        }
      }
      expect(results.some((r) => r.code === 0)).toBe(true);
      const now = snapshot(out);
      expect([onlyA, onlyB]).toContainEqual(now);
    }
  }, 60_000);
});

describe('signals and kills', () => {
  /** A preload that sends `signal` to the synth itself when `when` first holds for an fs call. */
  function preload(name: string, body: string): string {
    const file = path.join(temp.path, `${name}.cjs`);
    fs.writeFileSync(file, `const fs = require('fs');\n${body}\n`);
    return file;
  }
  const onFirstRead = (signal: string) =>
    preload(
      'on-read',
      `const read = fs.readFileSync; let sent = false;
fs.readFileSync = function (p, ...rest) {
  if (!sent && typeof p === 'string' && p.startsWith(process.env.CLUSTERS_DIR) && p.endsWith('.yaml')) {
    sent = true;
    process.kill(process.pid, '${signal}');
  }
  return read.call(this, p, ...rest);
};`,
    );
  const onRename = (nth: number, signal: string) =>
    preload(
      'on-rename',
      `const rename = fs.renameSync; let n = 0;
fs.renameSync = function (from, to, ...rest) {
  const r = rename.call(this, from, to, ...rest);
  if (String(to).startsWith(process.env.CDK8S_OUTDIR) && ++n === ${nth}) process.kill(process.pid, '${signal}');
  return r;
};`,
    );

  function twoFleets() {
    const a = fleet('a', { one: { ...ACK_TERWAY, networkPolicy: 'relay' } });
    const b = fleet('b', manyClusters('b', 8));
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: a, outdir: out });
    synthesizeFleet({ clustersDir: b, outdir: path.join(temp.path, 'fresh') });
    return { a, b, out, before: snapshot(out), after: snapshot(path.join(temp.path, 'fresh')) };
  }
  const synth = (clusters: string, out: string, hook?: string) =>
    spawnSync(process.execPath, [...(hook ? ['--require', hook] : []), BIN], {
      cwd: ROOT,
      env: { ...process.env, CLUSTERS_DIR: clusters, CDK8S_OUTDIR: out },
      encoding: 'utf8',
    });

  test.each(['SIGINT', 'SIGTERM'])('%s while the profiles load stops the run at once; dist/ is byte-identical', (signal) => {
    const { b, out, before } = twoFleets();
    const run = synth(b, out, onFirstRead(signal));
    expect(run.signal).toBe(signal);
    expect(snapshot(out)).toEqual(before);
  });

  test('SIGINT during a slow render stops it at once, before the write', async () => {
    const b = fleet('b', manyClusters('b', 300));
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: fleet('a', { one: ACK_TERWAY }), outdir: out });
    const before = snapshot(out);
    const child = spawn(process.execPath, [BIN], { cwd: ROOT, env: { ...process.env, CLUSTERS_DIR: b, CDK8S_OUTDIR: out }, stdio: 'ignore' });
    setTimeout(() => child.kill('SIGINT'), 400);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGINT' });
    expect(snapshot(out)).toEqual(before);
  }, 30_000);

  test('SIGINT during the write is held until the write is done, then stops the run', () => {
    const { b, out, after } = twoFleets();
    const run = synth(b, out, onRename(3, 'SIGINT'));
    expect(run.signal).toBe('SIGINT');
    expect(run.stdout).toMatch(/^netscale: 8 clusters synthesized into /);
    expect(snapshot(out)).toEqual(after);
  });

  test('SIGINT or SIGTERM at any moment leaves dist/ either as it was or fully new, never half', async () => {
    const { a, b, out, before, after } = twoFleets();
    for (const [signal, delay] of [
      ['SIGINT', 50],
      ['SIGTERM', 300],
      ['SIGINT', 600],
      ['SIGTERM', 900],
    ] as const) {
      const child = spawn(process.execPath, [BIN], { cwd: ROOT, env: { ...process.env, CLUSTERS_DIR: b, CDK8S_OUTDIR: out }, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill(signal), delay);
      await new Promise((resolve) => child.on('exit', resolve));
      clearTimeout(timer);
      expect([before, after]).toContainEqual(snapshot(out));
      synthesizeFleet({ clustersDir: a, outdir: out }); // the old state again for the next round
    }
  }, 60_000);

  test('SIGKILL during the write leaves old and new files and the lock; the next synth repairs it all', () => {
    const { b, out, before, after } = twoFleets();
    const run = synth(b, out, onRename(5, 'SIGKILL'));
    expect(run.signal).toBe('SIGKILL');
    const broken = snapshot(out);
    expect(broken).not.toEqual(before);
    expect(broken).not.toEqual(after);
    expect(Object.keys(broken)).toContain(LOCK_FILE);
    const repair = synth(b, out);
    expect(repair.status).toBe(0);
    expect(repair.stderr).toMatch(/netscale: an earlier synth \(pid \d+, since .*\) was stopped while writing .*; this run completed the folder/);
    expect(snapshot(out)).toEqual(after);
  });
});

describe('writing', () => {
  test('touches only files whose bytes changed, removes stale ones, and leaves other scopes alone', () => {
    const out = path.join(temp.path, 'out');
    applyTree(
      new Map([
        ['a/x.yaml', 'one'],
        ['a/y.yaml', 'two'],
        ['b/z.yaml', 'three'],
        ['keep.md', 'k'],
      ]),
      out,
    );
    expect(
      applyTree(
        new Map([
          ['a/x.yaml', 'one'],
          ['a/y.yaml', 'TWO'],
          ['keep.md', 'k'],
        ]),
        out,
      ),
    ).toEqual({ written: 1, removed: 1, unchanged: 2 });
    expect(snapshot(out)).toEqual({
      [OUTPUT_MARKER]: OUTPUT_MARKER_TEXT,
      [path.join('a', 'x.yaml')]: 'one',
      [path.join('a', 'y.yaml')]: 'TWO',
      'keep.md': 'k',
    });
    expect(fs.existsSync(path.join(out, 'b'))).toBe(false);
    // A scoped write (one cluster) never removes what lies outside its scope.
    expect(applyTree(new Map([['a/x.yaml', 'ONE']]), out, ['a'])).toEqual({ written: 1, removed: 1, unchanged: 0 });
    expect(snapshot(out)).toEqual({ [OUTPUT_MARKER]: OUTPUT_MARKER_TEXT, [path.join('a', 'x.yaml')]: 'ONE', 'keep.md': 'k' });
    // Empty folders left by anything go too; so do temporary files a killed write left.
    fs.mkdirSync(path.join(out, 'empty', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(out, 'a', '.x.yaml.netscale-tmp'), 'half');
    applyTree(
      new Map([
        ['a/x.yaml', 'ONE'],
        ['keep.md', 'k'],
      ]),
      out,
    );
    expect(snapshot(out)).toEqual({ [OUTPUT_MARKER]: OUTPUT_MARKER_TEXT, [path.join('a', 'x.yaml')]: 'ONE', 'keep.md': 'k' });
    expect(fs.existsSync(path.join(out, 'empty'))).toBe(false);
  });
});
