/**
 * `netscale import`: a ClusterProfile started from what a cluster runs today, read from kubectl
 * dumps. The cluster's own configuration goes in as it is (kube-proxy's as `baseConfig`, Terway's
 * `eni_conf` and `10-terway.conf` as `baseEniConf` and `baseCniConf`), Calico pools and BGP
 * settings are typed, and nodes, cores, zones, region and version come from the Node list, so
 * rendering the profile changes nothing the cluster has until the user edits it. Every setting
 * that does not map is listed in a comment block at the top; credentials are never copied.
 *
 * The profile is loaded and rendered before it is returned: an import that would not synthesize,
 * or would carry a credential, fails instead.
 */
import { stringify } from 'yaml';
import { Platform, PLATFORM_NAMES, PLATFORMS } from '../core/cluster';
import { findCredentials, isCredentialKey } from '../core/credentials';
import { isPlainObject, PlainMap } from '../core/objects';
import { LoadedProfile, loadProfileText } from '../cluster/load';
import {
  CALICO_IP_POOL_DEFAULTS,
  CALICO_NODE_CONTAINER,
  CALICO_NODE_DAEMONSET,
  FELIX_TYPHA_SERVICE_ENV,
  PEER_WITH_ROUTE_REFLECTORS,
  ROUTE_REFLECTOR_MESH,
} from '../components/calico/facts';
import { TUNNEL_OVERHEAD } from '../components/calico/mtu';
import { parseBaseConfig } from '../components/kube-proxy/configuration';
import { KUBE_PROXY_MODES, KUBE_PROXY_PRESETS } from '../components/kube-proxy/facts';
import { DEFAULT_CREDENTIAL_PATH, DEFAULT_MAX_POOL_SIZE, DEFAULT_VSWITCH_SELECTION_POLICY, ENI_CONFIG_NAME } from '../components/terway/facts';
import { TYPHA_NAME } from '../components/typha/facts';
import { renderCluster } from '../output/render';
import { Diagnostic, ProfileError } from '../profile/diagnostics';
import { API_VERSION, KIND } from '../profile/schema';
import { importCilium } from './cilium';
import { configMapData, Dump, KubeObject, objectName, readDumps, specOf } from './dumps';
import { mostCommon, NodeFacts, nodeFacts, nodesMatching } from './nodes';

export interface ImportInput {
  /** metadata.name of the profile. */
  readonly name: string;
  readonly dumps: readonly Dump[];
  /** Only when the dumps cannot tell. */
  readonly platform?: Platform;
  /** `helm get values cilium -o yaml`. */
  readonly ciliumValues?: Dump;
  /** The Cilium chart version, when the values do not pin the image. */
  readonly ciliumVersion?: string;
  /** Path the profile will be read from (it appears in its diagnostics). */
  readonly file?: string;
}

export interface ImportResult {
  /** The profile document. */
  readonly profile: PlainMap;
  /** The profile as YAML, the comment block first. */
  readonly text: string;
  /** Settings of the cluster the profile does not carry, one line each. */
  readonly notMapped: readonly string[];
  /** What the first sync of the profile will change or add, to check before it. */
  readonly toCheck: readonly string[];
  /** Credentials found and left out. */
  readonly withheld: readonly string[];
  /** Warnings of the profile, as a synth would print them. */
  readonly warnings: readonly Diagnostic[];
}

/** The dumps do not make a profile: every problem found, positioned in the dump it is about. */
export class ImportError extends Error {
  constructor(public readonly diagnostics: readonly Diagnostic[]) {
    super(`${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'} importing the cluster`);
  }
}

/** ConfigMaps and Calico kinds import reads; everything else is named as not read. */
const KUBE_SYSTEM = 'kube-system';
const CALICO_CONFIG = 'calico-config';
const CALICO_KINDS = ['IPPool', 'BGPConfiguration', 'BGPPeer', 'FelixConfiguration'];
const CALICO_GROUPS = ['crd.projectcalico.org/v1', 'projectcalico.org/v3'];

/**
 * eni-config keys and what Terway does when one is absent, where netscale would write something
 * else: Terway's own default for vswitch_selection_policy is random (the chart writes ordered) and
 * for max_pool_size 0 (the chart writes 5) (AliyunContainerService/terway types/daemon/config.go).
 */
const TERWAY_ABSENT_DEFAULTS = { vswitch_selection_policy: 'random', max_pool_size: 0 } as const;

