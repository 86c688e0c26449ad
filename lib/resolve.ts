/**
 * From a checked profile to what the constructs take: defaults applied and sizing rules run, each
 * decision recorded with its rule, so the review explains exactly the numbers in dist/.
 */
import { CALICO_DEFAULT_BLOCK_SIZE, CALICO_NODE_DAEMONSET, CalicoNetworkProps, calicoRouteReflectorSteps, calicoTunnelMtus, DEFAULT_UNDERLAY_MTU } from './calico-network';
import { CiliumDelivery, ciliumReviewNotes, CiliumValues, ciliumValues } from './cilium-values';
import { ipvsModuleStep, KUBE_PROXY_PRESETS, kubeProxyConfigYaml, KubeProxyIpvsTuningProps, kubeProxyRestartStep, k3sKubeProxyArgs } from './kube-proxy-ipvs-tuning';
import { cidrOf } from './net/cidr';
import { error, Finding, FieldPath, warning } from './profile/diagnostics';
import { ciliumDelivery, ENI_CONF_FIELDS, parseBaseEniConf, TYPED_ENI_CONF_KEYS } from './profile/rules';
import { ArgocdSpec, CalicoSpec, CiliumSpec, ClusterProfile, ClusterSpec, Cni, KubeProxySpec, NetworkPolicyMode, Platform, TerwaySpec } from './profile/schema';
import { apiServerWatches, conntrackSizing, FELIX_WATCHED_RESOURCE_TYPES, Decision, spreadNodes, typhaHeadroom, typhaReplicas, VSWITCH_RECOMMENDED_PREFIX, zoneCapacity, ZoneCapacity } from './sizing';
import { DEFAULT_CREDENTIAL_PATH, DEFAULT_MAX_POOL_SIZE, DEFAULT_MIN_POOL_SIZE, EniConfProps, eniConfigData, TERWAY_DAEMONSET, TerwayEniConfigProps } from './terway-eni-config';
import { ackTyphaImage, TYPHA_NAME, TyphaRelayProps, UPSTREAM_TYPHA_IMAGE } from './typha-relay';

/** Headroom below which a zone's pod IPs get a warning (seed 003's advice to expand early). */
export const IP_HEADROOM_WARNING = 0.2;

/** A DaemonSet that reads its configuration only at start, and what it reads. */
export interface RestartNeed {
  readonly daemonSet: string;
  readonly namespace: string;
  /** The configuration it reads; its hash names the restart Job. */
  readonly configuration: string;
  readonly why: string;
}

export interface ResolvedArgocd {
  readonly repoURL: string;
  readonly targetRevision: string;
  /** Folder of the rendered output in the repository (dist). */
  readonly path: string;
  readonly project: string;
  readonly namespace: string;
  readonly destination: { readonly server?: string; readonly name?: string };
  readonly kubectlImage?: string;
  readonly restartTimeout: string;
}

export interface ResolvedCilium {
  readonly version: string;
  readonly delivery: CiliumDelivery;
  readonly values: CiliumValues;
}

export interface ResolvedCluster {
  readonly name: string;
  readonly platform: Platform;
  readonly cni: Cni;
  readonly kubernetesVersion: string;
  readonly nodes: number;
  readonly networkPolicy: NetworkPolicyMode;
  readonly typha?: TyphaRelayProps & { readonly replicas: number };
  readonly terway?: TerwayEniConfigProps;
  readonly cilium?: ResolvedCilium;
  readonly kubeProxy?: KubeProxyIpvsTuningProps;
  readonly calico?: CalicoNetworkProps;
  /** Self-managed Calico with the relay: calico-config points calico-node at Typha. */
  readonly calicoTyphaService?: string;
  readonly argocd?: ResolvedArgocd;
  readonly zoneCapacity: readonly ZoneCapacity[];
  /** DaemonSets to restart after their configuration changed, in this order. */
  readonly restarts: readonly RestartNeed[];
  /** Further review text (Markdown lines) from the constructs, e.g. Cilium's install notes. */
  readonly notes: readonly string[];
  /** Every computed or defaulted value that shapes dist/, with its rule. */
  readonly decisions: readonly Decision[];
  /** What a human still has to do beyond applying dist/ and the restarts. */
  readonly steps: readonly string[];
}

