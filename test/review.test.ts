import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { FELIX_WATCHED_RESOURCE_TYPES } from '../lib/components/typha/facts';
import { typhaConnectionLimits } from '../lib/components/typha/releases';
import { apiServerWatches, typhaHeadroom } from '../lib/components/typha/sizing';
import { parseCalicoRelease } from '../lib/components/calico/facts';
import { explainProfile, synthesizeCluster, synthesizeFleet } from '../lib/output/fleet';
import { ProfileError } from '../lib/profile/diagnostics';
import { runCli } from './support/cli';
import { snapshot, tempDirPerTest } from './support/files';
import { ACK_TERWAY, KUBEADM_CALICO, KUBEADM_CILIUM, loadSpec, profileYaml } from './support/profiles';

const ROOT = path.join(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'clusters');

const temp = tempDirPerTest('review');

describe('the capacity model against hand-worked figures', () => {
  // Felix watches 16 resource types; Typha's limit is types x (1 + nodes x 1.2 / (replicas - 1)).
  test.each([
    // nodes, replicas, without relay, with relay, reduction
    [150, 3, 2400, 48, 50],
    [1000, 5, 16000, 80, 200],
    [4000, 20, 64000, 320, 200],
  ])('%i nodes with %i Typha replicas: %i watches -> %i (%ix fewer)', (nodes, replicas, without, withRelay, reduction) => {
    expect(FELIX_WATCHED_RESOURCE_TYPES).toBe(16);
    const w = apiServerWatches(nodes, replicas);
    expect([w.withoutRelay, w.withRelay, w.reduction]).toEqual([without, withRelay, reduction]);
  });

  test.each([
    // nodes, replicas, clients per node, Typha release, per replica, one down, limit, headroom
    [150, 3, 1, '3.28.5', 50, 75, 400, (400 - 75) / 400], // 4 x (1 + 90) = 364, raised to the floor 400
    [1000, 5, 1, '3.28.5', 200, 250, 1204, (1204 - 250) / 1204], // 4 x (1 + 300) = 1204
    [1200, 6, 2, '3.30.5', 400, 480, 1156, (1156 - 480) / 1156], // 4 x (1 + 288) = 1156
    [20000, 20, 1, '3.31.7', 1000, 1053, 5056, (5056 - 1053) / 5056], // 4 x (1 + 1263) = 5056
    [100000, 2, 1, '3.30.5', 50000, 100000, 10000, (10000 - 100000) / 10000], // capped at 10000: overloaded
    // ACK's v3.5.8: 1 + nodes x 120 / (replicas - 1) / 100, no syncer multiplier, floor 100.
    [1000, 5, 1, '3.5.8', 200, 250, 301, (301 - 250) / 301], // 1 + 300
    [150, 3, 1, '3.5.8', 50, 75, 100, (100 - 75) / 100], // 1 + 90 = 91, raised to the floor 100
    [3000, 15, 1, '3.5.8', 200, 215, 258, (258 - 215) / 258], // 1 + 3000 x 120 / 14 / 100 = 1 + 257 (integer division)
  ])(
    '%i nodes, %i replicas, %i client(s) per node, Typha %s: headroom with one replica down',
    (nodes, replicas, clientsPerNode, release, perReplica, oneDown, limit, headroom) => {
      const h = typhaHeadroom({ nodes, replicas, clientsPerNode, limits: typhaConnectionLimits(parseCalicoRelease(release)) });
      expect([h.perReplica, h.perReplicaOneDown, h.limit]).toEqual([perReplica, oneDown, limit]);
      expect(h.headroom).toBeCloseTo(headroom, 10);
    },
  );

  test("the ACK capacity row uses v3.5.8's own limit, rounded for people", () => {
    const { loaded } = loadSpec({ ...ACK_TERWAY, networkPolicy: 'relay' });
    const row = loaded!.cluster.decisions.find((d) => d.name === 'Typha connections per replica')!;
    expect(row.rule).toBe(
      "1,000 nodes x 1 client / 5 replicas; with one down / 4; Typha's own limit min(10000, max(100, 1 + 1000 x 1.2 / 4)) = 301; headroom 16.9%",
    );
    expect(row.headroom).toBe('16.9%');
  });

  test('ratios are rounded for people: 400 nodes against 3 replicas read 133.3x, not 133.33333333333334x', () => {
    const { loaded } = loadSpec({ ...KUBEADM_CALICO, nodes: 400, networkPolicy: 'direct' });
    const d = loaded!.cluster.decisions.find((x) => x.name === 'API server watches from Felix')!;
    expect(d.rule).toContain('133.3x fewer');
    expect(d.rule).not.toMatch(/\d\.\d{2,}x/);
  });

  test('the review of a relay profile carries the figures in its capacity table, from the same numbers', () => {
    const out = path.join(temp.path, 'dist');
    const clusters = path.join(temp.path, 'clusters');
    fs.mkdirSync(clusters);
    fs.writeFileSync(path.join(clusters, 'a.yaml'), profileYaml({ ...ACK_TERWAY, networkPolicy: 'relay' }, 'big'));
    synthesizeFleet({ clustersDir: clusters, outdir: out });
    const review = fs.readFileSync(path.join(out, 'reviews', 'big.md'), 'utf8');
    expect(review).toContain(
      '| API server watches from Felix | 16,000 -> 80 | 1,000 nodes x 16 resource types = 16,000 watches without the relay; 5 Typha replicas ' +
        'x 16 = 80 with it, 200x fewer |',
    );
    expect(review).toMatch(/\| Typha connections per replica \| 200 \(250 with one down\) \| .*= 301; headroom 16.9% \| 16.9% \|/);
    const replicas = fs.readFileSync(path.join(out, 'big', 'Deployment.calico-typha.k8s.yaml'), 'utf8').match(/replicas: (\d+)/)![1];
    expect(replicas).toBe('5');
  });

  test('a direct profile shows what the relay would save', () => {
    const { loaded } = loadSpec({ ...KUBEADM_CALICO, networkPolicy: 'direct' });
    const d = loaded!.cluster.decisions.find((x) => x.name === 'API server watches from Felix')!;
    expect(d.value).toBe('9,600');
    expect(d.rule).toBe(
      '600 nodes x 16 resource types = 9,600 watches; the relay (networkPolicy: relay) would cut them to 3 Typha replicas x 16 = 48, 200x fewer',
    );
  });

  test('every warning names its field and links the advice behind it', () => {
    const review = fs.readFileSync(path.join(ROOT, 'dist', 'reviews', 'ack-sh-vswitch.md'), 'utf8');
    const warnings = review
      .split('## Warnings')[1]
      .split('##')[0]
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('- '));
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    for (const w of warnings) expect(w).toMatch(/^- clusters\/[\w.-]+\.yaml:\d+:\d+ spec\.[\w.[\]"-]+: .+ \(\[[^\]]+\]\(https:\/\/[^)]+\)\)$/);
  });
});

describe('the fleet index', () => {
  test('lists every cluster once, with a link to its review, what needs attention first', () => {
    const out = path.join(temp.path, 'dist');
    const result = synthesizeFleet({ clustersDir: EXAMPLES, outdir: out });
    const index = fs.readFileSync(path.join(out, 'reviews', 'README.md'), 'utf8');
    const fleetTable = index.slice(0, index.indexOf('## IPVS to nftables'));
    const rows = fleetTable.split('\n').filter((l) => l.startsWith('| ['));
    const names = rows.map((r) => r.match(/^\| \[([^\]]+)\]\(([^)]+)\)/)!.slice(1));
    expect(names.map(([n]) => n).sort()).toEqual([...result.clusters].sort());
    // Flagged clusters lead; the rest follow by name.
    const flagged = rows.filter((r) => r.split(' | ')[1] !== '');
    expect(rows.slice(0, flagged.length)).toEqual(flagged);
    const rest = names.slice(flagged.length).map(([n]) => n);
    expect(rest).toEqual([...rest].sort());
    for (const [name, link] of names) {
      expect(link).toBe(`${name}.md`);
      expect(fs.existsSync(path.join(out, 'reviews', link))).toBe(true);
    }
    // One warning: its restart Job's kubectl comes from registry.k8s.io, which cn-shanghai may not reach.
    expect(rows.find((r) => r.startsWith('| [ack-sh-relay]'))).toBe(
      '| [ack-sh-relay](ack-sh-relay.md) | Typha connections per replica: 16.9% headroom; 1 warning | ACK | 1,000 | terway | relay | 5 | ' +
        'unchanged | 1 |',
    );
    expect(rows.find((r) => r.startsWith('| [dc2-calico-bgp]'))).toBe(
      '| [dc2-calico-bgp](dc2-calico-bgp.md) |  | kubeadm | 1,200 | calico | relay | 6 | kube-proxy IPVS lc | 0 |',
    );
  });
});

