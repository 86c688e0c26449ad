/**
 * Reading the folder of profiles: links followed, nothing dropped without a word, limits instead
 * of hangs, and paths in dist/ that do not depend on the working directory.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadProfiles } from '../lib/cluster/load';
import { MAX_PROFILE_BYTES } from '../lib/core/limits';
import { synthesizeFleet } from '../lib/output/fleet';
import { formatDiagnostic, ProfileError } from '../lib/profile/diagnostics';
import { snapshot, tempDirPerTest } from './support/files';
import { ACK_TERWAY, KUBEADM_CALICO, load, profileYaml } from './support/profiles';

const ROOT = path.join(__dirname, '..');
const temp = tempDirPerTest('profiles');

function folder(name: string): string {
  const dir = path.join(temp.path, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const messages = (dir: string) =>
  loadProfiles(dir).diagnostics.map((d) => `${d.severity} ${path.relative(temp.path, d.file)}:${d.line}:${d.col} ${d.message}`);

describe('the folder of profiles', () => {
  test('a profile that is a link is read, even when it points outside the folder', () => {
    const clusters = folder('clusters');
    fs.writeFileSync(path.join(folder('shared'), 'prod.yaml'), profileYaml({ ...ACK_TERWAY, networkPolicy: 'relay' }, 'prod'));
    fs.symlinkSync(path.join(temp.path, 'shared', 'prod.yaml'), path.join(clusters, 'prod.yaml'));
    fs.writeFileSync(path.join(clusters, 'other.yaml'), profileYaml(ACK_TERWAY, 'other'));
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: clusters, outdir: out });
    synthesizeFleet({ clustersDir: clusters, outdir: out });
    expect(fs.existsSync(path.join(out, 'prod', 'Deployment.calico-typha.k8s.yaml'))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'reviews', 'prod.md'), 'utf8')).toContain('Profile `clusters/prod.yaml`');
  });

  test('fails on a link to nothing, to a folder or to a pipe, each located; no profile is dropped and dist/ is untouched', () => {
    const clusters = folder('clusters');
    fs.writeFileSync(path.join(clusters, 'good.yaml'), profileYaml({ ...ACK_TERWAY, nodes: 50 }, 'good'));
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: clusters, outdir: out });
    const before = snapshot(out);
    fs.symlinkSync(path.join(temp.path, 'gone.yaml'), path.join(clusters, 'broken.yaml'));
    fs.symlinkSync(folder('a-folder'), path.join(clusters, 'folder.yaml'));
    expect(spawnSync('mkfifo', [path.join(clusters, 'pipe.yaml')]).status).toBe(0);
    expect(messages(clusters)).toEqual([
      `error clusters/broken.yaml:1:1 is a symbolic link to ${path.join(temp.path, 'gone.yaml')}, which cannot be read (ENOENT)`,
      'error clusters/folder.yaml:1:1 is not a regular file (a folder): a profile is a YAML file',
      'error clusters/pipe.yaml:1:1 is not a regular file (a device, pipe or socket): a profile is a YAML file',
    ]);
    expect(() => synthesizeFleet({ clustersDir: clusters, outdir: out })).toThrow(ProfileError);
    expect(snapshot(out)).toEqual(before);
  });

  test('names every file and folder it does not read in one notice, leaving hidden files out', () => {
    const clusters = folder('clusters');
    fs.writeFileSync(path.join(clusters, 'prod.yaml'), profileYaml({ ...ACK_TERWAY, nodes: 50 }, 'prod'));
    for (const other of ['README.md', 'staging.yaml.bak', 'dev.YAML', '.gitkeep']) fs.writeFileSync(path.join(clusters, other), 'x\n');
    fs.mkdirSync(path.join(clusters, 'old'));
    expect(messages(clusters)).toEqual([
      'warning clusters:1:1 holds entries that are not read as profiles (profiles end in .yaml or .yml): README.md, dev.YAML, old/, staging.yaml.bak',
    ]);
  });
});

describe('limits instead of hangs', () => {
  test('fails on a profile file over 1 MiB, before reading it', () => {
    const clusters = folder('clusters');
    fs.writeFileSync(path.join(clusters, 'huge.yaml'), `${profileYaml(ACK_TERWAY, 'huge')}#${'x'.repeat(MAX_PROFILE_BYTES)}\n`);
    expect(messages(clusters)).toEqual([
      `error clusters/huge.yaml:1:1 is ${fs.statSync(path.join(clusters, 'huge.yaml')).size} bytes; a profile may hold at most 1048576 (1 MiB)`,
    ]);
    expect(load(`${profileYaml(ACK_TERWAY)}#${'x'.repeat(MAX_PROFILE_BYTES)}\n`).errors).toEqual([
      expect.stringMatching(/^clusters\/test\.yaml:1:1 is \d+ bytes; a profile may hold at most 1048576/),
    ]);
  });

  test.each([
    ['far too deep for the parser', 20_000],
    ['just over the limit', 40],
  ])('fails on YAML nested %s, with its position', (_, depth) => {
    const errors = load(`${profileYaml(ACK_TERWAY)}x: ${'['.repeat(depth)}${']'.repeat(depth)}\n`).errors;
    expect(errors).toEqual([expect.stringMatching(/^clusters\/test\.yaml:12:\d+ nests deeper than 32 levels: write it flatter$/)]);
  });

  test('fails on deep Cilium values with their position, not with a crash', () => {
    const cilium = {
      ...KUBEADM_CALICO,
      cni: 'cilium',
      cilium: { version: '1.18.12', k8sServiceHost: '10.0.0.1', k8sServicePort: 6443, values: { a: 'DEEP' } },
    };
    const deep = (n: number) => profileYaml(cilium).replace('a: DEEP', `a: ${'['.repeat(n)}${']'.repeat(n)}`);
    for (const n of [40, 5000])
      expect(load(deep(n)).errors).toEqual([expect.stringMatching(/^clusters\/test\.yaml:\d+:\d+ nests deeper than 32 levels: write it flatter$/)]);
  });

  test('fails on aliases that stack anchors deeper than the limit', () => {
    const anchors = ['a0: &a0 [1]', ...Array.from({ length: 40 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}]`)].join('\n');
    const errors = load(
      profileYaml(ACK_TERWAY)
        .replace('metadata:\n', `metadata:\n  labels: {}\nx:\n${anchors.replace(/^/gm, '  ')}\nmetadata2:\n`)
        .replace('metadata2:\n  name', 'metadata:\n  name'),
    ).errors;
    expect(errors.join('\n')).toMatch(
      /nests deeper than 32 levels once its aliases are expanded \(at x\.a\d+(\[0\])+\): write it flatter|has a duplicate key/,
    );
  });

  test('fails on deep JSON in baseEniConf, located in the JSON', () => {
    const terway = { vswitches: { 'cn-shanghai-f': ['vsw-1'] }, securityGroups: ['sg-1'], serviceCidr: '172.16.0.0/16' };
    for (const n of [40, 100_000]) {
      const errors = load(profileYaml({ ...ACK_TERWAY, terway: { ...terway, baseEniConf: `{"a":${'['.repeat(n)}${']'.repeat(n)}}` } })).errors;
      expect(errors).toEqual([
        expect.stringMatching(/spec\.terway\.baseEniConf: is not JSON: values nest deeper than 32 levels at line 1, column 37 of the value$/),
      ]);
    }
  });

  test('fails on a deep kube-proxy baseConfig', () => {
    const base = `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nfeatureGates: ${'['.repeat(40)}${']'.repeat(40)}\n`;
    expect(load(profileYaml({ ...KUBEADM_CALICO, kubeProxy: { baseConfig: base } })).errors).toEqual([
      expect.stringContaining('spec.kubeProxy.baseConfig: nests deeper than 32 levels (at featureGates[0]'),
    ]);
  });

  test('fails on duplicate keys at every level, each pointing at the second with the line of the first', () => {
    const text = `${profileYaml(ACK_TERWAY)}spec:\n  nodes: 3\n`.replace('  nodes: 1000\n', '  nodes: 1000\n  region: cn-hangzhou\n');
    expect(load(text).errors).toEqual([
      'clusters/test.yaml:12:3 spec.region: has a duplicate key "region" (first on line 10): each field may appear once',
      'clusters/test.yaml:13:1 spec: has a duplicate key "spec" (first on line 5): each field may appear once',
    ]);
  });

  test('checks a map of 70,000 keys for duplicates in one pass', () => {
    const keys = Array.from({ length: 70_000 }, (_, i) => `  k${i}: x`).join('\n');
    const text = profileYaml(ACK_TERWAY).replace('metadata:\n', `metadata:\n${keys}\n  k7: y\n`);
    expect(load(text).errors).toEqual([
      'clusters/test.yaml:70004:3 metadata.k7: has a duplicate key "k7" (first on line 11): each field may appear once',
    ]);
  }, 20_000);
});

describe('paths in dist/ are relative to the repository', () => {
  test('a synth run from another folder writes the committed dist/ byte for byte', () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'netscale-cwd-'));
    const cwd = process.cwd();
    try {
      process.chdir(elsewhere);
      synthesizeFleet({ clustersDir: path.relative(elsewhere, path.join(ROOT, 'clusters')), outdir: path.join(temp.path, 'dist') });
    } finally {
      process.chdir(cwd);
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
    expect(snapshot(path.join(temp.path, 'dist'))).toEqual(snapshot(path.join(ROOT, 'dist')));
  });

  test('messages still name files as the user typed them', () => {
    const clusters = folder('clusters');
    fs.writeFileSync(path.join(clusters, 'bad.yaml'), profileYaml({ ...ACK_TERWAY, nodes: 0 }, 'bad'));
    let error: ProfileError | undefined;
    try {
      synthesizeFleet({ clustersDir: clusters, outdir: path.join(temp.path, 'dist') });
    } catch (e) {
      error = e as ProfileError;
    }
    expect(error!.diagnostics.map(formatDiagnostic)).toEqual([`${path.join(clusters, 'bad.yaml')}:9:10 spec.nodes: must be at least 1 (got 0)`]);
  });
});