export interface Resolution {
  readonly cluster: ResolvedCluster;
  readonly findings: readonly Finding[];
}

/** What every section adds to as it resolves: problems, decisions, manual steps, restarts, notes. */
interface SectionRecord {
  readonly findings: Finding[];
  readonly decisions: Decision[];
  readonly steps: string[];
  readonly restarts: RestartNeed[];
  readonly notes: string[];
}

export function resolveProfile(profile: ClusterProfile): Resolution {
  const spec = profile.spec;
  const r: SectionRecord = { findings: [], decisions: [], steps: [], restarts: [], notes: [] };
  const networkPolicy = spec.networkPolicy ?? 'direct';
  r.decisions.push({ name: 'NetworkPolicy mode', value: networkPolicy, rule: spec.networkPolicy ? 'set in the profile' : 'default: direct (no change to how Felix reaches the API server)' });

  const typha = networkPolicy === 'relay' ? resolveTypha(spec, r) : undefined;
  if (networkPolicy === 'direct' && spec.cni !== 'cilium') recordWatchesWithoutRelay(spec.nodes, r);
  const terway = spec.cni === 'terway' ? resolveTerway(spec, networkPolicy, r) : undefined;
  const kubeProxy = spec.kubeProxy ? resolveKubeProxy(spec, spec.kubeProxy, r) : undefined;
  const calico = spec.cni === 'calico' && spec.calico ? resolveCalico(spec.calico, r) : undefined;
  const calicoTyphaService = spec.cni === 'calico' && networkPolicy === 'relay' ? pointCalicoAtTypha(r) : undefined;
  const cilium = spec.cni === 'cilium' && spec.cilium ? resolveCilium(spec, spec.cilium, r) : undefined;

  return {
    cluster: {
      name: profile.metadata.name,
      platform: spec.platform,
      cni: spec.cni,
      kubernetesVersion: spec.kubernetesVersion,
      nodes: spec.nodes,
      networkPolicy,
      typha,
      terway: terway?.props,
      cilium,
      kubeProxy,
      calico,
      calicoTyphaService,
      argocd: spec.argocd ? resolveArgocd(spec.argocd, spec.nodes, r) : undefined,
      zoneCapacity: terway?.zones ?? [],
      restarts: r.restarts,
      notes: r.notes,
      decisions: r.decisions,
      steps: r.steps,
    },
    findings: r.findings,
  };
}

function resolveTypha(spec: ClusterSpec, r: SectionRecord): ResolvedCluster['typha'] {
  const t = spec.typha ?? {};
  const sizing = typhaReplicas({ nodes: spec.nodes, ...t });
  for (const message of sizing.errors) r.findings.push(error(['spec', 'typha', ...(t.replicas !== undefined ? ['replicas'] : [])], message));
  if (sizing.capped) {
    r.findings.push(
      warning(['spec', 'nodes'], `${spec.nodes} nodes ask for ${sizing.uncapped} Typha replicas; capped at maxReplicas ${sizing.replicas} (${Math.ceil(spec.nodes / sizing.replicas)} nodes per replica)`, 'Calico: at most 20 Typha replicas'),
    );
  }
  r.decisions.push(sizing.decision);
  const onAck = spec.platform === 'ack';
  const image = t.image ?? (onAck ? ackTyphaImage(spec.region ?? '') : UPSTREAM_TYPHA_IMAGE);
  r.decisions.push({ name: 'Typha image', value: image, rule: t.image ? 'set in the profile' : onAck ? `ACK VPC registry of ${spec.region}, pinned tag` : 'upstream Calico Typha, pinned' });
  const serviceAccountName = t.serviceAccountName ?? (onAck ? 'terway' : TYPHA_NAME);
  if (t.tls) {
    const client = t.tls.clientCommonName ? `common name ${t.tls.clientCommonName}` : `URI SAN ${t.tls.clientUriSan}`;
    r.steps.push(
      `Before the sync, give calico-node its Typha client certificate, or a TLS-only Typha refuses every Felix: mount a Secret with a certificate for ${client}, signed by the CA in ${t.tls.caConfigMapName}, and set FELIX_TYPHACAFILE, FELIX_TYPHACERTFILE and FELIX_TYPHAKEYFILE on the calico-node DaemonSet, plus FELIX_TYPHACN or FELIX_TYPHAURISAN to the name in Typha's server certificate (Secret ${t.tls.secretName}).`,
    );
  }
  if (onAck) r.steps.push('Before the sync, upgrade the Terway add-on to its latest version in the ACK console: older Terway releases do not read felix_relay_service (seeds 000/001).');
  r.decisions.push({ name: 'Typha service account', value: serviceAccountName, rule: onAck ? 'ACK: reuse Terway\'s account, which can read what Felix reads' : 'own account with the ClusterRole Typha needs' });
  if (sizing.errors.length === 0) {
    r.decisions.push(apiServerWatches(spec.nodes, sizing.replicas).decision);
    // Felix on every node, and confd too where calico-node runs BGP; the ACK build predates the fourth syncer type.
    const clientsPerNode = spec.cni === 'calico' ? 2 : 1;
    r.decisions.push(typhaHeadroom({ nodes: spec.nodes, replicas: sizing.replicas, clientsPerNode, syncerTypes: image === ackTyphaImage(spec.region ?? '') ? 3 : 4 }).decision);
  }
  return {
    replicas: sizing.replicas,
    image,
    serviceAccountName,
    createRbac: !onAck || t.serviceAccountName !== undefined,
    bgpPeerCrd: t.bgpPeerCrd ?? onAck,
    logSeverity: t.logSeverity,
    shutdownTimeoutSeconds: t.shutdownTimeoutSeconds,
    cpuRequest: t.resources?.cpu,
    memoryRequest: t.resources?.memory,
    tls: t.tls,
  };
}