class Collector {
  readonly notMapped: string[] = [];
  readonly toCheck: string[] = [];
  readonly withheld: string[] = [];
  readonly errors: Diagnostic[] = [];

  note(line: string): void {
    this.notMapped.push(line);
  }

  check(line: string): void {
    this.toCheck.push(line);
  }

  error(file: string, message: string, path = ''): void {
    this.errors.push({ severity: 'error', file, line: 1, col: 1, path, message });
  }
}

export function importProfile(input: ImportInput): ImportResult {
  const read = readDumps(input.dumps);
  // A dump that cannot be read says so alone: what would follow (no Node list, no CNI) is its echo.
  if (read.diagnostics.length > 0) throw new ImportError(read.diagnostics);
  const c = new Collector();
  const sources = input.dumps.map((d) => d.source).join(', ') || 'no dump';

  const kubeProxy: KubeObject[] = [];
  const nodes: KubeObject[] = [];
  const calico: KubeObject[] = [];
  let eniConfig: KubeObject | undefined;
  let calicoConfig: KubeObject | undefined;
  let calicoNode: KubeObject | undefined;
  for (const o of read.objects) {
    const systemConfigMap = o.kind === 'ConfigMap' && (o.namespace ?? KUBE_SYSTEM) === KUBE_SYSTEM;
    if (o.kind === 'Secret') c.withheld.push(`${objectName(o)} (${o.source}): not read; credentials stay in the cluster`);
    else if (o.kind === 'Node') nodes.push(o);
    else if (systemConfigMap && Object.values(KUBE_PROXY_PRESETS).some((p) => p.configMapName === o.name)) kubeProxy.push(o);
    else if (systemConfigMap && o.name === ENI_CONFIG_NAME) eniConfig = o;
    else if (systemConfigMap && o.name === CALICO_CONFIG) calicoConfig = o;
    else if (o.kind === 'DaemonSet' && o.name === CALICO_NODE_DAEMONSET && (o.namespace ?? KUBE_SYSTEM) === KUBE_SYSTEM) calicoNode = o;
    else if (CALICO_KINDS.includes(o.kind) && CALICO_GROUPS.includes(o.apiVersion)) calico.push(o);
    else c.note(`${objectName(o)} (${o.source}): not a kind netscale imports`);
  }
  if (nodes.length === 0)
    c.error(sources, 'has no Node list: nodes, cores, zones and the Kubernetes version come from it (kubectl get nodes -o yaml)');
  const facts = nodeFacts(nodes);

  const platform = choosePlatform(input, facts, kubeProxy, eniConfig, c);
  const cni = eniConfig ? 'terway' : input.ciliumValues ? 'cilium' : calicoConfig || calico.length > 0 ? 'calico' : undefined;
  if (!cni)
    c.error(sources, 'shows no CNI netscale configures: give the eni-config (Terway) or calico-config and Calico resources, or --cilium-values');
  if (cni === 'terway' && platform !== undefined && platform !== 'ack')
    c.error(eniConfig!.source, `has Terway's eni-config, which runs only on ACK, but the platform is ${platform}`);
  if (c.errors.length > 0 || !platform || !cni) throw new ImportError(c.errors);

  const spec: PlainMap = { platform, cni };
  clusterFields(spec, facts, platform, nodes[0]?.source ?? sources, c);
  if (cni === 'terway') importTerway(spec, eniConfig!, facts, c);
  if (cni === 'calico') importCalico(spec, calicoConfig, calicoNode, calico, facts, c);
  else if (calicoNode) c.note(`${objectName(calicoNode)} (${calicoNode.source}): the cluster's CNI is ${cni}: not read`);
  if (cni === 'cilium') {
    const cilium = importCilium(input.ciliumValues!, input.ciliumVersion, c);
    if (cilium) spec.cilium = cilium;
  } else if (input.ciliumValues) c.note(`${input.ciliumValues.source}: Cilium values, but the cluster's CNI is ${cni}: not read`);
  importKubeProxy(spec, kubeProxy, platform, cni, c);
  if (c.errors.length > 0) throw new ImportError(c.errors);

  const profile: PlainMap = { apiVersion: API_VERSION, kind: KIND, metadata: { name: input.name }, spec };
  const file = input.file ?? `${input.name}.yaml`;
  let text = profileText(profile, sources, c);
  let loaded = loadImported(file, text);
  renderImported(loaded);
  // The restart Jobs (and the kubectl steps) roll a DaemonSet when the hash of its configuration is
  // not the one on its pod template; a cluster netscale never synced has none, so the first sync
  // restarts them even though the configuration they read is the cluster's own.
  const restarts = loaded.cluster.restarts;
  if (restarts.length > 0) {
    c.check(
      `the first sync restarts ${restarts.map((r) => `ds/${r.daemonSet}`).join(' and ')} once, node by node at each one's maxUnavailable ` +
        "(the review's Rollout and Duration give the pace): netscale cannot tell which configuration their running pods loaded, so it " +
        'restarts them onto the one it applies, which is the configuration imported here; sync in a window where a rolling restart is fine',
    );
    // Only the comment block grew: load again for the warnings' lines; the render cannot differ.
    text = profileText(profile, sources, c);
    loaded = loadImported(file, text);
  }
  return { profile, text, notMapped: c.notMapped, toCheck: c.toCheck, withheld: c.withheld, warnings: loaded.warnings };
}

