import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { synthesizeFleet } from '../lib/output/fleet';
import { applyTree } from '../lib/output/output-tree';
import { findSecrets, findSecretsInTree } from '../lib/output/secret-guard';
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

// A base64 PEM certificate (public) and a base64 PEM private key, as Helm values carry them.
const CERT_B64 = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUExample\n-----END CERTIFICATE-----\n').toString('base64');
const KEY_B64 = Buffer.from('-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIExampleExampleExample\n-----END EC PRIVATE KEY-----\n').toString('base64');
const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl';

describe('secrets never reach dist/', () => {
  test.each([
    ['a private key in Cilium values', { tls: { ca: { key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----' } } }, 'spec.cilium.values.tls.ca.key', 'holds a private key'],
    ['a base64 PEM key in Cilium values', { tls: { ca: { cert: CERT_B64, key: KEY_B64 } } }, 'spec.cilium.values.tls.ca.key', 'holds a private key'],
    ['the key of a TLS pair', { hubble: { relay: { tls: { client: { cert: CERT_B64, key: 'c2VjcmV0' } } } } }, 'spec.cilium.values.hubble.relay.tls.client.key', 'holds a private key'],
    ['a bearer token in Cilium values', { hubble: { relay: { extraEnv: [{ name: 'AUTH', value: JWT }] } } }, 'spec.cilium.values.hubble.relay.extraEnv[0].value', 'holds a credential'],
    ['an access key id in Cilium values', { extraConfig: { 'cloud-key': 'LTAI5tQ9xExampleKey12345' } }, 'spec.cilium.values.extraConfig["cloud-key"]', 'holds a credential'],
    ['a password in an environment variable', { hubble: { relay: { extraEnv: [{ name: 'DB_PASSWORD', value: 'hunter2' }] } } }, 'spec.cilium.values.hubble.relay.extraEnv[0].value', 'holds a credential'],
    ['an etcd password', { etcd: { password: 'hunter2hunter2' } }, 'spec.cilium.values.etcd.password', 'holds a credential'],
    ['a token value in Cilium values', { clustermesh: { apiserver: { token: 'c2VjcmV0LXRva2VuLXZhbHVlLTEyMzQ1' } } }, 'spec.cilium.values.clustermesh.apiserver.token', 'holds a credential'],
    ['a cloud client secret', { azure: { clientSecret: 'not-for-git' } }, 'spec.cilium.values.azure.clientSecret', 'holds a credential'],
  ])('fails the synth on %s at its field, never echoing it, and writes nothing', (_, values, field, what) => {
    const clusters = fleet('c', { leaky: { ...CILIUM, cilium: { ...CILIUM.cilium, values } } });
    const out = path.join(temp.path, 'dist');
    let thrown: unknown;
    try {
      synthesizeFleet({ clustersDir: clusters, outdir: out });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ProfileError);
    const diagnostics = (thrown as ProfileError).diagnostics.filter((d) => d.severity === 'error');
    expect(diagnostics.map((d) => [path.basename(d.file), d.path, d.message.split(',')[0]])).toEqual([['leaky.yaml', field, `${what}`]]);
    const report = (thrown as ProfileError).message;
    for (const secret of ['MIIEvQ', KEY_B64, 'c2VjcmV0', JWT, 'LTAI5tQ9x', 'hunter2', 'not-for-git']) expect(report).not.toContain(secret);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('a public CA certificate is not a secret: it passes the profile checks and reaches the values file', () => {
    const clusters = fleet('c', { ca: { ...CILIUM, cilium: { ...CILIUM.cilium, values: { tls: { ca: { cert: CERT_B64 } } } } } });
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: clusters, outdir: out });
    expect(fs.readFileSync(path.join(out, 'values', 'ca.cilium-values.yaml'), 'utf8')).toContain(CERT_B64);
  });

  test('the last check before the write tells a base64 private key from a base64 certificate', () => {
    expect(findSecretsInTree(new Map([['values/a.yaml', `tls:\n  ca:\n    cert: ${CERT_B64}\n`]]))).toEqual([]);
    expect(findSecretsInTree(new Map([['values/a.yaml', `tls:\n  ca:\n    key: ${KEY_B64}\n`]]))).toEqual([{ file: 'values/a.yaml', what: 'a private key' }]);
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
    expect(run.stderr).toContain(`netscale: ${signal} received; ${out}/ was not changed`);
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