/** What the relay would change, so a reviewer of a direct profile sees the cost of staying direct. */
function recordWatchesWithoutRelay(nodes: number, r: SectionRecord): void {
  const wouldBe = typhaReplicas({ nodes });
  if (wouldBe.errors.length > 0) return;
  const w = apiServerWatches(nodes, wouldBe.replicas);
  r.decisions.push({
    ...w.decision,
    value: formatWatches(w.withoutRelay),
    rule: `${formatWatches(nodes)} nodes x ${FELIX_WATCHED_RESOURCE_TYPES} resource types = ${formatWatches(w.withoutRelay)} watches; the relay (networkPolicy: relay) would cut them to ${wouldBe.replicas} Typha replicas x ${FELIX_WATCHED_RESOURCE_TYPES} = ${formatWatches(w.withRelay)}, ${w.reduction}x fewer`,
  });
}

function resolveTerway(spec: ClusterSpec, networkPolicy: NetworkPolicyMode, r: SectionRecord): { props: TerwayEniConfigProps; zones: ZoneCapacity[] } {
  const t: TerwaySpec = spec.terway ?? {};
  const typed = ENI_CONF_FIELDS.filter((f) => t[f] !== undefined);
  const mode = t.mode ?? (typed.length > 0 ? 'full' : 'patch');
  r.decisions.push({
    name: 'eni-config mode',
    value: mode,
    rule: t.mode ? 'set in the profile' : typed.length > 0 ? `full: eni_conf fields given (${typed.join(', ')})` : 'patch: no eni_conf fields given; only the relay and policy keys are owned',
  });
  const props: TerwayEniConfigProps = {
    mode,
    felixRelayService: networkPolicy === 'relay' ? TYPHA_NAME : undefined,
    disableNetworkPolicy: networkPolicy === 'disabled',
    eniConf: mode === 'full' ? fullEniConf(t, spec.serviceCidr) : undefined,
    cniConf: t.cniConf,
    inClusterLoadBalance: t.inClusterLoadBalance,
  };
  if (mode === 'full') {
    const conf = props.eniConf!;
    const whence = (profileSet: boolean, resolved: unknown, fallback: string) => (profileSet ? 'set in the profile' : resolved !== undefined ? 'kept from baseEniConf' : fallback);
    r.decisions.push({
      name: 'IP pool watermarks',
      value: `min ${conf.minPoolSize ?? DEFAULT_MIN_POOL_SIZE}, max ${conf.maxPoolSize ?? DEFAULT_MAX_POOL_SIZE}`,
      rule: whence(t.pool !== undefined, conf.maxPoolSize ?? conf.minPoolSize, `Terway chart defaults (min_pool_size ${DEFAULT_MIN_POOL_SIZE}, max_pool_size ${DEFAULT_MAX_POOL_SIZE})`),
    });
    r.decisions.push({ name: 'credential_path', value: conf.credentialPath ?? DEFAULT_CREDENTIAL_PATH, rule: whence(t.credentialPath !== undefined, conf.credentialPath, 'ACK default: the RAM role token mounted on every node') });
    if (t.baseEniConf !== undefined) {
      const kept = Object.keys(conf.base ?? {}).filter((k) => TYPED_ENI_CONF_KEYS[k] === undefined);
      r.decisions.push({ name: 'eni_conf keys kept', value: kept.length, rule: kept.length > 0 ? `from baseEniConf, not modelled by the profile: ${kept.sort().join(', ')}` : 'baseEniConf has no keys beyond the typed ones' });
    }
  }
  const zones = checkCapacity(t, spec.nodes, spec.maxPodsPerNode, r.findings);
  for (const z of zones) r.decisions.push(z.decision);
  // Nothing owned (direct in patch mode) changes nothing Terway reads: no restart.
  const owned = eniConfigData(props);
  if (Object.keys(owned).length > 0) r.restarts.push({ daemonSet: TERWAY_DAEMONSET, namespace: 'kube-system', configuration: JSON.stringify(owned), why: 'Terway reads eni-config only when it starts' });
  return { props, zones };
}

