/**
 * How Felix finds Typha depends on how Calico was installed (spec.calico.install), and what
 * Calico allows for pools and the BGP mesh. Each test encodes the upstream behaviour it cites.
 */
import * as fs from 'fs';
import * as path from 'path';

import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { CalicoNodeTyphaEnv } from '../lib/components/calico/calico-node-typha-env';
import { explainProfile, synthesizeFleet } from '../lib/output/fleet';
import { ProfileError } from '../lib/profile/diagnostics';
import { ownershipOf } from '../lib/core/rollout';
import { snapshot, tempDirPerTest } from './support/files';
import { KUBEADM_CALICO, loadSpec, profileYaml, Spec } from './support/profiles';
import { CALICO_YAML_CALICO_NODE, K8sObject, serverSideMerge, validateObject } from './support/validate';
import { testChart } from './support/charts';
import { synthCluster } from './support/synth';

const temp = tempDirPerTest('calico-install');
const ARGOCD = { repoURL: 'https://git.example.com/platform/fleet.git' };
const relay = (install: string, extra: Spec = {}): Spec => ({
  ...KUBEADM_CALICO,
  networkPolicy: 'relay',
  calico: { install, ...(install === 'operator' ? {} : { version: '3.30.5' }) },
  ...extra,
});

const synthOne = (spec: Spec, name = 'dc') => synthCluster(temp.path, spec, name);

const ids = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort();

