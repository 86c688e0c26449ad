import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatDiagnostic } from '../lib/profile/diagnostics';
import { loadProfiles } from '../lib/cluster/load';
import { ACK_TERWAY, KUBEADM_CALICO, load, loadSpec, profileYaml } from './support/profiles';

describe('profile loading', () => {
  test('a valid profile loads with its defaults resolved', () => {
    const { loaded, errors } = loadSpec({ ...ACK_TERWAY, networkPolicy: 'relay' });
    expect(errors).toEqual([]);
    expect(loaded?.cluster.networkPolicy).toBe('relay');
    expect(loaded?.cluster.typha?.replicas).toBe(5);
  });

  test('fails on a file that is not YAML, with a position and no stack trace', () => {
    const { errors } = load('apiVersion: netscale.dev/v1alpha1\nspec: [unclosed\n');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^clusters\/test\.yaml:\d+:\d+ is not valid YAML/);
  });

  test('fails on a __proto__ key, which JavaScript would drop without a word, wherever it sits', () => {
    const labels = profileYaml(ACK_TERWAY).replace('metadata:\n', 'metadata:\n  labels:\n    __proto__: x\n    team: net\n');
    expect(load(labels).errors).toEqual([
      'clusters/test.yaml:5:5 metadata.labels.__proto__: is a key netscale cannot keep (JavaScript reserves __proto__ and would drop it ' +
        'silently): rename it',
    ]);
    const tags = profileYaml({ ...ACK_TERWAY, terway: { eniTags: { a: 'b' } } }).replace('      a: b', '      a: b\n      __proto__: c');
    expect(load(tags).errors).toEqual([
      expect.stringMatching(/^clusters\/test\.yaml:\d+:7 spec\.terway\.eniTags\.__proto__: is a key netscale cannot keep/),
    ]);
  });

  test('fails on a duplicate key, naming the key and its field', () => {
    const top = load(`${profileYaml(ACK_TERWAY)}spec:\n  nodes: 3\n`);
    expect(top.errors).toEqual([
      expect.stringMatching(/^clusters\/test\.yaml:\d+:1 spec: has a duplicate key "spec" \(first on line 5\): each field may appear once$/),
    ]);
    const inner = load(profileYaml(ACK_TERWAY).replace('  nodes: 1000\n', '  nodes: 1000\n  maxPodsPerNode: 64\n  nodes: 900\n'));
    const line =
      profileYaml(ACK_TERWAY)
        .split('\n')
        .findIndex((l) => l === '  nodes: 1000') + 3;
    expect(inner.errors).toEqual([
      `clusters/test.yaml:${line}:3 spec.nodes: has a duplicate key "nodes" (first on line ${line - 2}): each field may appear once`,
    ]);
  });

  test('fails on a file indented with tabs with one error, not one per line', () => {
    const text = profileYaml(ACK_TERWAY).replace(/\n {2}(?=\S)/g, '\n\t');
    const { errors } = load(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      new RegExp(
        /^clusters\/test\.yaml:\d+:1 is indented with tabs \(lines \d+, \d+, \d+, \d+, \d+ and \d+ more\): /.source +
          /YAML needs spaces for indentation; replace each tab with spaces$/.source,
      ),
    );
  });

  test('fails on an unquoted version that YAML reads as a number, saying to quote it', () => {
    const text = profileYaml(ACK_TERWAY).replace(/kubernetesVersion: .*/, 'kubernetesVersion: 1.30');
    expect(load(text).errors).toEqual([
      expect.stringMatching(/ spec\.kubernetesVersion: must be a string \(got the number 1\.30, which YAML reads as 1\.3\): quote it, "1\.30"$/),
    ]);
  });

  test('fails on two documents in one file', () => {
    const { errors } = load(`${profileYaml(ACK_TERWAY)}---\n${profileYaml(ACK_TERWAY, 'other')}`);
    expect(errors).toEqual([expect.stringMatching(/holds more than one YAML document: one ClusterProfile per file/)]);
  });

  test('fails on an empty file and on a scalar', () => {
    expect(load('').errors).toEqual(['clusters/test.yaml:1:1 is empty: expected one ClusterProfile document']);
    expect(load('42\n').errors).toEqual(['clusters/test.yaml:1:1 must be a ClusterProfile mapping (apiVersion, kind, metadata, spec)']);
  });

  test('fails on aliases that expand too far', () => {
    const text = `${profileYaml(ACK_TERWAY)}x: &a [1,1,1,1,1,1,1,1,1,1]\n` + Array.from({ length: 120 }, (_, i) => `y${i}: *a`).join('\n');
    expect(load(text).errors).toEqual(['clusters/test.yaml:1:1 expands YAML aliases too many times: write the values out']);
  });

  test('fails on an alias without its anchor, and on an alias inside its own anchor', () => {
    expect(load(profileYaml(ACK_TERWAY).replace('nodes: 1000', 'nodes: *count')).errors).toEqual([
      'clusters/test.yaml:9:10 uses the alias *count, whose anchor &count is not defined before it',
    ]);
    const cyclic = profileYaml(ACK_TERWAY).replace('metadata:\n', 'metadata:\n  labels: &l { a: *l }\n');
    expect(load(cyclic).errors).toEqual([
      'clusters/test.yaml:1:1 has an alias inside its own anchor, which makes a value that contains itself: write the values out',
    ]);
  });

  test('fails on a name too long to be a file name in dist/', () => {
    const { errors } = loadSpec({ ...KUBEADM_CALICO, kubeProxy: { configMapName: `${'a'.repeat(60)}.`.repeat(4).slice(0, 239) } });
    expect(errors).toEqual([
      expect.stringContaining('spec.kubeProxy.configMapName: must be at most 200 characters: the name also names a file in dist/'),
    ]);
  });

  test('an alias inside a profile is resolved, and its errors point into the file', () => {
    const text = profileYaml(ACK_TERWAY).replace('spec:\n', 'spec:\n  typha: &t\n    replicas: 0\n  networkPolicy: relay\n');
    expect(load(text).errors).toEqual(['clusters/test.yaml:7:15 spec.typha.replicas: must be at least 1 (got 0)']);
  });

  test('lists every problem at once, each with file, line, column, field path, value and what is valid', () => {
    const text = [
      'apiVersion: netscale.dev/v1alpha1',
      'kind: ClusterProfile',
      'metadata:',
      '  name: Prod_SH',
      'spec:',
      '  platform: aks',
      '  cni: terway',
      '  kubernetesVersion: 1.27',
      '  nodes: -4',
      '  netwrkPolicy: relay',
      '',
    ].join('\n');
    expect(load(text, 'clusters/prod.yaml').errors).toEqual([
      'clusters/prod.yaml:4:9 metadata.name: must be a DNS label: lowercase letters, digits and "-", at most 63 characters, starting and ' +
        'ending with a letter or digit (got "Prod_SH")',
      'clusters/prod.yaml:6:13 spec.platform: must be one of ack, kubeadm, k3s (got "aks")',
      'clusters/prod.yaml:8:22 spec.kubernetesVersion: must be a string (got the number 1.27): quote it, "1.27"',
      'clusters/prod.yaml:9:10 spec.nodes: must be at least 1 (got -4)',
      'clusters/prod.yaml:10:3 spec.netwrkPolicy: unknown field (did you mean "networkPolicy"?); valid fields here: platform, cni, ' +
        'kubernetesVersion, nodes, cpuPerNode, maxPodsPerNode, region, networkPolicy, serviceCidr, nodeCidr, nodeKernel, typha, terway, kubeProxy, ' +
        'calico, cilium, monitoring, argocd',
    ]);
  });

  test('fails on a missing required field, pointing at the enclosing field', () => {
    const { nodes: _, ...spec } = ACK_TERWAY;
    expect(loadSpec(spec).errors).toEqual(['clusters/test.yaml:5:1 spec.nodes: is required']);
  });

  test('fails on the wrong apiVersion and kind', () => {
    const text = profileYaml(ACK_TERWAY).replace('netscale.dev/v1alpha1', 'netscale.dev/v1').replace('kind: ClusterProfile', 'kind: Cluster');
    expect(load(text).errors).toEqual([
      'clusters/test.yaml:1:13 apiVersion: must be "netscale.dev/v1alpha1" (got "netscale.dev/v1")',
      'clusters/test.yaml:2:7 kind: must be "ClusterProfile" (got "Cluster")',
    ]);
  });

  test('fails on access keys anywhere in the terway section, pointing to credential_path', () => {
    const { errors } = loadSpec({ ...ACK_TERWAY, terway: { access_key: 'LTAI5tExample', eniConf: { access_secret: 'abc' } } });
    expect(errors.map((e) => e.split(' ').slice(0, 2).join(' ')).sort()).toEqual([
      'clusters/test.yaml:13:5 spec.terway.access_key:',
      'clusters/test.yaml:15:7 spec.terway.eniConf.access_secret:',
    ]);
    for (const e of errors)
      expect(e).toMatch(
        new RegExp(
          /holds a cloud credential, which must never be committed: .*credential_path \(default \/var\/addon\/token-config\), /.source +
            /the RAM role ACK mounts on every node$/.source,
        ),
      );
    expect(errors.join('\n')).not.toMatch(/LTAI5tExample|abc/);
  });

  test('fails on an invalid record key with the key named', () => {
    const { errors } = loadSpec({
      ...ACK_TERWAY,
      terway: { vswitches: { 'cn-shanghai-f': ['vsw-abc'], Shanghai: ['vsw-def'] }, securityGroups: ['sg-a'], serviceCidr: '172.16.0.0/16' },
    });
    expect(errors).toEqual([
      expect.stringContaining('spec.terway.vswitches.Shanghai: key "Shanghai" must be an Alibaba Cloud zone id such as cn-shanghai-f'),
    ]);
  });

  test('fails on an image tagged latest or not pinned', () => {
    const relay = { ...ACK_TERWAY, networkPolicy: 'relay' };
    expect(loadSpec({ ...relay, typha: { image: 'docker.io/calico/typha:latest' } }).errors).toEqual([
      expect.stringContaining('spec.typha.image: must not use the tag "latest": pin a version'),
    ]);
    expect(loadSpec({ ...relay, typha: { image: 'docker.io/calico/typha' } }).errors).toEqual([
      expect.stringContaining('spec.typha.image: must be a pinned image reference'),
    ]);
  });
});

