/**
 * netscale import against realistic kubectl dumps (kubeadm with Calico, ACK with Terway, kubeadm
 * with Cilium, in test/fixtures/import/): the profile it prints synthesizes without the "replaces
 * ... whole" warnings, and everything it renders into objects the cluster has matches what the
 * cluster has; credentials never reach the profile.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { isCredentialKey } from '../lib/core/credentials';
import { deepEqual, isPlainObject, PlainMap } from '../lib/core/objects';
import { Dump } from '../lib/import/dumps';
import { ImportError, importProfile, ImportResult } from '../lib/import/import';
import { synthesizeFleet } from '../lib/output/fleet';
import { runCli } from './support/cli';
import { tempDirPerTest } from './support/files';

const FIXTURES = path.join(__dirname, 'fixtures', 'import');
const temp = tempDirPerTest('import');

function dump(rel: string): Dump {
  return { source: `fixtures/${rel}`, text: fs.readFileSync(path.join(FIXTURES, rel), 'utf8') };
}

const KUBEADM_CALICO = [
  'kubeadm-calico/configmaps.yaml',
  'kubeadm-calico/calico.yaml',
  'kubeadm-calico/nodes.yaml',
  'kubeadm-calico/daemonsets.yaml',
];
const ACK_TERWAY = ['ack-terway/configmaps.yaml', 'ack-terway/nodes.yaml'];
const KUBEADM_CILIUM = ['kubeadm-cilium/configmaps.yaml', 'kubeadm-cilium/nodes.yaml'];

/** Every object of the dumps, by "Kind/name". */
function dumpedObjects(files: readonly string[]): Map<string, PlainMap> {
  const out = new Map<string, PlainMap>();
  for (const f of files) {
    for (const doc of parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8'))
      ? [parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as PlainMap]
      : []) {
      const items = doc.kind === 'List' ? (doc.items as PlainMap[]) : [doc];
      for (const o of items) out.set(`${String(o.kind)}/${String((o.metadata as PlainMap).name)}`, o);
    }
  }
  return out;
}

/** Synthesize the imported profile in a fleet of its own; returns its objects by "Kind/name" and its review. */
function synthesize(result: ImportResult, name: string): { objects: Map<string, PlainMap>; review: string; out: string } {
  const clusters = path.join(temp.path, 'clusters');
  const out = path.join(temp.path, 'dist');
  fs.mkdirSync(clusters, { recursive: true });
  fs.writeFileSync(path.join(clusters, `${name}.yaml`), result.text);
  synthesizeFleet({ clustersDir: clusters, outdir: out });
  const objects = new Map<string, PlainMap>();
  const folder = path.join(out, name);
  for (const f of fs.existsSync(folder) ? fs.readdirSync(folder) : []) {
    const o = parse(fs.readFileSync(path.join(folder, f), 'utf8')) as PlainMap;
    objects.set(`${String(o.kind)}/${String((o.metadata as PlainMap).name)}`, o);
  }
  return { objects, review: fs.readFileSync(path.join(out, 'reviews', `${name}.md`), 'utf8'), out };
}

/**
 * What a rendered object would change in the cluster's: netscale applies only the fields it
 * renders (server-side apply), so every rendered leaf must equal the cluster's. Configuration
 * documents inside ConfigMaps compare as data; credentials the import withheld are left aside.
 * `defaults` are values the cluster has by not writing the field.
 */
function changes(rendered: PlainMap, cluster: PlainMap, defaults: PlainMap = {}): string[] {
  const out: string[] = [];
  const embedded = (key: string, text: string): unknown => {
    if (key.endsWith('.conf') && !key.startsWith('10-')) return parse(text, { version: '1.1' });
    if (key === 'eni_conf') {
      const conf = JSON.parse(text) as PlainMap;
      for (const k of Object.keys(conf)) if (isCredentialKey(k)) delete conf[k];
      return conf;
    }
    if (key === '10-terway.conf') return JSON.parse(text);
    return text;
  };
  const walk = (r: unknown, c: unknown, d: unknown, at: string) => {
    if (isPlainObject(r)) {
      for (const [k, v] of Object.entries(r)) {
        if (at === '' && (k === 'metadata' || k === 'apiVersion' || k === 'kind')) continue;
        const cv = isPlainObject(c) ? c[k] : undefined;
        const dv = isPlainObject(d) ? d[k] : undefined;
        if (at === '.data' && typeof v === 'string') {
          if (cv === undefined) out.push(`${at}.${k}: added`);
          else if (!deepEqual(embedded(k, v), embedded(k, String(cv)))) out.push(`${at}.${k}: differs`);
          continue;
        }
        walk(v, cv === undefined ? dv : cv, dv, `${at}.${k}`);
      }
      return;
    }
    if (!deepEqual(r, c)) out.push(`${at}: ${JSON.stringify(c)} -> ${JSON.stringify(r)}`);
  };
  walk(rendered, cluster, defaults, '');
  return out;
}

