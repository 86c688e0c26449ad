/**
 * Off IPVS: kube-proxy's nftables mode as a reviewed, ordered migration, with Calico's Felix
 * switched to match according to its release (spec.calico.version).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { tempDirPerTest } from './support/files';
import { getKind, Kinds } from './support/kinds';
import { KUBEADM_CALICO, loadSpec, Spec } from './support/profiles';
import { K8sObject, readManifests } from './support/validate';
import { synthCluster } from './support/synth';

const ROOT = path.join(__dirname, '..');
const COMMITTED = path.join(ROOT, 'dist');
const temp = tempDirPerTest('nftables');

const IPVS_CONFIG = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
iptables:
  masqueradeAll: false
  masqueradeBit: 14
mode: ipvs
ipvs:
  scheduler: lc
  minSyncPeriod: 0s
`;

/** A kubeadm Calico cluster on 1.33 moving kube-proxy to nftables. */
const moving = (calico: Spec, extra: Spec = {}): Spec => ({
  ...KUBEADM_CALICO,
  kubernetesVersion: '1.33',
  nodes: 40,
  calico,
  kubeProxy: { mode: 'nftables', baseConfig: IPVS_CONFIG },
  ...extra,
});

function synthOne(spec: Spec, name = 'nft'): { objects: Record<string, K8sObject>; review: string } {
  const { objects, review } = synthCluster(temp.path, spec, name);
  return { objects: Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata?.name}`, o])), review };
}

describe('the example: a held-back 1.33 kubeadm Calico cluster moves from ipvs to nftables', () => {
  const dir = path.join(COMMITTED, 'dc3-calico-nft');
  const objects = Object.fromEntries(readManifests(dir).map((m) => [`${m.object.kind}/${m.object.metadata?.name}`, m.object]));
  const review = fs.readFileSync(path.join(COMMITTED, 'reviews', 'dc3-calico-nft.md'), 'utf8');
  const wave = (id: string) => objects[id].metadata!.annotations!['argocd.argoproj.io/sync-wave'];

  test('renders Felix nftablesMode Enabled: Calico 3.30 has the switch, not Auto', () => {
    expect(objects['FelixConfiguration/default'].spec).toEqual({ nftablesMode: 'Enabled' });
  });

  test('renders mode nftables with its nftables section and no IPVS settings', () => {
    const config = parse((objects['ConfigMap/kube-proxy'] as Kinds['ConfigMap']).data!['config.conf']);
    expect(config.mode).toBe('nftables');
    expect(config.nftables).toEqual({ masqueradeAll: false, masqueradeBit: 14, minSyncPeriod: '1s', syncPeriod: '30s' });
    expect(config.ipvs).toBeUndefined();
    expect(config.conntrack).toEqual({ maxPerCore: 65536, min: 2097152 });
  });

  test('waves in order: Felix first, then the kube-proxy ConfigMap, then a rolling kube-proxy restart', () => {
    expect(Number(wave('FelixConfiguration/default'))).toBeLessThan(Number(wave('ConfigMap/kube-proxy')));
    const restart = getKind(Object.values(objects), 'Job', 'netscale-restart-kube-proxy');
    expect(restart.metadata!.annotations!['argocd.argoproj.io/hook']).toBe('PostSync');
  });

  test('the review gives the migration, what each node runs in between, and the rollback in reverse order', () => {
    expect(review).toContain('Moving kube-proxy from ipvs to nftables, in this order:');
    expect(review).toContain('1. Felix first: FelixConfiguration default gets nftablesMode Enabled, applied before the kube-proxy ConfigMap.');
    expect(review).toContain('What each node runs in between:');
    expect(review).toContain(
      "every Felix restarts into nftables mode as soon as FelixConfiguration changes, while each node's kube-proxy keeps ipvs until its pod " +
        'is replaced',
    );
    expect(review).toContain('To roll back, go back to ipvs in reverse order, kube-proxy first, not by reverting the commit in one go');
    expect(review).toContain('set `calico.nftablesMode: Enabled`');
    // The order is the rollout's: migration text after the waves.
    expect(review.indexOf('Moving kube-proxy')).toBeGreaterThan(review.indexOf('## Rollout'));
  });

  test("the review states what changes for NodePorts given the cluster's baseConfig, and the node check", () => {
    expect(review).toContain('| NodePorts on 127.0.0.1 | unavailable, as under IPVS |');
    expect(review).toContain(
      "| nodePortAddresses | primary (nftables default) | baseConfig sets none: nftables answers NodePorts only on the node's primary addresses",
    );
    expect(review).toContain("| IPVS settings | dropped | baseConfig's ipvs section (minSyncPeriod, scheduler, strictARP, syncPeriod) is left out");
    expect(review).toContain('every node runs Linux 5.15.0-105-generic or newer (spec.nodeKernel)');
    expect(review).toContain('`kubectl -n kube-system exec ds/kube-proxy -- nft --version`');
  });
});

describe('Felix nftablesMode follows the Calico release', () => {
  // felix/config/config_params.go: NFTablesMode from 3.29.0 (Enabled|Disabled), Auto from 3.32.0.
  test.each([
    ['3.29.0', 'Enabled'],
    ['3.30.5', 'Enabled'],
    ['3.31.7', 'Enabled'],
    ['3.32.0', 'Auto'],
    ['3.32.1', 'Auto'],
  ])('Calico %s renders %s', (version, mode) => {
    const { loaded, errors } = loadSpec(moving({ version }));
    expect(errors).toEqual([]);
    expect(loaded!.cluster.calico!.network).toEqual({ nftablesMode: mode });
  });

  test('fails below 3.29, naming the releases that have the switch and Auto', () => {
    expect(loadSpec(moving({ version: '3.28.5' })).errors).toEqual([
      expect.stringContaining(
        "spec.calico.version: 3.28.5 has no nftables data plane: its Felix keeps programming iptables next to kube-proxy's nftables rules; " +
          'upgrade Calico to 3.29.0 or newer (3.32.0 or newer for Auto',
      ),
    ]);
  });

  test('fails without calico.version, which decides how Felix switches', () => {
    expect(loadSpec(moving({})).errors).toEqual([expect.stringContaining('spec.calico.version: is required with kubeProxy.mode: nftables')]);
    // Located at the calico section when there is one, and at spec when there is none.
    expect(loadSpec({ ...moving({}), calico: undefined }).errors).toEqual([
      expect.stringMatching(/^clusters\/test\.yaml:\d+:\d+ spec\.calico\.version: is required/),
    ]);
  });

  test('calico.nftablesMode overrides, within what the release and kube-proxy allow', () => {
    const errors = (calico: Spec, mode = 'nftables') =>
      loadSpec({ ...moving(calico), kubeProxy: { mode, baseConfig: IPVS_CONFIG.replace('mode: ipvs', `mode: ${mode}`) } });
    expect(errors({ version: '3.30.5', nftablesMode: 'Auto' }).errors).toEqual([
      expect.stringContaining(
        'spec.calico.nftablesMode: Auto needs Calico 3.32.0 or newer: the Felix of 3.30.5 replaces Auto with Disabled and keeps iptables',
      ),
    ]);
    expect(errors({ version: '3.30.5', nftablesMode: 'Disabled' }).errors).toEqual([
      expect.stringContaining('spec.calico.nftablesMode: Disabled keeps Felix on iptables while kube-proxy programs nftables'),
    ]);
    // A rollback to ipvs keeps Felix on nftables until kube-proxy has restarted.
    const back = errors({ version: '3.30.5', nftablesMode: 'Enabled' }, 'ipvs');
    expect(back.errors).toEqual([]);
    expect(back.warnings).toContainEqual(
      expect.stringContaining(
        'spec.calico.nftablesMode: Enabled while kube-proxy runs ipvs: Felix programs nftables and kube-proxy does not; keep it only while ' +
          'kube-proxy rolls back',
      ),
    );
    expect(back.loaded!.cluster.calico!.network).toEqual({ nftablesMode: 'Enabled' });
    expect(errors({ nftablesMode: 'Enabled' }, 'ipvs').errors).toEqual([
      expect.stringContaining('spec.calico.version: is required with calico.nftablesMode'),
    ]);
  });

  test('without the override, an ipvs cluster renders no nftablesMode', () => {
    const { loaded } = loadSpec({ ...moving({ version: '3.30.5' }), kubeProxy: { mode: 'ipvs', baseConfig: IPVS_CONFIG } });
    expect(loaded!.cluster.calico).toBeUndefined();
  });

  test("on 3.32 Felix follows each node's kube-proxy, and a plain revert rolls back", () => {
    const { review } = synthOne(moving({ version: '3.32.1' }));
    expect(review).toContain(
      "Felix follows its own node: it looks for kube-proxy's nftables table every 15 s and restarts into nftables mode once this node's " +
        'kube-proxy has switched',
    );
    expect(review).toContain('kube-proxy first (reverting the commit does exactly that)');
    expect(review).toContain('Felix needs nothing: with Auto each Felix follows its own kube-proxy back to iptables.');
  });

  test('on an operator install the operator owns nftablesMode: netscale renders none and gives the Installation step', () => {
    const { loaded, errors } = loadSpec(moving({ install: 'operator', version: '3.30.5' }));
    expect(errors).toEqual([]);
    expect(loaded!.cluster.calico).toBeUndefined();
    expect(loaded!.cluster.steps).toContainEqual(
      expect.stringContaining('`kubectl patch installation default --type=merge -p \'{"spec":{"calicoNetwork":{"linuxDataplane":"Nftables"}}}\'`'),
    );
    expect(loadSpec(moving({ install: 'operator', nftablesMode: 'Enabled' })).errors).toEqual([
      expect.stringContaining('spec.calico.nftablesMode: is written by the Tigera operator on an operator install'),
    ]);
  });

  test('without Argo CD the kubectl steps keep the order: Felix, then the ConfigMap, then the restart', () => {
    const { review } = synthOne(moving({ version: '3.30.5' }));
    const felix = review.indexOf('-f dist/nft/FelixConfiguration.default.k8s.yaml');
    const configMap = review.indexOf('-f dist/nft/ConfigMap.kube-proxy.k8s.yaml');
    const restart = review.indexOf('rollout restart ds/kube-proxy');
    expect(felix).toBeGreaterThan(0);
    expect(felix).toBeLessThan(configMap);
    expect(configMap).toBeLessThan(restart);
  });
});