function choosePlatform(
  input: ImportInput,
  facts: NodeFacts,
  kubeProxy: readonly KubeObject[],
  eniConfig: KubeObject | undefined,
  c: Collector,
): Platform | undefined {
  const evidence: Partial<Record<Platform, string>> = { ...facts.evidence };
  const worker = kubeProxy.find((o) => o.name === KUBE_PROXY_PRESETS.ack.configMapName);
  if (worker) evidence.ack ??= `the ConfigMap ${worker.name} is ACK's kube-proxy configuration`;
  if (eniConfig) evidence.ack ??= "eni-config is Terway's, which runs on ACK";
  // kubeadm's kube-proxy ConfigMap also holds the kubeconfig kube-proxy uses.
  const kubeadm = kubeProxy.find((o) => o.name === KUBE_PROXY_PRESETS.kubeadm.configMapName && configMapData(o)['kubeconfig.conf'] !== undefined);
  if (kubeadm) evidence.kubeadm ??= 'the kube-proxy ConfigMap holds kubeconfig.conf, as kubeadm writes it';
  const told = PLATFORMS.filter((p) => evidence[p] !== undefined);
  const where = input.dumps.map((d) => d.source).join(', ');
  if (input.platform) {
    const other = told.find((p) => p !== input.platform);
    if (other)
      c.error(
        where,
        `show ${other === 'ack' ? 'an' : 'a'} ${PLATFORM_NAMES[other]} cluster (${evidence[other]}), but --platform ` +
          `says ${input.platform}: leave --platform out`,
      );
    return input.platform;
  }
  if (told.length === 1) return told[0];
  if (told.length > 1)
    c.error(
      where,
      `show more than one ` +
        `platform (${told.map((p) => `${PLATFORM_NAMES[p]}: ${evidence[p]}`).join('; ')}): import one cluster at a time, or give --platform`,
    );
  else
    c.error(
      where,
      'cannot tell the platform (no ACK node labels or provider IDs, no k3s or kubeadm annotations): give --platform ack, kubeadm or k3s',
    );
  return undefined;
}

function clusterFields(spec: PlainMap, facts: NodeFacts, platform: Platform, nodeList: string, c: Collector): void {
  const version = mostCommon(facts.versions);
  if (version) spec.kubernetesVersion = version.value;
  if (version && !version.unanimous)
    c.note(`Node list: kubelets run ${describeCounts(facts.versions)}; kubernetesVersion is the most common, ${version.value}`);
  if (!version && facts.count > 0) c.error(nodeList, 'gives no kubelet version (status.nodeInfo.kubeletVersion)', 'spec.kubernetesVersion');
  spec.nodes = facts.count;
  const cores = mostCommon(facts.cores);
  if (cores) spec.cpuPerNode = cores.value;
  if (cores && !cores.unanimous)
    c.note(
      `Node list: nodes have ${describeCounts(facts.cores)} cores; cpuPerNode is the most common, ${cores.value}, which sizes conntrack per core`,
    );
  if (facts.maxPods !== undefined) spec.maxPodsPerNode = facts.maxPods;
  if (platform === 'ack') {
    if (facts.regions.size === 1) spec.region = [...facts.regions][0];
    else if (facts.regions.size === 0)
      c.error(
        nodeList,
        'tells no region (no topology.kubernetes.io/region label, no <region>.<instance-id> provider ID): ACK profiles need spec.region',
        'spec.region',
      );
    else c.error(nodeList, `spans regions ${[...facts.regions].sort().join(', ')}: a profile is one cluster in one region`, 'spec.region');
  }
  // Terway profiles take zones (terway.nodesPerZone); elsewhere they are only worth knowing.
  if (facts.zones.size > 0 && platform !== 'ack')
    c.note(`Node list: nodes per zone ${describeCounts(facts.zones)} (only Terway profiles take zones)`);
}