/** Objects Typha's relay renders, which the dumps do not hold (the import says to compare them). */
const RELAY_OBJECTS = new RegExp(
  /^(Service|Deployment|PodDisruptionBudget|ServiceAccount|ClusterRole|ClusterRoleBinding)\/calico-typha$/.source +
    '|' +
    /^CustomResourceDefinition\/bgppeers\.crd\.projectcalico\.org$/.source,
);

describe('import from a kubeadm cluster with Calico', () => {
  const result = () => importProfile({ name: 'dc3-imported', dumps: KUBEADM_CALICO.map(dump) });

  test('types the pools, MTU and route reflectors, and reads nodes, cores and version from the Node list', () => {
    const spec = result().profile.spec as PlainMap;
    expect(spec).toMatchObject({
      platform: 'kubeadm',
      cni: 'calico',
      kubernetesVersion: '1.30',
      nodes: 6,
      cpuPerNode: 16,
      maxPodsPerNode: 110,
      networkPolicy: 'relay',
      calico: {
        install: 'manifest-typha',
        version: '3.28.5',
        ipPools: [
          {
            name: 'default-ipv4-ippool',
            cidr: '10.244.0.0/16',
            blockSize: 26,
            ipipMode: 'Always',
            vxlanMode: 'Never',
            natOutgoing: true,
            nodeSelector: 'all()',
          },
        ],
        mtu: 1450,
        bgp: { asNumber: 64512, routeReflectors: { nodeSelector: "route-reflector == 'true'", nodes: ['rr-1', 'rr-2'], clusterId: '244.0.0.1' } },
      },
      kubeProxy: { mode: 'ipvs' },
    });
    expect((spec.kubeProxy as PlainMap).baseConfig).toBe(
      parse(fs.readFileSync(path.join(FIXTURES, KUBEADM_CALICO[0]), 'utf8')).items[0].data['config.conf'],
    );
  });

  test('reads how Calico was installed and its release from calico-node, which the relay needs', () => {
    // calico-typha.yaml: FELIX_TYPHAK8SSERVICENAME from calico-config; calico.yaml has neither that entry nor a Typha.
    const manifest = { source: 'ds.yaml', text: dump(KUBEADM_CALICO[3]).text.replace(/ {8}- name: FELIX_TYPHAK8SSERVICENAME\n(?: {10}.*\n)+/, '') };
    const config = { source: 'cm.yaml', text: dump(KUBEADM_CALICO[0]).text.replace('typha_service_name: calico-typha', 'typha_service_name: none') };
    const plain = importProfile({ name: 'x', dumps: [config, dump(KUBEADM_CALICO[1]), dump(KUBEADM_CALICO[2]), manifest] }).profile.spec as PlainMap;
    expect(plain).toMatchObject({ networkPolicy: 'direct', calico: { install: 'manifest', version: '3.28.5' } });
    let thrown: unknown;
    try {
      importProfile({ name: 'x', dumps: KUBEADM_CALICO.slice(0, 3).map(dump) });
    } catch (e) {
      thrown = e;
    }
    expect((thrown as ImportError).diagnostics.map((d) => `${d.file}: ${d.message}`)).toEqual([
      'fixtures/kubeadm-calico/configmaps.yaml: calico-config points calico-node at Typha (typha_service_name: calico-typha), and netscale ' +
        "renders that Typha with the installed release's image and RBAC: give the calico-node DaemonSet too (kubectl -n kube-system get ds " +
        'calico-node -o yaml), whose image names the release',
    ]);
  });

  test('lists what it could not map in a comment block, and what to check before the first sync', () => {
    const { text } = result();
    const header = text.slice(0, text.indexOf('apiVersion:'));
    expect(header).toMatch(/^# Not mapped \(netscale leaves these as the cluster has them\):$/m);
    expect(header).toContain('#   - BGPPeer tor-rack-a (peerIP 10.20.0.1, asNumber 65001): peerings outside the cluster are not modelled');
    expect(header).toContain('#   - calico-config veth_mtu: not a key netscale renders');
    expect(header).toContain('#   - IPPool default-ipv4-ippool allowedUses: not modelled');
    expect(header).toContain(
      '#   - FelixConfiguration default bpfConnectTimeLoadBalancing, bpfHostNetworkedNATWithoutCTLB, bpfLogLevel, floatingIPs, healthPort, ' +
        'logSeverityScreen, reportingInterval: not modelled',
    );
    expect(header).toMatch(
      new RegExp(
        /^# Check before the first sync:\n# {3}- calico-config: calico-node reaches the API server through Typha; /.source +
          /netscale renders the calico-typha Service, Deployment and PodDisruptionBudget itself/.source,
        'm',
      ),
    );
    expect(header.split('\n').every((l) => l === '' || l.startsWith('#'))).toBe(true);
  });

  test('synthesizes without "rendered whole" warnings, and changes nothing the cluster has', () => {
    const r = result();
    expect(r.warnings.map((w) => w.message).filter((m) => /whole/.test(m))).toEqual([]);
    const { objects, review } = synthesize(r, 'dc3-imported');
    expect(review).not.toMatch(/rendered whole|renders eni_conf whole/);
    const dumped = dumpedObjects(KUBEADM_CALICO);
    const calicoDefaults: PlainMap = { spec: { disabled: false } };
    const compared: string[] = [];
    for (const [key, o] of objects) {
      const mine = dumped.get(key);
      if (!mine) {
        expect(key).toMatch(RELAY_OBJECTS);
        continue;
      }
      compared.push(key);
      expect({ key, changes: changes(o, mine, calicoDefaults) }).toEqual({ key, changes: [] });
    }
    expect(compared.sort()).toEqual([
      'BGPConfiguration/default',
      'BGPPeer/peer-with-route-reflectors',
      'BGPPeer/route-reflector-mesh',
      'ConfigMap/calico-config',
      'ConfigMap/kube-proxy',
      'FelixConfiguration/default',
      'IPPool/default-ipv4-ippool',
    ]);
  });
});

describe('import from an ACK cluster with Terway', () => {
  const result = () => importProfile({ name: 'hz-imported', dumps: ACK_TERWAY.map(dump) });

  test('fills baseEniConf and baseCniConf, types the vSwitches and nodes per zone, reads region and version', () => {
    const spec = result().profile.spec as PlainMap;
    expect(spec).toMatchObject({
      platform: 'ack',
      cni: 'terway',
      kubernetesVersion: '1.30',
      nodes: 6,
      cpuPerNode: 16,
      region: 'cn-hangzhou',
      networkPolicy: 'relay',
      serviceCidr: '192.168.0.0/16',
      terway: {
        vswitches: { 'cn-hangzhou-i': ['vsw-bp1i3q0k9w2e5r7t8y1u4'], 'cn-hangzhou-j': ['vsw-bp1j6n2m8b4v1c3x5z7l9'] },
        nodesPerZone: { 'cn-hangzhou-i': 3, 'cn-hangzhou-j': 3 },
        inClusterLoadBalance: true,
      },
      kubeProxy: { mode: 'ipvs' },
    });
    const terway = spec.terway as PlainMap;
    expect(JSON.parse(terway.baseCniConf as string)).toEqual({
      cniVersion: '0.4.0',
      name: 'terway',
      capabilities: { bandwidth: true },
      eniip_virtual_type: 'Veth',
      type: 'terway',
    });
    expect(Object.keys(JSON.parse(terway.baseEniConf as string))).toContain('enable_eni_trunking');
  });

  test('never copies a credential: not the eni_conf key pair, not the last-applied annotation, not a Secret', () => {
    const r = result();
    for (const secret of ['LTAI5tRk2Wq8Z3nP7bXy4hJm', 'p9Vx2Lq7Rt4Mw8Ks1Dz6Hf3Jn5Bc0G', 'eyJhdXRocyI6', 'access_key', 'access_secret'])
      expect(r.text).not.toContain(secret);
    expect(r.withheld).toEqual([
      'Secret kube-system/acr-pull (fixtures/ack-terway/configmaps.yaml): not read; credentials stay in the cluster',
      'eni-config eni_conf: its cloud credentials (2 keys) are not copied; Terway reads its RAM credentials from credential_path ' +
        "(/var/addon/token-config), which ACK mounts on every node; the first sync removes them from the cluster's eni_conf",
    ]);
  });

  test('synthesizes without "rendered whole" warnings, and changes nothing the cluster has but the withheld credentials', () => {
    const r = result();
    expect(r.warnings.map((w) => w.message).filter((m) => /whole/.test(m))).toEqual([]);
    const { objects, out } = synthesize(r, 'hz-imported');
    const dumped = dumpedObjects(ACK_TERWAY);
    const compared: string[] = [];
    for (const [key, o] of objects) {
      const mine = dumped.get(key);
      if (!mine) {
        expect(key).toMatch(RELAY_OBJECTS);
        continue;
      }
      compared.push(key);
      expect({ key, changes: changes(o, mine) }).toEqual({ key, changes: [] });
    }
    expect(compared.sort()).toEqual(['ConfigMap/eni-config', 'ConfigMap/kube-proxy-worker']);
    // The rendered eni_conf is the cluster's, key for key, less the credentials.
    const eni = parse(fs.readFileSync(path.join(out, 'hz-imported', 'ConfigMap.eni-config.k8s.yaml'), 'utf8')) as { data: Record<string, string> };
    expect(Object.keys(JSON.parse(eni.data.eni_conf)).sort()).toEqual(
      [
        'credential_path',
        'eni_tags',
        'enable_eni_trunking',
        'ip_stack',
        'max_pool_size',
        'min_pool_size',
        'security_group',
        'service_cidr',
        'version',
        'vswitch_selection_policy',
        'vswitches',
      ].sort(),
    );
  });

  test("says that the first sync restarts the DaemonSets the review restarts, though their configuration is the cluster's", () => {
    const r = result();
    const { review } = synthesize(r, 'hz-imported');
    const restarted = [...review.matchAll(/restart ds\/([a-z0-9-]+)/g)].map((m) => m[1]);
    expect([...new Set(restarted)].sort()).toEqual(['kube-proxy-worker', 'terway-eniip']);
    const item = r.toCheck.find((t) => t.startsWith('the first sync restarts'));
    expect(item).toMatch(/^the first sync restarts ds\/terway-eniip and ds\/kube-proxy-worker once, node by node /);
    expect(r.text).toContain(`#   - ${item}`);
  });

  test('keeps what Terway does where eni_conf lacks a key netscale writes', () => {
    const text = dump(ACK_TERWAY[0]).text.replace('"max_pool_size": 5,\n', '').replace('"vswitch_selection_policy": "ordered",\n', '');
    const r = importProfile({ name: 'hz-imported', dumps: [{ source: 'cm.yaml', text }, dump(ACK_TERWAY[1])] });
    expect(r.profile.spec).toMatchObject({ terway: { vswitchSelectionPolicy: 'random', pool: { max: 0 } } });
    expect(r.toCheck.join('\n')).toContain('eni-config eni_conf has no vswitch_selection_policy: Terway picks at random then');
    const { out } = synthesize(r, 'hz-imported');
    const eni = parse(fs.readFileSync(path.join(out, 'hz-imported', 'ConfigMap.eni-config.k8s.yaml'), 'utf8')) as { data: Record<string, string> };
    expect(JSON.parse(eni.data.eni_conf)).toMatchObject({ vswitch_selection_policy: 'random', max_pool_size: 0 });
  });
});

describe('import with Cilium values', () => {
  const values = () => dump('kubeadm-cilium/cilium-values.yaml');

  test('types what netscale types, passes the rest through, and withholds credentials', () => {
    const r = importProfile({ name: 'fra-imported', dumps: KUBEADM_CILIUM.map(dump), ciliumValues: values(), ciliumVersion: '1.16.5' });
    expect(r.profile.spec).toMatchObject({
      platform: 'kubeadm',
      cni: 'cilium',
      kubernetesVersion: '1.31',
      nodes: 3,
      cilium: {
        version: '1.16.5',
        k8sServiceHost: '10.128.0.10',
        k8sServicePort: 6443,
        routingMode: 'native',
        ipv4NativeRoutingCidr: '10.0.0.0/8',
        autoDirectNodeRoutes: true,
        loadBalancer: { mode: 'dsr' },
        bpfMasquerade: true,
        hubble: { relay: true, ui: true },
        operatorReplicas: 2,
        values: { ipam: { mode: 'kubernetes' } },
      },
    });
    expect((r.profile.spec as PlainMap).kubeProxy).toBeUndefined();
    // The CA's private key goes; its certificate is public and stays (the secret guard passes it too).
    for (const secret of ['hunter2', 'DB_PASSWORD', 'LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVk']) expect(r.text).not.toContain(secret);
    expect(r.withheld.map((w) => w.split(':')[0])).toEqual([
      'fixtures/kubeadm-cilium/cilium-values.yaml extraEnv',
      'fixtures/kubeadm-cilium/cilium-values.yaml hubble.tls.ca.key',
    ]);
    // The values netscale renders hold every value the cluster set, apart from the withheld ones.
    const { out } = synthesize(r, 'fra-imported');
    const rendered = parse(fs.readFileSync(path.join(out, 'values', 'fra-imported.cilium-values.yaml'), 'utf8')) as PlainMap;
    const cluster = parse(values().text) as PlainMap;
    delete cluster.extraEnv;
    delete ((cluster.hubble as { tls: { ca: PlainMap } }).tls.ca as PlainMap).key;
    expect(changes(cluster, rendered)).toEqual([]);
  });

  test('needs the chart version when the values do not pin the image', () => {
    expect(() => importProfile({ name: 'fra', dumps: KUBEADM_CILIUM.map(dump), ciliumValues: values() })).toThrow(ImportError);
    try {
      importProfile({ name: 'fra', dumps: KUBEADM_CILIUM.map(dump), ciliumValues: values() });
    } catch (e) {
      expect((e as ImportError).diagnostics.map((d) => d.message)).toEqual([
        'do not pin the Cilium image (image.tag): give the chart version with --cilium-version, e.g. 1.16.5',
      ]);
    }
    const pinned = { source: 'values.yaml', text: `${values().text}image:\n  tag: v1.17.3\n` };
    expect(importProfile({ name: 'fra', dumps: KUBEADM_CILIUM.map(dump), ciliumValues: pinned }).profile.spec).toMatchObject({
      cilium: { version: '1.17.3' },
    });
  });

  test('leaves Cilium out when it does not replace kube-proxy, saying why', () => {
    const beside = { source: 'values.yaml', text: values().text.replace('kubeProxyReplacement: true', 'kubeProxyReplacement: false') };
    const r = importProfile({ name: 'fra', dumps: KUBEADM_CILIUM.map(dump), ciliumValues: beside, ciliumVersion: '1.16.5' });
    expect((r.profile.spec as PlainMap).cilium).toBeUndefined();
    expect(r.notMapped).toContain(
      'values.yaml: kubeProxyReplacement is false, so Cilium runs beside kube-proxy; a netscale cilium section makes it replace kube-proxy: left out',
    );
  });
});

describe('what import needs to be told', () => {
  function errorsOf(run: () => unknown): string[] {
    try {
      run();
    } catch (e) {
      if (e instanceof ImportError) return e.diagnostics.map((d) => `${d.file}: ${d.message}`);
      throw e;
    }
    return [];
  }
  const anonymous = (text: string) => text.replace(/^ {6}kubeadm\.alpha\.kubernetes\.io\/cri-socket: .*\n/gm, '');

  test('--platform only when the dumps cannot tell, and never against them', () => {
    const calico = dump(KUBEADM_CALICO[1]);
    const nodes = { source: 'nodes.yaml', text: anonymous(dump(KUBEADM_CALICO[2]).text) };
    expect(errorsOf(() => importProfile({ name: 'x', dumps: [calico, nodes] }))).toEqual([
      'fixtures/kubeadm-calico/calico.yaml, nodes.yaml: cannot tell the platform (no ACK node labels or provider IDs, no k3s or kubeadm ' +
        'annotations): give --platform ack, kubeadm or k3s',
    ]);
    expect(importProfile({ name: 'x', dumps: [calico, nodes], platform: 'kubeadm' }).profile.spec).toMatchObject({ platform: 'kubeadm' });
    expect(errorsOf(() => importProfile({ name: 'x', dumps: ACK_TERWAY.map(dump), platform: 'kubeadm' }))).toEqual([
      expect.stringMatching(
        new RegExp(
          /show an ACK cluster \(node cn-hangzhou\.10\.0\.0\.20 has the provider ID cn-hangzhou\.i-bp1a\w+\), /.source +
            /but --platform says kubeadm: leave --platform out$/.source,
        ),
      ),
      "fixtures/ack-terway/configmaps.yaml: has Terway's eni-config, which runs only on ACK, but the platform is kubeadm",
    ]);
  });

  test('fails without a Node list, on a dump that is not YAML, and on a name that is not a DNS label', () => {
    expect(errorsOf(() => importProfile({ name: 'x', dumps: [dump(KUBEADM_CALICO[0])] }))).toContain(
      'fixtures/kubeadm-calico/configmaps.yaml: has no Node list: nodes, cores, zones and the Kubernetes version come from it (kubectl get ' +
        'nodes -o yaml)',
    );
    expect(
      errorsOf(() => importProfile({ name: 'x', dumps: [{ source: 'broken.yaml', text: 'items: [unclosed\n' }, dump(KUBEADM_CALICO[2])] }))[0],
    ).toMatch(/^broken\.yaml: is not valid YAML/);
    expect(errorsOf(() => importProfile({ name: 'DC_3', dumps: KUBEADM_CALICO.map(dump) }))).toEqual([
      expect.stringMatching(/^DC_3\.yaml: \(in the imported profile\) must be a DNS label/),
    ]);
  });

  test('a kube-proxy in iptables mode is left to the user, with the ConfigMap to paste when switching', () => {
    const cm = { source: 'cm.yaml', text: dump(KUBEADM_CALICO[0]).text.replace('      mode: ipvs\n', '      mode: ""\n') };
    const r = importProfile({ name: 'x', dumps: [cm, dump(KUBEADM_CALICO[1]), dump(KUBEADM_CALICO[2]), dump(KUBEADM_CALICO[3])] });
    expect((r.profile.spec as PlainMap).kubeProxy).toBeUndefined();
    expect(r.notMapped).toContain(
      'ConfigMap kube-system/kube-proxy: kube-proxy runs in iptables, the default mode; netscale tunes ipvs or nftables: add a kubeProxy ' +
        "section (mode, and this ConfigMap's config.conf as baseConfig) when you switch",
    );
  });
});

describe('the import command', () => {
  test('reads a List from stdin and prints the profile; --out writes it and never overwrites', async () => {
    const stdin = KUBEADM_CALICO.map((f) => dump(f).text).join('\n---\n');
    const printed = await runCli(['import', '--name', 'dc3'], { stdin });
    expect(printed.status).toBe(0);
    expect(printed.stdout).toBe(importProfile({ name: 'dc3', dumps: [{ source: 'stdin', text: stdin }] }).text);
    expect(printed.stderr).toMatch(
      new RegExp(
        /^netscale: imported dc3 \(kubeadm, calico, 6 nodes\) to stdout; its top lists \d+ things? to check before the first sync, /.source +
          /\d+ settings not mapped and 0 credentials not copied\n$/.source,
      ),
    );
    const out = path.join(temp.path, 'dc3.yaml');
    const files = KUBEADM_CALICO.map((f) => path.join(FIXTURES, f));
    expect((await runCli(['import', ...files, '--name', 'dc3', '--out', out])).status).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toContain('name: dc3');
    const again = await runCli(['import', ...files, '--name', 'dc3', '--out', out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('dc3.yaml:1:1 exists: import never writes over a file; choose another --out or remove it');
  });

  test('dumps joined without --- get one problem that says so; a trailing --- is no problem', async () => {
    const [configMaps, , , nodes] = KUBEADM_CALICO.map((f) => dump(f).text);
    const joined = await runCli(['import', '--name', 'dc3'], { stdin: configMaps + nodes });
    expect(joined.status).toBe(1);
    // The second dump's own apiVersion line, below its comment.
    const lines = (configMaps + nodes).split('\n');
    const line = lines.findIndex((l, i) => i >= configMaps.split('\n').length - 1 && l.startsWith('apiVersion:')) + 1;
    expect(joined.stderr).toBe(
      'error: 1 problem importing the cluster; nothing was written:\n' +
        `  stdin:${line}:1 repeats the top-level key "apiVersion": two objects with no --- between them? ` +
        'Separate joined kubectl outputs with a line ---\n',
    );
    const separated = KUBEADM_CALICO.map((f) => dump(f).text).join('---\n') + '---\n';
    expect((await runCli(['import', '--name', 'dc3'], { stdin: separated })).status).toBe(0);
  });

  test('--out into a folder that does not exist is a problem to report, not a failure of netscale', async () => {
    const files = KUBEADM_CALICO.map((f) => path.join(FIXTURES, f));
    const run = await runCli(['import', ...files, '--name', 'dc3', '--out', path.join(temp.path, 'no-such', 'dc3.yaml')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: 1 problem importing the cluster; nothing was written:\n {2}\S*no-such\/dc3\.yaml:1:1 /);
    expect(run.stderr).toMatch(/dc3\.yaml:1:1 cannot be written: \S*no-such is not a folder; create it first\n$/);
    expect(fs.existsSync(path.join(temp.path, 'no-such'))).toBe(false);
  });

  test('reports every problem with its file, exit 1', async () => {
    const run = await runCli(['import', path.join(temp.path, 'missing.yaml'), '--name', 'x']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: 1 problem importing the cluster; nothing was written:\n {2}.*missing\.yaml:1:1 cannot be read: ENOENT/);
  });
});

describe('what the Node list must tell', () => {
  test('an ACK cluster needs its region, and one region', () => {
    const strip = (text: string) =>
      text.replace(/^ {6}(topology\.kubernetes\.io|failure-domain\.beta\.kubernetes\.io)\/region: .*\n/gm, '').replace(/^ {4}providerID: .*\n/gm, '');
    const nodes = { source: 'nodes.yaml', text: strip(dump(ACK_TERWAY[1]).text) };
    expect(() => importProfile({ name: 'x', dumps: [dump(ACK_TERWAY[0]), nodes] })).toThrow(ImportError);
    try {
      importProfile({ name: 'x', dumps: [dump(ACK_TERWAY[0]), nodes] });
    } catch (e) {
      expect((e as ImportError).diagnostics.map((d) => `${d.file} ${d.path}: ${d.message}`)).toEqual([
        'nodes.yaml spec.region: tells no region (no topology.kubernetes.io/region label, no <region>.<instance-id> provider ID): ACK ' +
          'profiles need spec.region',
      ]);
    }
    const twoRegions = { source: 'nodes.yaml', text: dump(ACK_TERWAY[1]).text.replace(/cn-hangzhou\.i-bp1f/, 'cn-shanghai.i-bp1f') };
    try {
      importProfile({ name: 'x', dumps: [dump(ACK_TERWAY[0]), twoRegions] });
      throw new Error('imported');
    } catch (e) {
      expect((e as ImportError).diagnostics.map((d) => d.message)).toEqual([
        'spans regions cn-hangzhou, cn-shanghai: a profile is one cluster in one region',
      ]);
    }
  });

  test('kubelets of mixed versions and nodes of mixed sizes take the most common, and say so', () => {
    const text = dump(KUBEADM_CALICO[2])
      .text.replace(/kubeletVersion: v1\.30\.4/, 'kubeletVersion: v1.29.9')
      .replace(/cpu: "16"\n(\s+)ephemeral-storage: 103608832Ki/, 'cpu: "32"\n$1ephemeral-storage: 103608832Ki');
    const r = importProfile({
      name: 'x',
      dumps: [dump(KUBEADM_CALICO[0]), dump(KUBEADM_CALICO[1]), { source: 'nodes.yaml', text }, dump(KUBEADM_CALICO[3])],
    });
    expect(r.profile.spec).toMatchObject({ kubernetesVersion: '1.30', cpuPerNode: 16 });
    expect(r.notMapped).toContain('Node list: kubelets run 1.29 (1), 1.30 (5); kubernetesVersion is the most common, 1.30');
    expect(r.notMapped).toContain('Node list: nodes have 16 (5), 32 (1) cores; cpuPerNode is the most common, 16, which sizes conntrack per core');
  });
});