describe('spec.calico.install', () => {
  test('fails on the relay without it, and the error explains the three install methods', () => {
    const { errors } = loadSpec({ ...KUBEADM_CALICO, networkPolicy: 'relay' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(
      'spec.calico.install: is required with networkPolicy: relay, because how Felix finds Typha depends on how Calico was installed:',
    );
    expect(errors[0]).toContain('manifest (calico.yaml: calico-node has no FELIX_TYPHAK8SSERVICENAME');
    expect(errors[0]).toContain('manifest-typha (calico-typha.yaml: Typha exists with 1 replica');
    expect(errors[0]).toContain('operator (Tigera operator: it runs and scales Typha itself (nodes / 200 + 2)');
    // Pointed at the calico section when there is one.
    expect(loadSpec({ ...KUBEADM_CALICO, networkPolicy: 'relay', calico: { mtu: 1500 } }).errors).toEqual([
      expect.stringMatching(/^clusters\/test\.yaml:\d+:\d+ spec\.calico\.install: is required/),
    ]);
    expect(loadSpec({ ...KUBEADM_CALICO, networkPolicy: 'relay', calico: { install: 'helm' } }).errors).toEqual([
      expect.stringContaining('spec.calico.install: must be one of manifest, manifest-typha, operator (got "helm")'),
    ]);
  });

  test('is optional without the relay', () => {
    expect(loadSpec({ ...KUBEADM_CALICO, nodes: 40 }).errors).toEqual([]);
  });

  test('the review says what netscale assumed about the install', () => {
    const { loaded } = loadSpec(relay('manifest'));
    expect(loaded!.cluster.decisions.find((d) => d.name === 'Calico install')).toMatchObject({
      value: 'manifest',
      rule: expect.stringContaining('assumed as the profile says: calico.yaml: calico-node has no FELIX_TYPHAK8SSERVICENAME'),
    });
  });
});

describe('manifest (calico.yaml): Felix is pointed at Typha on calico-node itself', () => {
  test('renders Typha and a partial calico-node DaemonSet with only FELIX_TYPHAK8SSERVICENAME, and no calico-config', () => {
    // calico.yaml has no FELIX_TYPHAK8SSERVICENAME on calico-node, and Felix reads it only from its
    // environment (felix/config/config_params.go: TyphaK8sServiceName is local), so calico-config alone does nothing.
    const { objects } = synthOne(relay('manifest'));
    expect(ids(objects)).toEqual(['DaemonSet/calico-node', 'Deployment/calico-typha', 'PodDisruptionBudget/calico-typha', 'Service/calico-typha']);
    expect(objects.find((o) => o.kind === 'DaemonSet')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'calico-node', namespace: 'kube-system' },
      spec: { template: { spec: { containers: [{ name: 'calico-node', env: [{ name: 'FELIX_TYPHAK8SSERVICENAME', value: 'calico-typha' }] }] } } },
    });
  });

  test("applied server-side over calico.yaml's calico-node it adds the one env entry and keeps everything else", () => {
    const patch = new CalicoNodeTyphaEnv(testChart(), 'Env').daemonSet.toJson();
    const merged = serverSideMerge(CALICO_YAML_CALICO_NODE, patch) as IDaemonSet;
    expect(validateObject(merged)).toEqual([]);
    const container = merged.spec!.template.spec!.containers[0];
    expect(container.image).toBe('docker.io/calico/node:v3.28.5');
    expect(container.env).toEqual([
      ...CALICO_YAML_CALICO_NODE.spec.template.spec.containers[0].env,
      { name: 'FELIX_TYPHAK8SSERVICENAME', value: 'calico-typha' },
    ]);
    expect(merged.spec!.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
  });

  test('the patch is partial: applied server-side, unvalidated, never pruned or deleted', () => {
    const env = new CalicoNodeTyphaEnv(testChart(), 'Env');
    expect(ownershipOf(env.daemonSet)).toBe('patch');
    // As a whole object it is not a valid DaemonSet, which is why it is never applied as one.
    expect(validateObject(env.daemonSet.toJson())).not.toEqual([]);
    expect(() => new CalicoNodeTyphaEnv(testChart(), 'Bad', { serviceName: 'Calico_Typha' })).toThrow(
      'CalicoNodeTyphaEnv serviceName must be a Service name (DNS label), got "Calico_Typha"',
    );
  });

  test('its own rollout is the restart: no calico-node restart Job, Argo CD waits for it in the switch wave', () => {
    const { objects, review } = synthOne(relay('manifest', { argocd: ARGOCD }));
    expect(objects.filter((o) => o.kind === 'Job')).toEqual([]);
    expect(review).toContain('- wave 3 (switch): DaemonSet calico-node');
    expect(review).toContain('so calico-node rolls once, 1 node at a time');
  });

  test('without Argo CD the review applies it server-side without validation, then waits for the rollout', () => {
    const { review } = synthOne(relay('manifest'));
    expect(review).toContain(
      'switch, the fields netscale owns in DaemonSet calico-node (a partial object, merged into the existing one): `kubectl apply ' +
        '--server-side --force-conflicts --field-manager=netscale --validate=false -f dist/dc/DaemonSet.calico-node.k8s.yaml`',
    );
    // 600 nodes one at a time: 600 batches of 20 s, bounded at twice that.
    expect(review).toContain('maxUnavailable 1: 1 pod per batch, 600 batches: `kubectl -n kube-system rollout status ds/calico-node --timeout=400m`');
    expect(review).not.toContain('rollout restart ds/calico-node');
    // Turning the relay off: Felix first, then Typha.
    expect(review).toContain('`kubectl -n kube-system set env ds/calico-node -c calico-node FELIX_TYPHAK8SSERVICENAME-`');
  });
});

describe('manifest-typha (calico-typha.yaml) and operator', () => {
  test("manifest-typha sizes the install's Typha and keeps calico-config with a calico-node restart", () => {
    const { loaded } = loadSpec(relay('manifest-typha', { nodes: 1200 }));
    expect(loaded!.cluster.typha).toMatchObject({ replicas: 6, serviceAccountName: 'calico-node' });
    expect(loaded!.cluster.calico).toEqual({ typhaService: 'calico-typha', network: undefined, typhaEnv: undefined });
    expect(loaded!.cluster.restarts).toEqual([expect.objectContaining({ daemonSet: 'calico-node', maxUnavailable: '1' })]);
  });

  test('operator renders no Typha and no calico-config, and the review says so', () => {
    const { objects, review } = synthOne(relay('operator', { nodes: 1000 }));
    expect(objects).toEqual([]);
    expect(review).toContain('| Typha and calico-config | not rendered | the Tigera operator runs Typha in calico-system');
    expect(review).toContain('| Typha replicas (run by the operator) | 7 | max(3, floor(1000 / 200) + 2) = 7 |');
  });
});

describe('Calico above 50 nodes without Typha', () => {
  // Calico advises Typha above 50 nodes with the Kubernetes datastore (calico-typha.yaml, the docs' on-premises install).
  test.each([
    ['direct', 51, { networkPolicy: 'direct' }, true],
    ['networkPolicy left out', 2500, {}, true],
    ['direct on a manifest install', 300, { networkPolicy: 'direct', calico: { install: 'manifest' } }, true],
    ['direct', 50, { networkPolicy: 'direct' }, false],
    ['the relay', 2500, { networkPolicy: 'relay', calico: { install: 'manifest', version: '3.30.5' } }, false],
  ])('%s on %i nodes: %j warns %s', (_name, nodes, extra, warns) => {
    const { warnings } = loadSpec({ ...KUBEADM_CALICO, nodes, ...(extra as Spec) });
    const advice = warnings.filter((w) => w.includes('above 50 nodes Calico advises Typha'));
    expect(advice).toHaveLength(warns ? 1 : 0);
    if (warns)
      expect(advice[0]).toContain(
        `spec.networkPolicy: ${(extra as Spec).networkPolicy ?? 'direct'} on ${nodes} nodes: every node's Felix watches the API server`,
      );
  });

  test('an install that runs Typha is not warned about, but direct there says relay', () => {
    for (const install of ['manifest-typha', 'operator']) {
      const { warnings } = loadSpec({ ...KUBEADM_CALICO, nodes: 600, networkPolicy: 'direct', calico: { install } });
      expect(warnings).toEqual([
        expect.stringContaining(`spec.networkPolicy: direct, but a ${install} install runs Typha and calico-node already uses it`),
      ]);
    }
  });
});

describe('IP pools', () => {
  const pools = (ipPools: Spec[], extra: Spec = {}): Spec => ({ ...KUBEADM_CALICO, nodes: 40, calico: { ipPools }, ...extra });

  describe('against the pools already in dist/', () => {
    const clusters = () => path.join(temp.path, 'clusters');
    const write = (spec: Spec) => {
      fs.mkdirSync(clusters(), { recursive: true });
      fs.writeFileSync(path.join(clusters(), 'dc.yaml'), profileYaml(spec, 'dc'));
    };
    const synth = () => synthesizeFleet({ clustersDir: clusters(), outdir: path.join(temp.path, 'dist') });
    const failure = (): ProfileError => {
      try {
        synth();
      } catch (e) {
        if (e instanceof ProfileError) return e;
        throw e;
      }
      throw new Error('the synth did not fail');
    };

    test('fails on a changed cidr or blockSize, each located, with the migration path, and leaves dist/ byte-identical', () => {
      // libcalico-go clientv3/ippool.go refuses both changes; the crd.projectcalico.org path skips that check.
      write(
        pools([
          { name: 'main', cidr: '10.244.0.0/16', blockSize: 26 },
          { name: 'edge', cidr: '10.245.0.0/16' },
        ]),
      );
      synth();
      const before = snapshot(path.join(temp.path, 'dist'));
      write(
        pools([
          { name: 'main', cidr: '10.246.0.0/16', blockSize: 27 },
          { name: 'edge', cidr: '10.245.0.0/16', blockSize: 27 },
        ]),
      );
      const e = failure();
      expect(e.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.path, d.line > 1])).toEqual([
        ['spec.calico.ipPools[0].cidr', true],
        ['spec.calico.ipPools[0].blockSize', true],
        ['spec.calico.ipPools[1].blockSize', true],
      ]);
      const [cidr, , block] = e.diagnostics.map((d) => d.message);
      expect(cidr).toContain('10.246.0.0/16 differs from 10.244.0.0/16, the cidr of pool "main" already rendered in dist/');
      expect(cidr).toContain(
        'add a pool under a new name, set "main" disabled: true, recreate the pods on it, then remove it ' +
          '(https://docs.tigera.io/calico/latest/networking/ipam/migrate-pools)',
      );
      expect(block).toContain('27 differs from 26, the blockSize of pool "edge" already rendered in dist/');
      expect(snapshot(path.join(temp.path, 'dist'))).toEqual(before);
      // explain refuses it as the synth does.
      expect(() => explainProfile(path.join(clusters(), 'dc.yaml'), path.join(temp.path, 'dist'))).toThrow(ProfileError);
    });

    test('the migrate path passes: a new pool beside the old one, disabled', () => {
      write(pools([{ name: 'main', cidr: '10.244.0.0/16' }]));
      synth();
      write(
        pools([
          { name: 'main', cidr: '10.244.0.0/16', disabled: true },
          { name: 'main-v2', cidr: '10.250.0.0/16', blockSize: 26 },
        ]),
      );
      expect(() => synth()).not.toThrow();
      // The same network written another way is no change.
      write(
        pools([
          { name: 'main', cidr: '10.244.0.0/16', blockSize: 26, disabled: true },
          { name: 'main-v2', cidr: '10.250.0.0/16' },
        ]),
      );
      expect(() => synth()).not.toThrow();
    });
  });

  test('warns when an all-nodes pool holds fewer blocks than the nodes it serves', () => {
    // A /22 in /26 blocks is 16 blocks for 40 nodes: a node without a block borrows single addresses.
    const { warnings } = loadSpec(pools([{ name: 'small', cidr: '10.244.0.0/22' }]));
    expect(warnings).toEqual([expect.stringContaining('spec.calico.ipPools[0].cidr: 10.244.0.0/22 holds 16 blocks of /26 but serves all 40 nodes')]);
    expect(loadSpec(pools([{ name: 'fits', cidr: '10.244.0.0/20' }])).warnings).toEqual([]);
    // Pools with a selector serve nodes netscale cannot count; a disabled pool serves none.
    expect(loadSpec(pools([{ name: 'rack', cidr: '10.244.0.0/22', nodeSelector: "rack == 'a'" }])).warnings).toEqual([]);
    expect(
      loadSpec(
        pools([
          { name: 'old', cidr: '10.244.0.0/22', disabled: true },
          { name: 'new', cidr: '10.245.0.0/16' },
        ]),
      ).warnings,
    ).toEqual([]);
  });

  test('pools with a nodeSelector get the node-labelling step in the review', () => {
    const { loaded } = loadSpec(
      pools([
        { name: 'rack-a', cidr: '10.244.0.0/16', nodeSelector: "rack == 'a'" },
        { name: 'rest', cidr: '10.245.0.0/16' },
        { name: 'gpu', cidr: '10.246.0.0/16', nodeSelector: "gpu in {'a100'}" },
      ]),
    );
    const steps = loaded!.cluster.steps.filter((s) => s.includes('label the nodes of pool'));
    expect(steps).toEqual([
      "Before the sync, label the nodes of pool rack-a: it hands addresses only to nodes matching `rack == 'a'`, so give the nodes meant for " +
        'it `kubectl label node <node> rack=a` on each of them, and check with `kubectl get nodes -l rack=a`.',
      "Before the sync, label the nodes of pool gpu: it hands addresses only to nodes matching `gpu in {'a100'}`, so give the nodes meant for " +
        'it labels on each of them that satisfy it, and check with `kubectl get nodes -l <label>`.',
    ]);
  });
});