describe('spec.calico.version drives Typha', () => {
  const relay = (version: string | undefined, typha?: Spec): Spec => ({
    ...KUBEADM_CALICO,
    networkPolicy: 'relay',
    calico: { install: 'manifest', ...(version ? { version } : {}) },
    ...(typha ? { typha } : {}),
  });

  test.each([
    ['3.28.5', 'docker.io/calico/typha:v3.28.5'],
    ['3.30.7', 'docker.io/calico/typha:v3.30.7'],
    ['3.31.0', 'quay.io/calico/typha:v3.31.0'],
    ['3.32.1', 'quay.io/calico/typha:v3.32.1'],
  ])("Calico %s runs %s, its own release's Typha", (version, image) => {
    expect(loadSpec(relay(version)).loaded!.cluster.typha).toMatchObject({ image, calicoVersion: version });
  });

  test('fails without it where netscale renders Typha, unless the image is named', () => {
    expect(loadSpec(relay(undefined)).errors).toEqual([
      expect.stringContaining(
        'spec.calico.version: is required with the relay on a manifest install: netscale renders Typha, which must run the installed Calico release',
      ),
    ]);
    expect(loadSpec(relay(undefined, { image: 'registry.example.com/calico/typha:v3.30.5' })).errors).toEqual([]);
    expect(loadSpec({ ...relay(undefined), calico: { install: 'operator' } }).errors).toEqual([]);
  });

  test('an own account gets the ClusterRole of the installed release', () => {
    const { loaded } = loadSpec(relay('3.30.5', { serviceAccountName: 'typha' }));
    expect(loaded!.cluster.typha).toMatchObject({ createRbac: true, calicoVersion: '3.30.5' });
    expect(loaded!.cluster.decisions.find((d) => d.name === 'Typha service account')!.rule).toContain('the ClusterRole of Typha 3.30.5');
  });

  test('warns on a Typha image of another release, and on a release newer than netscale knows', () => {
    expect(loadSpec(relay('3.30.5', { image: 'quay.io/calico/typha:v3.31.7' })).warnings).toContainEqual(
      expect.stringContaining('spec.typha.image: runs Typha 3.31.7 next to Calico 3.30.5 (calico.version)'),
    );
    expect(loadSpec(relay('3.33.0')).warnings).toContainEqual(
      expect.stringContaining('spec.calico.version: 3.33.0 is newer than the Calico releases netscale has read (up to 3.32)'),
    );
  });
});