function resolveKubeProxy(spec: ClusterSpec, k: KubeProxySpec, r: SectionRecord): KubeProxyIpvsTuningProps {
  const mode = k.mode ?? 'ipvs';
  r.decisions.push({ name: 'kube-proxy mode', value: mode, rule: k.mode ? 'set in the profile' : 'default: ipvs (seed 002)' });
  if (mode === 'ipvs') r.decisions.push({ name: 'IPVS scheduler', value: k.scheduler ?? 'rr', rule: k.scheduler ? 'set in the profile' : 'kube-proxy default: rr (seed 002 uses lc: least connections)', source: 'seed 002' });
  // Without cpuPerNode nothing can be sized, but explicit values still render (the rules warn).
  let conntrack: { conntrackMaxPerCore?: number; conntrackMin?: number } = { conntrackMaxPerCore: k.conntrackMaxPerCore, conntrackMin: k.conntrackMin };
  if (spec.cpuPerNode !== undefined && (k.conntrackMax !== undefined || k.conntrackMaxPerCore !== undefined || k.conntrackMin !== undefined)) {
    const sizing = conntrackSizing({ cpuPerNode: spec.cpuPerNode, conntrackMax: k.conntrackMax, conntrackMaxPerCore: k.conntrackMaxPerCore, conntrackMin: k.conntrackMin });
    r.decisions.push(...sizing.decisions);
    conntrack = { conntrackMaxPerCore: sizing.maxPerCore, conntrackMin: sizing.min };
  }
  const { conntrackMax: _max, conntrackMaxPerCore: _perCore, conntrackMin: _min, ...tuning } = k;
  const props: KubeProxyIpvsTuningProps = { ...tuning, ...conntrack, platform: spec.platform };
  if (spec.platform === 'k3s') {
    r.steps.push(kubeProxyRestartStep('k3s', { k3sArgs: k3sKubeProxyArgs(props) }));
  } else {
    const preset = KUBE_PROXY_PRESETS[spec.platform];
    r.restarts.push({ daemonSet: preset.daemonSet, namespace: 'kube-system', configuration: kubeProxyConfigYaml(props)!, why: 'kube-proxy reads its ConfigMap only when it starts' });
    if (mode === 'ipvs') r.steps.push(ipvsModuleStep(k.scheduler ?? 'rr'));
  }
  return props;
}