describe('sections that do not fit the cluster', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    [
      'fails on terway off ACK',
      { ...KUBEADM_CALICO, cni: 'terway' },
      'spec.cni: terway runs only on ACK (platform: ack), not on kubeadm; use calico or cilium',
    ],
    [
      'fails on a terway section with another CNI',
      { ...KUBEADM_CALICO, terway: {} },
      'spec.terway: applies to ACK clusters with cni: terway only (this one is kubeadm with calico): remove the section',
    ],
    ['fails on ACK without a region', { ...ACK_TERWAY, region: undefined }, 'spec.region: is required on ACK'],
    ['fails on a region off ACK', { ...KUBEADM_CALICO, region: 'cn-shanghai' }, 'spec.region: applies to ACK only (platform is kubeadm): remove it'],
    [
      'fails on a relay with Cilium',
      { ...KUBEADM_CALICO, cni: 'cilium', networkPolicy: 'relay' },
      'spec.networkPolicy: relay does not apply to Cilium',
    ],
    ['fails on disabled policy with Calico', { ...KUBEADM_CALICO, networkPolicy: 'disabled' }, 'spec.networkPolicy: disabled applies to Terway only'],
    [
      'fails on typha settings without the relay',
      { ...ACK_TERWAY, networkPolicy: 'disabled', typha: { replicas: 4 } },
      'spec.typha: configures the Typha relay, which runs only with networkPolicy: relay (this profile has disabled)',
    ],
    [
      'fails on a cilium section with another CNI',
      { ...KUBEADM_CALICO, cilium: { version: '1.18.12', k8sServiceHost: '10.0.0.1', k8sServicePort: 6443 } },
      "spec.cilium: configures Cilium, but the profile's cni is calico: set cni: cilium or remove the section",
    ],
    [
      'fails on a calico section with another CNI',
      { ...ACK_TERWAY, calico: { mtu: 1500 } },
      "spec.calico: configures Calico, but the profile's cni is terway: set cni: calico or remove the section",
    ],
    [
      'fails on route reflectors without two named nodes',
      { ...KUBEADM_CALICO, calico: { bgp: { routeReflectors: { nodeSelector: "route-reflector == 'true'", nodes: ['rr-1'] } } } },
      'spec.calico.bgp.routeReflectors.nodes: must name at least two reflector nodes',
    ],
    [
      'fails on a cluster named like a dist/ folder',
      { ...ACK_TERWAY, networkPolicy: 'relay' },
      'metadata.name: "reviews" names a folder netscale keeps in dist/',
    ],
  ];
  test.each(cases)('%s', (_, spec, message) => {
    const name = message.startsWith('metadata.name') ? 'reviews' : 'test-cluster';
    const clean = Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
    const { errors } = load(profileYaml(clean, name));
    expect(errors).toEqual([expect.stringContaining(message)]);
  });
});

