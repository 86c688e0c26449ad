import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { synthesizeFleet } from '../lib/output/fleet';
import { applyTree } from '../lib/output/output-tree';
import { findSecrets } from '../lib/output/secret-guard';
import { ProfileError } from '../lib/profile/diagnostics';
import { snapshot, tempDirPerTest } from './support/files';
import { ACK_TERWAY, profileYaml } from './support/profiles';

const ROOT = path.join(__dirname, '..');
const CILIUM = { platform: 'kubeadm', cni: 'cilium', kubernetesVersion: '1.31', nodes: 50, cilium: { version: '1.18.12', k8sServiceHost: '10.0.0.1', k8sServicePort: 6443 } };

const temp = tempDirPerTest('hardening');


function fleet(name: string, profiles: Record<string, Record<string, unknown>>): string {
  const dir = path.join(temp.path, name);
  fs.mkdirSync(dir);
  for (const [cluster, spec] of Object.entries(profiles)) fs.writeFileSync(path.join(dir, `${cluster}.yaml`), profileYaml(spec, cluster));
  return dir;
}

describe('secrets never reach dist/', () => {
  test.each([
    ['a private key in Cilium values', { tls: { ca: { key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----' } } }, 'a private key'],
    ['a bearer token in Cilium values', { hubble: { relay: { extraEnv: [{ name: 'AUTH', value: 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl' }] } } }, 'a bearer token (JWT)'],
    ['an access key id in Cilium values', { extraConfig: { 'cloud-key': 'LTAI5tQ9xExampleKey12345' } }, 'an Alibaba Cloud AccessKey ID'],
    ['a base64 PEM key in Cilium values', { tls: { ca: { key: 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlCQURBTkJna3Foa2lHOXcwQkFRRUZBQVND' } } }, 'a base64-encoded PEM block'],
    ['a password in an environment variable', { hubble: { relay: { extraEnv: [{ name: 'DB_PASSWORD', value: 'hunter2' }] } } }, 'a secret in an environment variable'],
    ['a token value in Cilium values', { clustermesh: { apiserver: { token: 'c2VjcmV0LXRva2VuLXZhbHVlLTEyMzQ1' } } }, 'a token or password value'],
  ])('fails the synth on %s, naming the profile and the file', (_, values, what) => {
    const clusters = fleet('c', { leaky: { ...CILIUM, cilium: { ...CILIUM.cilium, values } } });
    const out = path.join(temp.path, 'dist');
    let thrown: unknown;
    try {
      synthesizeFleet({ clustersDir: clusters, outdir: out });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ProfileError);
    const messages = (thrown as ProfileError).diagnostics.map((d) => `${path.basename(d.file)}: ${d.message}`);
    expect(messages).toContain(`leaky.yaml: would write ${what} into dist/values/leaky.cilium-values.yaml: dist/ is committed, so credentials stay in the cluster (a Secret made there, credential_path for Terway)`);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('finds a Secret object and access keys, and nothing in the committed dist/', () => {
    const dir = path.join(temp.path, 'scan');
    fs.mkdirSync(path.join(dir, 'c'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'c', 'Secret.x.k8s.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n');
    fs.writeFileSync(path.join(dir, 'c', 'ConfigMap.y.k8s.yaml'), 'data:\n  eni_conf: \'{"access_key": "x"}\'\n');
    fs.writeFileSync(path.join(dir, 'c', 'notes.md'), 'access_key in prose is not scanned');
    expect(findSecrets(dir)).toEqual([
      { file: path.join('c', 'ConfigMap.y.k8s.yaml'), what: 'an access_key or access_secret' },
      { file: path.join('c', 'Secret.x.k8s.yaml'), what: 'a Secret object' },
    ]);
    expect(findSecrets(path.join(ROOT, 'dist'))).toEqual([]);
  });
});

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