describe('the BGP full mesh', () => {
  // docs.tigera.io networking/configuring/bgp: full mesh for 100 nodes or less, route reflectors beyond.
  const mesh = (nodes: number, calico: Spec) =>
    loadSpec({ ...KUBEADM_CALICO, nodes, networkPolicy: 'relay', calico: { install: 'manifest', version: '3.30.5', ...calico } }).warnings.filter(
      (w) => w.includes('full node-to-node mesh'),
    );

  test.each([
    ['IP-in-IP', 101, { ipipMode: 'Always' }, 1],
    ['no encapsulation', 300, {}, 1],
    ['IP-in-IP', 100, { ipipMode: 'Always' }, 0],
    ['VXLAN, which needs no BGP,', 300, { vxlanMode: 'Always' }, 0],
  ])('%s on %i nodes (%j): %i warning', (_name, nodes, pool, count) => {
    const found = mesh(nodes as number, { ipPools: [{ name: 'p', cidr: '10.0.0.0/12', ...(pool as Spec) }] });
    expect(found).toHaveLength(count as number);
    if (count) expect(found[0]).toContain(`${nodes} nodes run BGP`);
  });

  test('route reflectors take the mesh away, and need only their selector', () => {
    const rr = { nodeSelector: "route-reflector == 'true'" };
    expect(mesh(300, { ipPools: [{ name: 'p', cidr: '10.0.0.0/12' }], bgp: { routeReflectors: rr } })).toEqual([]);
    const { loaded, errors } = loadSpec({
      ...KUBEADM_CALICO,
      nodes: 300,
      networkPolicy: 'relay',
      calico: { install: 'manifest', version: '3.30.5', bgp: { routeReflectors: rr } },
    });
    expect(errors).toEqual([]);
    // Without node names the review still gives the commands, with a placeholder.
    expect(loaded!.cluster.steps).toContainEqual(
      expect.stringContaining('make each route reflector (replace <node> by each reflector node; run at least two)'),
    );
  });
});