describe('a folder of profiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netscale-load-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('fails on two profiles with the same name, naming both files', () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), profileYaml(ACK_TERWAY, 'prod'));
    fs.writeFileSync(path.join(dir, 'b.yml'), profileYaml(ACK_TERWAY, 'prod'));
    const errors = loadProfiles(dir)
      .diagnostics.filter((d) => d.severity === 'error')
      .map(formatDiagnostic);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/a\.yaml:4:9 metadata\.name: "prod" is also the name in .*b\.yml: each cluster needs its own name/);
    expect(errors[1]).toMatch(/b\.yml:4:9 metadata\.name: "prod" is also the name in .*a\.yaml/);
  });

  test('reports the problems of every file, not only the first', () => {
    fs.writeFileSync(path.join(dir, 'a.yaml'), profileYaml({ ...ACK_TERWAY, nodes: 0 }, 'a'));
    fs.writeFileSync(path.join(dir, 'b.yaml'), ': : :\n');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a profile');
    const files = [
      ...new Set(
        loadProfiles(dir)
          .diagnostics.filter((d) => d.severity === 'error')
          .map((d) => path.basename(d.file)),
      ),
    ];
    expect(files).toEqual(['a.yaml', 'b.yaml']);
  });

  test('fails on a folder without profiles and on a missing folder', () => {
    expect(loadProfiles(dir).diagnostics.map((d) => d.message)).toEqual(['holds no ClusterProfile (*.yaml, *.yml)']);
    expect(loadProfiles(path.join(dir, 'nope')).diagnostics.map((d) => d.message)).toEqual([
      'is not a folder of ClusterProfile files (set CLUSTERS_DIR)',
    ]);
  });
});