describe('the IPVS to nftables table of the fleet index', () => {
  const index = (profiles: Record<string, Record<string, unknown>>) => {
    const clusters = path.join(temp.path, 'clusters');
    fs.mkdirSync(clusters, { recursive: true });
    for (const [name, spec] of Object.entries(profiles)) fs.writeFileSync(path.join(clusters, `${name}.yaml`), profileYaml(spec, name));
    synthesizeFleet({ clustersDir: clusters, outdir: path.join(temp.path, 'dist') });
    const text = fs.readFileSync(path.join(temp.path, 'dist', 'reviews', 'README.md'), 'utf8');
    return text.slice(text.indexOf('## IPVS to nftables'));
  };

  test('lists every cluster still on IPVS with its Kubernetes version and the minor releases left before IPVS is off by default (1.40)', () => {
    const kp = (mode?: string) => ({
      kubeProxy: {
        ...(mode ? { mode } : {}),
        baseConfig: 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n',
      },
    });
    const table = index({
      old: { ...KUBEADM_CALICO, nodes: 40, kubernetesVersion: '1.28', ...kp('ipvs') },
      held: { ...KUBEADM_CALICO, nodes: 40, kubernetesVersion: '1.33', ...kp() },
      late: { ...KUBEADM_CALICO, nodes: 40, kubernetesVersion: '1.36.1', ...kp('ipvs') },
      ack: { ...ACK_TERWAY, nodes: 40, kubernetesVersion: '1.34', ...kp('ipvs') },
      moved: { ...KUBEADM_CALICO, nodes: 40, kubernetesVersion: '1.33', calico: { version: '3.32.1' }, ...kp('nftables') },
      untuned: { ...KUBEADM_CALICO, nodes: 40 },
    });
    const rows = table.split('\n').filter((l) => l.startsWith('| ['));
    expect(rows).toEqual([
      '| [ack](ack.md) | 1.34 | 6 | ACK offers nftables from 1.35: upgrade first |',
      '| [held](held.md) | 1.33 | 7 | GA: ready to move |',
      '| [late](late.md) | 1.36.1 | 4 | GA; IPVS deprecated here: move now |',
      '| [old](old.md) | 1.28 | 12 | none before 1.29: upgrade first |',
    ]);
    expect(table).toContain(
      'planned to be off by default in 1.40 (the KubeProxyIPVS feature gate keeps it a while longer) and removed in 1.43 ([KEP-5495: ' +
        'deprecate IPVS mode in kube-proxy](https://github.com/kubernetes/enhancements/tree/master/keps/sig-network/5495-deprecate-ipvs-mode-in-kube-proxy))',
    );
  });

  test('says None when no cluster runs IPVS', () => {
    expect(index({ untuned: { ...KUBEADM_CALICO, nodes: 40 } })).toContain('Clusters whose profile runs kube-proxy in IPVS mode:\n\nNone.');
  });
});