function resolveCalico(c: CalicoSpec, r: SectionRecord): CalicoNetworkProps {
  const props: CalicoNetworkProps = { ipPools: c.ipPools, mtu: c.mtu, wireguard: c.wireguard, bgp: c.bgp };
  r.decisions.push({ name: 'Underlay MTU', value: c.mtu ?? DEFAULT_UNDERLAY_MTU, rule: c.mtu ? 'set in the profile' : `default: ${DEFAULT_UNDERLAY_MTU} (Ethernet)` });
  r.decisions.push(...calicoTunnelMtus(props).decisions);
  const sizes = [...new Set((c.ipPools ?? []).map((p) => p.blockSize ?? CALICO_DEFAULT_BLOCK_SIZE[p.cidr.includes(':') ? 6 : 4]))];
  if (sizes.length === 1) r.decisions.push({ name: 'IP pool blockSize', value: sizes[0], rule: 'one block size in every pool, so routes aggregate per pool', source: 'seed 002: 27 in every pool' });
  if ((c.ipPools ?? []).length > 0) {
    r.steps.push(
      `Before the sync, compare the pools with the cluster's: \`calicoctl get ippool -o wide\`. Calico does not change the cidr or blockSize of an existing pool; to move one (${(c.ipPools ?? []).map((p) => p.name).join(', ')}), add a new pool, set the old one disabled, and migrate the pods.`,
    );
  }
  if (c.bgp?.routeReflectors) {
    r.decisions.push({ name: 'BGP node-to-node mesh', value: 'off', rule: 'route reflectors replace the full mesh (n x (n - 1) / 2 sessions)', source: 'seed 002' });
    r.steps.push(...calicoRouteReflectorSteps(c.bgp.routeReflectors));
  }
  return props;
}

/** Self-managed Calico with the relay: calico-config names Typha, and calico-node restarts to read it. */
function pointCalicoAtTypha(r: SectionRecord): string {
  r.restarts.push({ daemonSet: CALICO_NODE_DAEMONSET, namespace: 'kube-system', configuration: JSON.stringify({ typha_service_name: TYPHA_NAME }), why: 'calico-node reads typha_service_name from calico-config only when it starts' });
  return TYPHA_NAME;
}

function resolveCilium(spec: ClusterSpec, c: CiliumSpec, r: SectionRecord): ResolvedCilium {
  const delivery = ciliumDelivery(spec);
  const { values, decisions } = ciliumValues(c);
  r.decisions.push({ name: 'Cilium delivery', value: delivery, rule: c.delivery ? 'set in the profile' : spec.platform === 'k3s' ? 'k3s: the helm controller installs it at bootstrap' : spec.argocd ? 'spec.argocd is set' : 'no delivery given: a values file for helm install' });
  r.decisions.push(...decisions.map((d) => ({ ...d, name: `Cilium ${d.name}` })));
  r.notes.push(...ciliumReviewNotes(c, delivery, spec.platform));
  return { version: c.version, delivery, values };
}

function formatWatches(n: number): string {
  return n.toLocaleString('en-US');
}

/** Seconds a rolling restart gets per node before the wait gives up (one pod at a time, image cached). */
export const RESTART_SECONDS_PER_NODE = 20;

function resolveArgocd(a: ArgocdSpec, nodes: number, r: SectionRecord): ResolvedArgocd {
  // One node at a time is what kube-proxy's and calico-node's DaemonSets allow by default.
  const restartTimeout = a.restartTimeout ?? `${Math.min(10080, Math.max(30, Math.ceil((nodes * RESTART_SECONDS_PER_NODE) / 60)))}m`;
  if (r.restarts.length > 0) {
    r.decisions.push({
      name: 'restart wait',
      value: restartTimeout,
      rule: a.restartTimeout ? 'set in the profile' : `max(30m, ${nodes} nodes x ${RESTART_SECONDS_PER_NODE}s), at most 168h: a DaemonSet that replaces one pod at a time`,
    });
  }
  return {
    repoURL: a.repoURL,
    targetRevision: a.targetRevision ?? 'main',
    path: a.path ?? 'dist',
    project: a.project ?? 'default',
    namespace: a.namespace ?? 'argocd',
    destination: a.destination?.name !== undefined ? { name: a.destination.name } : { server: a.destination?.server ?? 'https://kubernetes.default.svc' },
    kubectlImage: a.kubectlImage,
    restartTimeout,
  };
}

/**
 * The typed eni_conf of full mode. Where the profile is silent, the cluster's current eni_conf
 * (baseEniConf) decides, so pasting it and changing one field changes only that field.
 */