function describeCounts<K extends string | number>(counts: ReadonlyMap<K, number>): string {
  return [...counts]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([k, n]) => `${k} (${n})`)
    .join(', ');
}

function importTerway(spec: PlainMap, eni: KubeObject, facts: NodeFacts, c: Collector): void {
  const data = configMapData(eni);
  const terway: PlainMap = {};
  // disable_network_policy: anything but "false", "0" or "" turns policy off (terway cmd/terway-cli/policy.go).
  const disabled = data.disable_network_policy !== undefined && !['false', '0', ''].includes(data.disable_network_policy);
  const relay = data.felix_relay_service ?? '';
  spec.networkPolicy = disabled ? 'disabled' : relay !== '' ? 'relay' : 'direct';
  if (relay !== '' && !disabled) {
    if (relay !== TYPHA_NAME)
      c.check(
        `eni-config felix_relay_service: "${relay}"; netscale's relay is the ` +
          `Service ${TYPHA_NAME}, so the first sync points Felix at it: rename yours or check both`,
      );
    c.check(
      `eni-config: Felix reaches the API server through Typha; netscale renders ` +
        `the ${TYPHA_NAME} Service, Deployment and PodDisruptionBudget itself: compare with kubectl -n kube-system get ` +
        `deploy,svc,pdb ${TYPHA_NAME} -o yaml before the first sync`,
    );
  }

  const rawEniConf = data.eni_conf;
  if (rawEniConf !== undefined) {
    let conf: unknown;
    try {
      conf = JSON.parse(rawEniConf);
    } catch (e) {
      c.error(eni.source, `eni_conf is not JSON: ${(e as Error).message}`, 'data.eni_conf');
      return;
    }
    if (!isPlainObject(conf)) {
      c.error(eni.source, 'eni_conf must be a JSON object', 'data.eni_conf');
      return;
    }
    const credentials = Object.keys(conf).filter(isCredentialKey);
    for (const key of credentials) delete conf[key];
    if (credentials.length > 0) {
      const path = typeof conf.credential_path === 'string' ? conf.credential_path : DEFAULT_CREDENTIAL_PATH;
      // The note names no key: the guard on the profile flags their names too.
      c.withheld.push(
        `eni-config eni_conf: its cloud ` +
          `credentials (${credentials.length} key${credentials.length === 1 ? '' : 's'}) are not copied; Terway reads its RAM credentials from ` +
          `credential_path (${path}), which ACK mounts on every node; the first sync removes them from the cluster's eni_conf`,
      );
    }
    terway.baseEniConf = JSON.stringify(conf, null, 2);
    // netscale writes these keys (renderEniConf) with its own defaults; where the cluster's eni_conf
    // lacks one, the profile keeps what Terway does today instead.
    if (conf.vswitch_selection_policy === undefined) {
      terway.vswitchSelectionPolicy = TERWAY_ABSENT_DEFAULTS.vswitch_selection_policy;
      c.check(
        `eni-config eni_conf has no vswitch_selection_policy: Terway picks at random then (netscale's ` +
          `default is ${DEFAULT_VSWITCH_SELECTION_POLICY}), so the profile says random`,
      );
    }
    if (conf.max_pool_size === undefined) {
      terway.pool = { max: TERWAY_ABSENT_DEFAULTS.max_pool_size };
      c.check(
        `eni-config eni_conf has no max_pool_size: Terway keeps no idle IPs then (netscale's ` +
          `default is ${DEFAULT_MAX_POOL_SIZE}), so the profile says pool.max: 0`,
      );
    }
    if (conf.credential_path === undefined && credentials.length === 0)
      c.check(`eni-config eni_conf has no credential_path: netscale writes ${DEFAULT_CREDENTIAL_PATH}, the RAM role ACK mounts`);
    if (typeof conf.service_cidr === 'string') spec.serviceCidr = conf.service_cidr;
    const vswitches = conf.vswitches;
    if (
      isPlainObject(vswitches) &&
      Object.entries(vswitches).every(
        ([zone, ids]) =>
          /^[a-z]{2}-[a-z0-9-]+$/.test(zone) &&
          Array.isArray(ids) &&
          ids.length > 0 &&
          ids.every((id) => typeof id === 'string' && /^vsw-[a-z0-9]+$/.test(id)),
      )
    ) {
      terway.vswitches = vswitches;
      const zones = [...facts.zones.keys()];
      const covered =
        zones.length > 0 && zones.every((z) => vswitches[z] !== undefined) && [...facts.zones.values()].reduce((a, b) => a + b, 0) === facts.count;
      if (covered) terway.nodesPerZone = Object.fromEntries([...facts.zones].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
      else if (zones.length > 0)
        c.note(
          `Node list: nodes per zone ${describeCounts(facts.zones)}; nodes run in ` +
            `zones ${zones.sort().join(', ')}, not all of which have pod vSwitches in eni_conf: terway.nodesPerZone left out`,
        );
    }
  } else {
    c.note('eni-config has no eni_conf: the profile owns only felix_relay_service and disable_network_policy (patch mode)');
  }

  const cniConf = data['10-terway.conf'];
  if (cniConf !== undefined) {
    try {
      const parsed: unknown = JSON.parse(cniConf);
      if (isPlainObject(parsed)) terway.baseCniConf = JSON.stringify(parsed, null, 2);
      else c.note('eni-config 10-terway.conf is not a JSON object: not imported');
    } catch {
      c.note('eni-config 10-terway.conf is not JSON: not imported');
    }
  }
  if (data.in_cluster_loadbalance === 'true' || data.in_cluster_loadbalance === 'false')
    terway.inClusterLoadBalance = data.in_cluster_loadbalance === 'true';
  const owned = ['eni_conf', '10-terway.conf', 'disable_network_policy', 'felix_relay_service', 'in_cluster_loadbalance'];
  for (const key of Object.keys(data)
    .filter((k) => !owned.includes(k))
    .sort())
    c.note(`eni-config ${key}: not a key netscale renders; it stays as the cluster has it`);
  if (Object.keys(terway).length > 0) spec.terway = terway;
}

function importKubeProxy(spec: PlainMap, configMaps: readonly KubeObject[], platform: Platform, cni: string, c: Collector): void {
  if (configMaps.length === 0) return;
  if (configMaps.length > 1)
    c.note(`${configMaps.map(objectName).join(' and ')}: more than one kube-proxy ConfigMap; ${objectName(configMaps[0])} is imported`);
  const cm = configMaps[0];
  const data = configMapData(cm);
  if (platform === 'k3s') {
    c.note(`${objectName(cm)}: k3s runs kube-proxy inside k3s with kube-proxy-arg flags, not from a ConfigMap: not imported`);
    return;
  }
  if (cni === 'cilium') {
    c.note(`${objectName(cm)}: the cluster runs kube-proxy, which Cilium replaces in a netscale profile: not imported`);
    return;
  }
  const preset = KUBE_PROXY_PRESETS[platform];
  const key = data[preset.configMapKey] !== undefined ? preset.configMapKey : Object.keys(data).find((k) => parseBaseConfig(data[k]).ok);
  if (key === undefined) {
    c.error(cm.source, `has no KubeProxyConfiguration (expected in ${preset.configMapKey})`, `${objectName(cm)}.data`);
    return;
  }
  const parsed = parseBaseConfig(data[key]);
  if (!parsed.ok) {
    c.error(cm.source, `${key} ${parsed.reason}`, `${objectName(cm)}.data`);
    return;
  }
  const mode = parsed.config.mode;
  if (typeof mode !== 'string' || !(KUBE_PROXY_MODES as readonly string[]).includes(mode)) {
    const shown = typeof mode === 'string' && mode !== '' ? mode : 'iptables, the default';
    c.note(
      `${objectName(cm)}: kube-proxy runs in ${shown} mode; netscale ` +
        `tunes ${KUBE_PROXY_MODES.join(' or ')}: add a kubeProxy section (mode, and this ConfigMap's ${key} as baseConfig) when you switch`,
    );
    return;
  }
  const section: PlainMap = { mode, baseConfig: data[key] };
  if (cm.name !== preset.configMapName) section.configMapName = cm.name;
  if (key !== preset.configMapKey) section.configMapKey = key;
  for (const other of Object.keys(data)
    .filter((k) => k !== key)
    .sort())
    c.note(`${objectName(cm)} ${other}: not copied; netscale owns only ${key} and the rest stays as the cluster has it`);
  spec.kubeProxy = section;
}

function importCalico(
  spec: PlainMap,
  config: KubeObject | undefined,
  node: KubeObject | undefined,
  objects: readonly KubeObject[],
  facts: NodeFacts,
  c: Collector,
): void {
  const section: PlainMap = {};
  const release = node ? calicoNodeRelease(node) : undefined;
  if (node && !release) c.note(`${objectName(node)}: no calico/node:vX.Y.Z image, so calico.version is left out`);
  if (config) {
    const data = configMapData(config);
    const typha = data.typha_service_name ?? 'none';
    // calico-typha.yaml names its Typha in typha_service_name and hands it to Felix as
    // FELIX_TYPHAK8SSERVICENAME; calico.yaml sets "none" and has no such env entry
    // (projectcalico/calico manifests/calico-typha.yaml, manifests/calico.yaml).
    const readsTypha = node ? calicoNodeEnv(node).includes(FELIX_TYPHA_SERVICE_ENV) : typha !== 'none' && typha !== '';
    section.install = readsTypha ? 'manifest-typha' : 'manifest';
    if (release) section.version = release;
    spec.networkPolicy = readsTypha && typha !== 'none' && typha !== '' ? 'relay' : 'direct';
    if (spec.networkPolicy === 'relay' && !release) {
      c.error(
        node?.source ?? config.source,
        `calico-config points calico-node at Typha ` +
          `(typha_service_name: ${typha}), and netscale renders that Typha with the installed release's image and RBAC: give the calico-node ` +
          `DaemonSet too (kubectl -n kube-system get ds calico-node -o yaml), whose image names the release`,
      );
    }
    if (spec.networkPolicy === 'relay') {
      if (typha !== TYPHA_NAME)
        c.check(
          `calico-config typha_service_name: "${typha}"; netscale's relay is the Service ${TYPHA_NAME}, so the first sync points calico-node at it`,
        );
      c.check(
        `calico-config: calico-node reaches the API server through Typha; netscale renders ` +
          `the ${TYPHA_NAME} Service, Deployment and PodDisruptionBudget itself: compare with kubectl -n kube-system get ` +
          `deploy,svc,pdb ${TYPHA_NAME} -o yaml before the first sync`,
      );
    }
    for (const key of Object.keys(data)
      .filter((k) => k !== 'typha_service_name')
      .sort())
      c.note(`calico-config ${key}: not a key netscale renders; it stays as the cluster has it`);
  }

  if (release && !config) section.version = release;
  const pools = objects.filter((o) => o.kind === 'IPPool');
  if (pools.length > 0) section.ipPools = pools.map((p) => importPool(p, c));

  const felix = objects.find((o) => o.kind === 'FelixConfiguration' && o.name === 'default');
  for (const o of objects.filter((x) => x.kind === 'FelixConfiguration' && x.name !== 'default'))
    c.note(`${objectName(o)}: per-node Felix settings are not modelled; they stay as the cluster has them`);
  // Without one, calico.mtu stays out and netscale writes no MTU: Felix keeps deriving it from the host.
  if (felix) importFelix(section, felix, c);

  const bgp = importBgp(objects, facts, c);
  if (bgp) section.bgp = bgp;
  if (Object.keys(section).length > 0) spec.calico = section;
}

/** The calico-node container's env names. */
function calicoNodeEnv(o: KubeObject): string[] {
  const containers = (specOf(o).template as { spec?: { containers?: unknown } } | undefined)?.spec?.containers;
  const node = Array.isArray(containers) ? containers.find((x) => isPlainObject(x) && x.name === CALICO_NODE_CONTAINER) : undefined;
  const env = isPlainObject(node) && Array.isArray(node.env) ? node.env : [];
  return env.filter(isPlainObject).map((e) => String(e.name));
}

/** The Calico release calico-node runs, from its image (`calico/node:v3.28.5`, any registry). */
function calicoNodeRelease(o: KubeObject): string | undefined {
  const containers = (specOf(o).template as { spec?: { containers?: unknown } } | undefined)?.spec?.containers;
  const images = Array.isArray(containers) ? containers.filter(isPlainObject).map((x) => String(x.image ?? '')) : [];
  for (const image of images) {
    const m = /(?:^|\/)node:v(\d+\.\d+\.\d+)$/.exec(image);
    if (m) return m[1];
  }
  return undefined;
}

const POOL_FIELDS = ['cidr', 'blockSize', 'ipipMode', 'vxlanMode', 'natOutgoing', 'nodeSelector', 'disabled'] as const;

function importPool(o: KubeObject, c: Collector): PlainMap {
  const s = specOf(o);
  const pool: PlainMap = { name: o.name };
  for (const f of POOL_FIELDS) if (s[f] !== undefined) pool[f] = s[f];
  // An IPPool without natOutgoing does not masquerade (Calico's default, api/pkg/apis/projectcalico/v3/ippool.go);
  // netscale's default is true, so the profile says false.
  if (s.natOutgoing === undefined && CALICO_IP_POOL_DEFAULTS.natOutgoing) {
    pool.natOutgoing = false;
    c.note(`${objectName(o)} has no natOutgoing: Calico does not masquerade then, so the profile says natOutgoing: false`);
  }
  const other = Object.keys(s)
    .filter((k) => !(POOL_FIELDS as readonly string[]).includes(k))
    .sort();
  if (other.length > 0)
    c.note(`${objectName(o)} ${other.join(', ')}: not modelled; kept as the cluster has them (netscale applies only the fields it renders)`);
  return pool;
}

function importFelix(section: PlainMap, felix: KubeObject, c: Collector): void {
  const s = specOf(felix);
  // The tunnel MTU Felix was given, back to the underlay MTU netscale derives it from (calico/mtu.ts).
  const underlay = new Set<number>();
  const mtuFields: Array<[string, number]> = [
    ['ipipMTU', TUNNEL_OVERHEAD.ipip[4]],
    ['vxlanMTU', TUNNEL_OVERHEAD.vxlan[4]],
    ['wireguardMTU', TUNNEL_OVERHEAD.wireguard[4]],
  ];
  for (const [field, overhead] of mtuFields)
    if (typeof s[field] === 'number' && (s[field] as number) > 0) underlay.add((s[field] as number) + overhead);
  if (underlay.size === 1) section.mtu = [...underlay][0];
  else if (underlay.size > 1)
    c.note(
      `${objectName(felix)} tunnel MTUs (${mtuFields
        .filter(([f]) => s[f] !== undefined)
        .map(([f]) => `${f} ${String(s[f])}`)
        .join(', ')}) imply different node MTUs: calico.mtu left out`,
    );
  if (s.wireguardEnabled === true) section.wireguard = true;
  const known = ['ipipMTU', 'vxlanMTU', 'wireguardMTU', 'wireguardEnabled'];
  const other = Object.keys(s)
    .filter((k) => !known.includes(k))
    .sort();
  if (other.length > 0)
    c.note(`${objectName(felix)} ${other.join(', ')}: not modelled; kept as the cluster has them (netscale applies only the fields it renders)`);
}

function importBgp(objects: readonly KubeObject[], facts: NodeFacts, c: Collector): PlainMap | undefined {
  const config = objects.find((o) => o.kind === 'BGPConfiguration' && o.name === 'default');
  const peers = objects.filter((o) => o.kind === 'BGPPeer');
  for (const o of objects.filter((x) => x.kind === 'BGPConfiguration' && x.name !== 'default'))
    c.note(`${objectName(o)}: per-node BGP settings are not modelled; they stay as the cluster has them`);
  const nodePeers = peers.filter((p) => typeof specOf(p).peerSelector === 'string' && specOf(p).peerIP === undefined);
  for (const p of peers.filter((x) => !nodePeers.includes(x))) {
    const s = specOf(p);
    c.note(
      `${objectName(p)} (peerIP ${String(s.peerIP ?? '?')}, asNumber ${String(s.asNumber ?? '?')}): peerings outside the cluster are not ` +
        `modelled; it stays as the cluster has it`,
    );
  }
  if (!config) {
    for (const p of nodePeers)
      c.note(`${objectName(p)}: no BGPConfiguration default (the node mesh is on), so this peer is not modelled; it stays as the cluster has it`);
    return undefined;
  }
  const s = specOf(config);
  const bgp: PlainMap = {};
  if (typeof s.asNumber === 'number') bgp.asNumber = s.asNumber;
  const other = Object.keys(s)
    .filter((k) => k !== 'asNumber' && k !== 'nodeToNodeMeshEnabled')
    .sort();
  if (other.length > 0) c.note(`${objectName(config)} ${other.join(', ')}: not modelled; kept as the cluster has them`);
  if (s.nodeToNodeMeshEnabled !== false) {
    for (const p of nodePeers) c.note(`${objectName(p)}: the node mesh is on, so this peer is not modelled; it stays as the cluster has it`);
    return bgp;
  }
  // Mesh off: route reflectors, selected by the peers' peerSelector.
  const selectors = [...new Set(nodePeers.map((p) => String(specOf(p).peerSelector).trim()))];
  if (selectors.length !== 1) {
    c.note(
      `${objectName(config)}: the node mesh is off and the BGPPeers ` +
        `select ${selectors.length === 0 ? 'no' : 'several different'} route reflectors; netscale models one set of reflectors: ` +
        `spec.calico.bgp left out, BGP stays as the cluster has it`,
    );
    return undefined;
  }
  const selector = selectors[0];
  const reflectors = nodesMatching(selector, facts.labels);
  if (!reflectors || reflectors.length < 2) {
    const why = reflectors
      ? `${reflectors.length} node${reflectors.length === 1 ? '' : 's'} of the Node list match${reflectors.length === 1 ? 'es' : ''} it`
      : 'import cannot evaluate that selector';
    c.note(`route reflectors "${selector}": ${why}, and a profile names at least two: spec.calico.bgp left out, BGP stays as the cluster has it`);
    return undefined;
  }
  const ids = [...new Set(reflectors.map((n) => facts.routeReflectorIds.get(n)).filter((x): x is string => x !== undefined))];
  const routeReflectors: PlainMap = { nodeSelector: selector, nodes: reflectors };
  if (ids.length === 1) routeReflectors.clusterId = ids[0];
  else if (ids.length > 1) c.note(`route reflectors carry different cluster IDs (${ids.join(', ')}): clusterId left at netscale's default`);
  bgp.routeReflectors = routeReflectors;
  // netscale renders exactly these two peers for the reflectors (calico-network.ts).
  const expected: Record<string, { nodeSelector: string; peerSelector: string }> = {
    [PEER_WITH_ROUTE_REFLECTORS]: { nodeSelector: `!(${selector})`, peerSelector: selector },
    [ROUTE_REFLECTOR_MESH]: { nodeSelector: selector, peerSelector: selector },
  };
  for (const p of nodePeers) {
    const want = expected[p.name];
    const ps = specOf(p);
    if (want && ps.nodeSelector === want.nodeSelector && ps.peerSelector === want.peerSelector) continue;
    c.check(
      `${objectName(p)} (nodeSelector ${JSON.stringify(ps.nodeSelector ?? 'all()')}, peerSelector ${JSON.stringify(ps.peerSelector)}): ` +
        `netscale renders its own peers ${PEER_WITH_ROUTE_REFLECTORS} and ${ROUTE_REFLECTOR_MESH} for these reflectors; ` +
        'compare, and remove this one once they are established',
    );
  }
  return bgp;
}

/** The profile as YAML: the comment block (what did not map, what was withheld), then the document. */
function profileText(profile: PlainMap, sources: string, c: Collector): string {
  const lines = [
    '# yaml-language-server: $schema=../schema/clusterprofile.schema.json',
    `# Imported by netscale import from ${sources}.`,
    '# netscale applies only the fields it renders; everything else stays as the cluster has it.',
  ];
  const block = (title: string, items: readonly string[]) => {
    if (items.length > 0) lines.push('#', `# ${title}`, ...items.map((n) => `#   - ${n.replace(/\n/g, ' ')}`));
  };
  block('Check before the first sync:', c.toCheck);
  block('Not mapped (netscale leaves these as the cluster has them):', c.notMapped);
  block('Credentials found and not copied:', c.withheld);
  return `${lines.join('\n')}\n${stringify(profile, { lineWidth: 0 })}`;
}

/** The imported profile loads like any other (the warnings keep its lines) and holds no credential. */
function loadImported(file: string, text: string): LoadedProfile {
  const found = findCredentials(text)[0]?.what;
  if (found) throw new Error(`netscale import would have written ${found} into the profile: refusing`);
  const loaded = loadProfileText(file, text);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.profile || errors.length > 0) throw new ImportError(errors.map((d) => ({ ...d, message: `(in the imported profile) ${d.message}` })));
  return loaded.profile;
}

/** The imported profile renders like any other: a problem only the render finds is the import's. */
function renderImported(profile: LoadedProfile): void {
  try {
    renderCluster(profile);
  } catch (e) {
    if (e instanceof ProfileError) throw new ImportError(e.diagnostics.map((d) => ({ ...d, message: `(in the imported profile) ${d.message}` })));
    throw e;
  }
}

export type { Collector };