describe('one cluster at a time', () => {
  test('renders that cluster as the full synth does and leaves every other file byte-identical', () => {
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: EXAMPLES, outdir: out });
    const before = snapshot(out);
    // Make the cluster's files stale, and another cluster's too, to see which ones are rewritten.
    fs.rmSync(path.join(out, 'dc1-calico-ipip'), { recursive: true });
    fs.writeFileSync(path.join(out, 'reviews', 'dc1-calico-ipip.md'), 'stale');
    fs.writeFileSync(path.join(out, 'reviews', 'ack-sh-relay.md'), 'left alone');
    synthesizeCluster({ clustersDir: EXAMPLES, outdir: out, cluster: 'dc1-calico-ipip' });
    expect(snapshot(out)).toEqual({ ...before, 'reviews/ack-sh-relay.md': 'left alone' });
  });

  test('writes the Cilium values file of that cluster', () => {
    const out = path.join(temp.path, 'dist');
    synthesizeFleet({ clustersDir: EXAMPLES, outdir: out });
    const before = snapshot(out);
    fs.rmSync(path.join(out, 'values', 'k3s-lab-kpr.cilium-values.yaml'));
    synthesizeCluster({ clustersDir: EXAMPLES, outdir: out, cluster: 'k3s-lab-kpr' });
    expect(snapshot(out)).toEqual(before);
  });

  test('fails on an unknown cluster name, and on a broken profile that mentions it', () => {
    expect(() => synthesizeCluster({ clustersDir: EXAMPLES, outdir: path.join(temp.path, 'd'), cluster: 'nope' })).toThrow(
      'holds no ClusterProfile named "nope"',
    );
    const clusters = path.join(temp.path, 'c');
    fs.mkdirSync(clusters);
    fs.writeFileSync(path.join(clusters, 'x.yaml'), profileYaml({ ...ACK_TERWAY, nodes: 0 }, 'broken'));
    expect(() => synthesizeCluster({ clustersDir: clusters, outdir: path.join(temp.path, 'd'), cluster: 'broken' })).toThrow(
      'spec.nodes: must be at least 1 (got 0)',
    );
  });
});