describe('moving from iptables instead', () => {
  test('says localhost NodePorts stop working, and that nftables drops no INVALID packets', () => {
    const { loaded } = loadSpec(
      moving(
        { version: '3.30.5' },
        { kubeProxy: { mode: 'nftables', baseConfig: IPVS_CONFIG.replace('mode: ipvs', 'mode: iptables'), conntrackTcpBeLiberal: undefined } },
      ),
    );
    expect(loaded!.cluster.decisions.find((d) => d.name === 'NodePorts on 127.0.0.1')).toMatchObject({
      value: 'stop working',
      rule: expect.stringContaining('kubeproxy_iptables_localhost_nodeports_accepted_packets_total'),
    });
    expect(loaded!.cluster.notes).toContainEqual(expect.stringContaining('set `kubeProxy.conntrackTcpBeLiberal: true`'));
    expect(loaded!.cluster.rollback.find((n) => n.component === 'kube-proxy')!.revert).toContain(
      'To roll back, go back to iptables in reverse order, kube-proxy first, not by reverting the commit in one go, which would switch Felix ' +
        'back first:',
    );
  });

  test("keeps the cluster's nodePortAddresses and says so", () => {
    const { loaded } = loadSpec(
      moving({ version: '3.30.5' }, { kubeProxy: { mode: 'nftables', baseConfig: `${IPVS_CONFIG}nodePortAddresses:\n  - 0.0.0.0/0\n` } }),
    );
    expect(loaded!.cluster.decisions.find((d) => d.name === 'nodePortAddresses')).toMatchObject({
      value: '0.0.0.0/0',
      rule: 'kept from baseConfig: NodePorts answer on these addresses as before',
    });
  });

  test('without nodeKernel the review asks to check the kernel with kubectl', () => {
    const { loaded } = loadSpec(moving({ version: '3.30.5' }));
    expect(loaded!.cluster.steps).toContainEqual(
      expect.stringContaining(
        'every node runs Linux 5.13 or newer: `kubectl get nodes -o custom-columns=NAME:.metadata.name,KERNEL:.status.nodeInfo.kernelVersion`',
      ),
    );
  });
});