function fullEniConf(t: TerwaySpec, serviceCidr: string | undefined): EniConfProps {
  const base = t.baseEniConf !== undefined ? (parseBaseEniConf(t.baseEniConf) as { ok: true; value: Record<string, unknown> }).value : {};
  const from = <T>(key: string, accept: (v: unknown) => boolean): T | undefined => (accept(base[key]) ? (base[key] as T) : undefined);
  const isInt = (v: unknown) => Number.isInteger(v);
  const isString = (v: unknown) => typeof v === 'string';
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const baseGroups = Array.isArray(base.security_groups) ? (base.security_groups as string[]) : typeof base.security_group === 'string' ? [base.security_group] : undefined;
  return {
    vswitches: t.vswitches ?? from<Record<string, string[]>>('vswitches', isObject) ?? {},
    securityGroups: t.securityGroups ?? baseGroups ?? [],
    serviceCidr: t.serviceCidr ?? serviceCidr ?? from<string>('service_cidr', isString) ?? '',
    minPoolSize: t.pool?.min ?? from<number>('min_pool_size', isInt),
    maxPoolSize: t.pool?.max ?? from<number>('max_pool_size', isInt),
    vswitchSelectionPolicy: t.vswitchSelectionPolicy ?? from<'ordered' | 'random'>('vswitch_selection_policy', (v) => v === 'ordered' || v === 'random'),
    eniTags: t.eniTags ?? from<Record<string, string>>('eni_tags', isObject),
    credentialPath: t.credentialPath ?? from<string>('credential_path', isString),
    ipStack: t.ipStack ?? from<'ipv4' | 'dual'>('ip_stack', (v) => v === 'ipv4' || v === 'dual'),
    extra: t.eniConf,
    base,
  };
}

/** Seed 003: vSwitches of /19 or larger, and enough pod IPs in every zone. */
function checkCapacity(t: TerwaySpec, nodes: number, maxPodsPerNode: number | undefined, findings: Finding[]): ZoneCapacity[] {
  const at = (...p: FieldPath): FieldPath => ['spec', 'terway', ...p];
  const cidrs = t.vswitchCidrs ?? {};
  for (const [id, text] of Object.entries(cidrs)) {
    const c = cidrOf(text);
    if (c.prefix > VSWITCH_RECOMMENDED_PREFIX) {
      findings.push(warning(at('vswitchCidrs', id), `${text} holds ${2 ** (32 - c.prefix)} addresses, fewer than a /${VSWITCH_RECOMMENDED_PREFIX} (8192): pods will run out of IPs first here`, 'seed 003: pod vSwitches of /19 or larger'));
    }
  }
  if (!t.vswitches || Object.keys(cidrs).length === 0 || maxPodsPerNode === undefined) return [];

  const zoneIds = Object.keys(t.vswitches).sort();
  const nodesPerZone = t.nodesPerZone ? new Map(Object.entries(t.nodesPerZone)) : spreadNodes(nodes, zoneIds);
  if (t.nodesPerZone) {
    const total = [...nodesPerZone.values()].reduce((a, b) => a + b, 0);
    if (total !== nodes) findings.push(warning(at('nodesPerZone'), `adds up to ${total} nodes, but spec.nodes is ${nodes}`));
  }
  const out: ZoneCapacity[] = [];
  for (const zone of zoneIds) {
    const ids = t.vswitches[zone];
    const missing = ids.filter((id) => cidrs[id] === undefined);
    if (missing.length > 0) {
      findings.push(warning(at('vswitches', zone), `capacity of ${zone} not checked: no CIDR for ${missing.join(', ')} in terway.vswitchCidrs`, 'seed 003'));
      continue;
    }
    const cap = zoneCapacity({ zone, nodes: nodesPerZone.get(zone) ?? 0, maxPodsPerNode, vswitches: ids.map((id) => ({ id, cidr: cidrOf(cidrs[id]) })) });
    out.push(cap);
    if (cap.demand > cap.usable) {
      findings.push(
        error(at('vswitches', zone), `${cap.demand} pod IPs needed (${nodesPerZone.get(zone)} nodes x ${maxPodsPerNode} pods) but the zone's vSwitches hand out ${cap.usable}: add a vSwitch of this zone (/19 or larger) before pods fail with InvalidVSwitchId.IpNotEnough`),
      );
    } else if (cap.headroom < IP_HEADROOM_WARNING) {
      findings.push(warning(at('vswitches', zone), `only ${Math.round(cap.headroom * 100)}% of the zone's pod IPs stay free at full density (${cap.demand} of ${cap.usable}): add a vSwitch of this zone`, 'seed 003'));
    }
  }
  return out;
}