describe('explain', () => {
  test('prints the resolved profile and the review, and writes nothing', () => {
    const before = fs.readdirSync(temp.path);
    const e = explainProfile(path.join(EXAMPLES, 'calico-ipip-ipvs.yaml'));
    expect(e.resolved).toContain('replicas: 3');
    expect(e.resolved).toContain('conntrackMaxPerCore: 144420');
    expect(e.review).toBe(fs.readFileSync(path.join(ROOT, 'dist', 'reviews', 'dc1-calico-ipip.md'), 'utf8'));
    expect(fs.readdirSync(temp.path)).toEqual(before);
  });

  test('fails on a file that cannot be read, and the command refuses unknown arguments', async () => {
    expect(() => explainProfile(path.join(temp.path, 'missing.yaml'))).toThrow(/missing\.yaml:1:1 cannot be read: ENOENT/);
    const run = await runCli(['--clusters', 'x']);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('error: unknown option "--clusters" for synth (did you mean "--cluster"?); run netscale help synth\n');
  });

  test('exits non-zero with the same errors synth gives for that profile, without claiming to have spared dist/', async () => {
    const clusters = path.join(temp.path, 'c');
    fs.mkdirSync(clusters);
    const bad = path.join(clusters, 'bad.yaml');
    fs.writeFileSync(bad, profileYaml({ ...ACK_TERWAY, nodes: 'many', typha: { replicas: 2 } }, 'bad'));
    const explain = await runCli(['explain', bad]);
    const synth = await runCli([], { env: { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: path.join(temp.path, 'out') } });
    expect(explain.status).toBe(1);
    expect(synth.status).toBe(1);
    // The same problems; the first line names the output folder, which explain never writes and does not mention.
    const problems = (stderr: string) => stderr.split('\n').slice(1);
    expect(problems(explain.stderr)).toEqual(problems(synth.stderr));
    expect(synth.stderr.split('\n')[0]).toBe(`error: 1 problem in the cluster profiles; ${path.join(temp.path, 'out')}/ was not changed:`);
    expect(explain.stderr.split('\n')[0]).toBe('error: 1 problem in the cluster profiles:');
    expect(explain.stderr).toContain('spec.nodes: must be a number (got "many")');
    expect(explain.stdout).toBe('');
    expect(() => explainProfile(bad)).toThrow(ProfileError);
  });
});

describe('reviews of Cilium clusters', () => {
  const CILIUM = KUBEADM_CILIUM;
  const K3S = {
    platform: 'k3s',
    cni: 'cilium',
    kubernetesVersion: '1.30',
    nodes: 3,
    cilium: { version: '1.18.12', k8sServiceHost: '192.168.2.43', k8sServicePort: 6443, operatorReplicas: 1 },
  };
  const ARGOCD = { repoURL: 'https://git.example.com/platform/fleet.git' };

  function synth(profiles: Record<string, Record<string, unknown>>): { out: string; review: (name: string) => string; warnings: string[] } {
    const clusters = path.join(temp.path, 'clusters');
    fs.mkdirSync(clusters, { recursive: true });
    for (const [name, spec] of Object.entries(profiles)) fs.writeFileSync(path.join(clusters, `${name}.yaml`), profileYaml(spec, name));
    const out = path.join(temp.path, 'dist');
    const result = synthesizeFleet({ clustersDir: clusters, outdir: out });
    return {
      out,
      review: (name) => fs.readFileSync(path.join(out, 'reviews', `${name}.md`), 'utf8'),
      warnings: result.warnings.map((w) => `${w.path}: ${w.message}`),
    };
  }

  /** Every Markdown table starts with a header row and its separator. */
  function tablesWithoutHeader(markdown: string): string[] {
    const lines = markdown.split('\n');
    return lines.filter((line, i) => line.startsWith('|') && !(lines[i - 1] ?? '').startsWith('|') && !/^\| --- /.test(lines[i + 1] ?? ''));
  }

  test('a cluster whose folder is empty gets no "Argo CD syncs dist/<cluster>" section, no Felix rows, and tables with headers', () => {
    const { review } = synth({ edge: { ...CILIUM, argocd: { ...ARGOCD, destination: { name: 'edge' } } } });
    const text = review('edge');
    expect(text).not.toContain('Argo CD syncs `dist/edge`');
    expect(text).toContain('Argo CD syncs the Cilium chart 1.18.12 to cluster edge through the Application `edge-cilium`');
    expect(text).not.toMatch(/Felix/);
    expect(tablesWithoutHeader(text)).toEqual([]);
    expect(text).toContain('`helm install cilium cilium/cilium --version 1.18.12 --namespace kube-system -f dist/values/edge.cilium-values.yaml`');
    expect(text).toContain('`argocd app terminate-op edge-cilium`');
  });

  test('every committed review has a header on every table', () => {
    for (const file of fs.readdirSync(path.join(ROOT, 'dist', 'reviews')))
      expect([file, tablesWithoutHeader(fs.readFileSync(path.join(ROOT, 'dist', 'reviews', file), 'utf8'))]).toEqual([file, []]);
  });

  test('an Argo CD that runs in the cluster whose Cilium it syncs is warned about, and the review gives the way back with Helm', () => {
    const { review, warnings } = synth({ self: { ...CILIUM, argocd: ARGOCD } });
    expect(warnings).toContain(
      'spec.argocd: Argo CD runs in this cluster (no destination elsewhere) and syncs the Cilium Application, so it manages its own network: ' +
        'a values change that breaks the datapath also cuts Argo CD off, and it cannot sync the fix. The review gives the commands to recover by ' +
        'hand; or set spec.argocd.destination and manage this cluster from an Argo CD that runs elsewhere',
    );
    const text = review('self');
    expect(text).toContain('`kubectl -n argocd patch application self-cilium --type merge -p \'{"spec":{"syncPolicy":{"automated":null}}}\'`');
    expect(text).toContain('`git show <last good commit>:dist/values/self.cilium-values.yaml > good-values.yaml`');
    expect(text).toContain(
      '`helm upgrade cilium cilium/cilium --version <chart version of that commit> --namespace kube-system -f good-values.yaml`',
    );
  });

  test('an Argo CD elsewhere gets neither the warning nor the recovery steps', () => {
    const { review, warnings } = synth({ remote: { ...CILIUM, argocd: { ...ARGOCD, destination: { server: 'https://remote.example.com:6443' } } } });
    expect(warnings.filter((w) => w.startsWith('spec.argocd:'))).toEqual([]);
    expect(review('remote')).not.toContain('good-values.yaml');
  });

  test('k3s: the HelmChart aborts on failure, and under Argo CD is never pruned or deleted, nor also copied into the manifests folder', () => {
    const { out, review, warnings } = synth({ lab: { ...K3S, argocd: ARGOCD } });
    const chart = parse(fs.readFileSync(path.join(out, 'lab', 'HelmChart.cilium.k8s.yaml'), 'utf8'));
    expect(chart.spec.failurePolicy).toBe('abort');
    expect(chart.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    const text = review('lab');
    expect(text).not.toMatch(/put `dist\/lab\/HelmChart\.cilium\.k8s\.yaml` in `\/var\/lib\/rancher\/k3s\/server\/manifests\/`/);
    expect(text).toContain('Do not also put it in `/var/lib/rancher/k3s/server/manifests/`');
    expect(text).toContain('`helm -n kube-system rollback cilium <revision>`');
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^spec\.argocd: Argo CD runs in this cluster .* syncs the Cilium HelmChart in the cluster folder/),
      ]),
    );
  });

  test('k3s without Argo CD: the HelmChart carries no Argo CD annotation, and the manifests folder is one way to apply it', () => {
    const { out, review } = synth({ lab: K3S });
    const chart = parse(fs.readFileSync(path.join(out, 'lab', 'HelmChart.cilium.k8s.yaml'), 'utf8'));
    expect(chart.metadata.annotations).toBeUndefined();
    expect(review('lab')).toContain(
      'On a new cluster put `dist/lab/HelmChart.cilium.k8s.yaml` in `/var/lib/rancher/k3s/server/manifests/` on the first server',
    );
  });
});
