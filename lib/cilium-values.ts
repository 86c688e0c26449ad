/**
 * Cilium as a strict kube-proxy replacement (seed 004): version-aware chart values, the checks a
 * profile must pass before they are rendered, and the notes the review prints. Pure functions; the
 * constructs that deliver the chart live in cilium-kube-proxyless.ts.
 */
import { stringify } from 'yaml';
import { parseCidr } from './net/cidr';
import { error, FieldPath, Finding, show, warning } from './profile/diagnostics';
import { CiliumSpec, Platform } from './profile/schema';
import { Decision } from './sizing';

export type CiliumDelivery = NonNullable<CiliumSpec['delivery']>;
export type CiliumValues = Record<string, unknown>;

export const CILIUM_HELM_REPO = 'https://helm.cilium.io/';
export const CILIUM_CHART = 'cilium';
export const CILIUM_NAMESPACE = 'kube-system';

/**
 * What the cilium chart accepts, by minor release. Read from the chart's values.yaml and
 * templates/validate.yaml of 1.13.0, 1.14.5, 1.15.19, 1.16.19, 1.17.18, 1.18.12, 1.19.0 and 1.20.0,
 * and from the upstream pull requests named in each comment.
 */
export const CILIUM_FACTS = {
  /** Oldest chart netscale renders: the seed's release line. */
  oldest: { minor: 13, patch: 0 },
  /** Newest minor whose chart was read; newer ones are rendered like it and warned about. */
  newestChecked: 20,
  /** Cilium patches the newest three minors; 1.20.0 (Jul 2026) ended 1.17. */
  oldestMaintained: 18,
  /** routingMode and tunnelProtocol replace tunnel (cilium#24561, chart 1.14.5). */
  routingModeFrom: 14,
  /** tunnel removed (cilium#29053); 1.15.0-1.15.7 ignore it, validate.yaml rejects it from 1.15.8 (cilium#34213). */
  tunnelRemovedIn: 15,
  /** kubeProxyReplacement takes true|false; strict|partial|disabled stay as deprecated words (chart 1.14.5 values.yaml). */
  kprBooleanFrom: 14,
  /** The old words fail cilium-configmap.yaml (cilium#31286, in 1.16.0). */
  kprOldWordsRejectedFrom: 16,
  /** DSR with Geneve dispatch, native or Geneve tunnel (cilium#23890, cilium#25553). */
  geneveDispatchFrom: 14,
  /** Native routing with Geneve dispatch needs tunnelProtocol geneve (cilium#29051, cilium#30845). */
  geneveDispatchNeedsTunnelProtocolFrom: 15,
  /** loadBalancer.acceleration best-effort (cilium#28666); the key itself is read by every chart from 1.13. */
  accelerationBestEffortFrom: 15,
  /** k8sServiceHost "auto": cluster-info lookup (chart 1.16.19 values.yaml). */
  k8sServiceHostAutoFrom: 16,
  /** k8sServiceHostRef, mutually exclusive with k8sServiceHost in validate.yaml (chart 1.18.12). */
  k8sServiceHostRefFrom: 18,
  /** The in-pod CLI is cilium-dbg (cilium#28085). */
  cliDbgFrom: 15,
  /** cluster-pool IPAM defaults, the same in every chart read: 10.0.0.0/8 cut into /24 per node. */
  clusterPoolDefaults: { podCidrs: ['10.0.0.0/8'], maskSize: 24 },
} as const;

/** Keys a chart's validate.yaml fails on because they were removed, by the minor that removed them. */
const REMOVED_VALUES: ReadonlyArray<{ readonly path: readonly string[]; readonly removedIn: number; readonly instead?: string }> = [
  { path: ['clustermesh', 'apiserver', 'tls', 'ca', 'cert'], removedIn: 15, instead: 'tls.ca.cert' },
  { path: ['clustermesh', 'apiserver', 'tls', 'ca', 'key'], removedIn: 15, instead: 'tls.ca.key' },
  { path: ['enableK8sEventHandover'], removedIn: 15 },
  { path: ['enableCnpStatusUpdates'], removedIn: 15 },
  { path: ['encryption', 'keyFile'], removedIn: 16, instead: 'encryption.ipsec.keyFile' },
  { path: ['encryption', 'mountPath'], removedIn: 16, instead: 'encryption.ipsec.mountPath' },
  { path: ['encryption', 'secretName'], removedIn: 16, instead: 'encryption.ipsec.secretName' },
  { path: ['encryption', 'interface'], removedIn: 16, instead: 'encryption.ipsec.interface' },
  { path: ['proxy', 'prometheus', 'enabled'], removedIn: 16, instead: 'envoy.prometheus' },
  { path: ['proxy', 'prometheus', 'port'], removedIn: 16, instead: 'envoy.prometheus' },
  { path: ['endpointStatus'], removedIn: 16 },
  { path: ['remoteNodeIdentity'], removedIn: 16 },
  { path: ['containerRuntime', 'integration'], removedIn: 16 },
  { path: ['etcd', 'managed'], removedIn: 16 },
  { path: ['enableCiliumEndpointSlice'], removedIn: 18, instead: 'ciliumEndpointSlice.enabled' },
  { path: ['ciliumEndpointSlice', 'sliceMode'], removedIn: 18 },
];

/** Chart keys the typed fields render, so a values override cannot slip past the checks. */
const TYPED_VALUES: ReadonlyArray<{ readonly path: readonly string[]; readonly field: string; readonly minorFrom?: number; readonly minorBefore?: number }> = [
  { path: ['k8sServiceHost'], field: 'k8sServiceHost' },
  { path: ['k8sServicePort'], field: 'k8sServicePort' },
  { path: ['tunnel'], field: 'routingMode and tunnelProtocol', minorBefore: 14 },
  { path: ['routingMode'], field: 'routingMode', minorFrom: 14 },
  { path: ['tunnelProtocol'], field: 'tunnelProtocol', minorFrom: 14 },
  { path: ['ipv4NativeRoutingCIDR'], field: 'ipv4NativeRoutingCidr' },
  { path: ['autoDirectNodeRoutes'], field: 'autoDirectNodeRoutes' },
  { path: ['loadBalancer', 'mode'], field: 'loadBalancer.mode' },
  { path: ['loadBalancer', 'acceleration'], field: 'loadBalancer.acceleration' },
  { path: ['loadBalancer', 'dsrDispatch'], field: 'loadBalancer.dsrDispatch' },
  { path: ['bpf', 'masquerade'], field: 'bpfMasquerade' },
  { path: ['hubble', 'relay', 'enabled'], field: 'hubble.relay' },
  { path: ['hubble', 'ui', 'enabled'], field: 'hubble.ui' },
  { path: ['operator', 'replicas'], field: 'operatorReplicas' },
];

const OLD_KPR_WORDS = ['strict', 'partial', 'disabled', 'probe'];
const DEFAULT_OPERATOR_REPLICAS = 2;

export interface CiliumVersion {
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** An exact chart version, or undefined for anything else (ranges, "v" prefixes, pre-releases). */
export function parseCiliumVersion(text: string): CiliumVersion | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  return m ? { text, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

/** Whether `v` is at least 1.<minor>.<patch>; a later major counts as newer. */
function atLeast(v: CiliumVersion, minor: number, patch = 0): boolean {
  if (v.major !== 1) return v.major > 1;
  return v.minor > minor || (v.minor === minor && v.patch >= patch);
}

function supported(v: CiliumVersion): boolean {
  return atLeast(v, CILIUM_FACTS.oldest.minor, CILIUM_FACTS.oldest.patch);
}

function versionOf(spec: CiliumSpec): CiliumVersion {
  const v = parseCiliumVersion(spec.version);
  if (!v || !supported(v)) {
    throw new Error(`Cilium chart version ${JSON.stringify(spec.version)} is not supported: give an exact version of 1.13.0 or newer, such as 1.13.4 or 1.18.12`);
  }
  return v;
}

/** The in-pod agent CLI of `version`. */
export function ciliumCli(version: string): 'cilium' | 'cilium-dbg' {
  const v = parseCiliumVersion(version);
  return v && atLeast(v, CILIUM_FACTS.cliDbgFrom) ? 'cilium-dbg' : 'cilium';
}

export interface CiliumValuesResult {
  /** Chart values, keys sorted at every level. */
  readonly values: CiliumValues;
  /** Every rendered setting with the reason for it, for the review. */
  readonly decisions: Decision[];
}

/**
 * Helm values for `spec.version` that make Cilium replace kube-proxy completely, with
 * `spec.values` deep-merged last. Throws for a version older than 1.13.0; run `checkCilium` first.
 */
export function ciliumValues(spec: CiliumSpec): CiliumValuesResult {
  const v = versionOf(spec);
  const decisions: Decision[] = [];
  const decide = (name: string, value: unknown, rule: string, source?: string) => decisions.push({ name, value: valueText(value), rule, ...(source ? { source } : {}) });
  const typed = typedValues(spec, v);

  if (!atLeast(v, CILIUM_FACTS.kprBooleanFrom)) {
    decide('kubeProxyReplacement', typed.kubeProxyReplacement, `${v.major}.${v.minor} takes strict|partial|disabled; strict handles every Service type and refuses to start rather than fall back to kube-proxy`, 'seed 004; chart 1.13 values.yaml');
  } else if (!atLeast(v, CILIUM_FACTS.kprOldWordsRejectedFrom)) {
    decide('kubeProxyReplacement', typed.kubeProxyReplacement, `${v.major}.${v.minor} takes true|false (strict|partial|disabled are deprecated): "true" is strict's successor`, 'chart 1.14 values.yaml; cilium#26036');
  } else {
    decide('kubeProxyReplacement', typed.kubeProxyReplacement, `${v.major}.${v.minor} takes only true|false; strict|partial|disabled fail the chart render`, 'cilium#31286, in 1.16.0');
  }

  const routingMode = spec.routingMode ?? 'tunnel';
  const routingReason = spec.routingMode ? 'set in the profile' : 'the default';
  if (typed.tunnel !== undefined) {
    const how = routingMode === 'native' ? 'tunnel: disabled is native routing' : `tunnel names the protocol (${spec.tunnelProtocol ? 'set in the profile' : 'default vxlan'})`;
    decide('tunnel', typed.tunnel, `routingMode ${routingMode} (${routingReason}); 1.13 has no routingMode, ${how}`, 'chart 1.13 values.yaml');
  } else {
    decide('routingMode', typed.routingMode, `${routingReason}; 1.14 replaced tunnel with routingMode and tunnelProtocol`, 'cilium#24561');
    if (typed.tunnelProtocol !== undefined) {
      const rule =
        routingMode === 'native'
          ? `DSR with Geneve dispatch in native routing needs a Geneve device (from 1.${CILIUM_FACTS.geneveDispatchNeedsTunnelProtocolFrom} the agent refuses it otherwise)`
          : spec.tunnelProtocol
            ? 'set in the profile'
            : 'default: vxlan, written out so the rendered mode does not depend on the chart default';
      decide('tunnelProtocol', typed.tunnelProtocol, rule, routingMode === 'native' ? 'cilium#29051, cilium#30845' : undefined);
    }
  }
  decide('k8sServiceHost', typed.k8sServiceHost, 'without kube-proxy the agents cannot reach the API server through the kubernetes Service, so they dial it directly', 'seed 004');
  decide('k8sServicePort', typed.k8sServicePort, 'the API server port the agents dial', 'seed 004');
  if (typed.ipv4NativeRoutingCIDR !== undefined) decide('ipv4NativeRoutingCIDR', typed.ipv4NativeRoutingCIDR, 'traffic to this range is routed, not masqueraded; native routing needs it', 'seed 004');
  if (typed.autoDirectNodeRoutes !== undefined) {
    decide('autoDirectNodeRoutes', typed.autoDirectNodeRoutes, typed.autoDirectNodeRoutes ? 'each agent installs routes to the other nodes\' pod CIDRs (nodes share an L2 segment)' : 'set in the profile', 'seed 004');
  }
  const lb = (typed.loadBalancer ?? {}) as Record<string, unknown>;
  if (lb.mode !== undefined) decide('loadBalancer.mode', lb.mode, lb.mode === 'snat' ? 'set in the profile (the default)' : 'replies from the backend go straight to the client, skipping the load-balancing node');
  if (lb.acceleration !== undefined) decide('loadBalancer.acceleration', lb.acceleration, 'XDP acceleration of NodePort and LoadBalancer services, set in the profile');
  if (lb.dsrDispatch !== undefined) decide('loadBalancer.dsrDispatch', lb.dsrDispatch, lb.dsrDispatch === 'geneve' ? 'the service address travels in a Geneve header' : 'the service address travels in an IP option');
  decide('bpf.masquerade', spec.bpfMasquerade ?? false, spec.bpfMasquerade === undefined ? 'default: false (iptables masquerading, as the chart does)' : 'set in the profile');
  decide('hubble.relay.enabled', spec.hubble?.relay ?? false, spec.hubble?.relay === undefined ? 'default: false' : 'set in the profile');
  decide('hubble.ui.enabled', spec.hubble?.ui ?? false, spec.hubble?.ui === undefined ? 'default: false' : 'set in the profile (needs relay)');
  decide('operator.replicas', spec.operatorReplicas ?? DEFAULT_OPERATOR_REPLICAS, spec.operatorReplicas === undefined ? `default: ${DEFAULT_OPERATOR_REPLICAS}, the chart's (one leader, one standby)` : 'set in the profile');

  const extra = spec.values ?? {};
  const extraPaths = leafPaths(extra).map((p) => p.join('.'));
  if (extraPaths.length > 0) decide('extra values', extraPaths.length, `merged last from spec.cilium.values: ${extraPaths.join(', ')}`);

  return { values: sortKeysDeep(deepMerge(typed, extra)) as CiliumValues, decisions };
}

/** The values the typed fields render, before spec.values. */
function typedValues(spec: CiliumSpec, v: CiliumVersion): CiliumValues {
  const routingMode = spec.routingMode ?? 'tunnel';
  const lbMode = spec.loadBalancer?.mode;
  const geneveDispatch = spec.loadBalancer?.dsrDispatch === 'geneve' && (lbMode === 'dsr' || lbMode === 'hybrid');
  const out: CiliumValues = {
    k8sServiceHost: spec.k8sServiceHost,
    k8sServicePort: spec.k8sServicePort,
    kubeProxyReplacement: !atLeast(v, CILIUM_FACTS.kprBooleanFrom) ? 'strict' : !atLeast(v, CILIUM_FACTS.kprOldWordsRejectedFrom) ? 'true' : true,
  };
  if (!atLeast(v, CILIUM_FACTS.routingModeFrom)) {
    out.tunnel = routingMode === 'native' ? 'disabled' : (spec.tunnelProtocol ?? 'vxlan');
  } else {
    out.routingMode = routingMode;
    if (routingMode === 'tunnel') out.tunnelProtocol = spec.tunnelProtocol ?? 'vxlan';
    else if (geneveDispatch) out.tunnelProtocol = 'geneve';
  }
  if (spec.ipv4NativeRoutingCidr !== undefined) out.ipv4NativeRoutingCIDR = spec.ipv4NativeRoutingCidr;
  if (spec.autoDirectNodeRoutes !== undefined) out.autoDirectNodeRoutes = spec.autoDirectNodeRoutes;
  const lb = spec.loadBalancer ?? {};
  const loadBalancer = Object.fromEntries(Object.entries({ mode: lb.mode, acceleration: lb.acceleration, dsrDispatch: lb.dsrDispatch }).filter(([, x]) => x !== undefined));
  if (Object.keys(loadBalancer).length > 0) out.loadBalancer = loadBalancer;
  out.bpf = { masquerade: spec.bpfMasquerade ?? false };
  out.hubble = { relay: { enabled: spec.hubble?.relay ?? false }, ui: { enabled: spec.hubble?.ui ?? false } };
  out.operator = { replicas: spec.operatorReplicas ?? DEFAULT_OPERATOR_REPLICAS };
  return out;
}

export interface CiliumCheckContext {
  /** Nodes now or planned (spec.nodes). */
  readonly nodes: number;
  readonly platform: Platform;
  /** How the chart is installed, after defaults. */
  readonly delivery: CiliumDelivery;
  /** The same profile tunes kube-proxy (spec.kubeProxy is set). */
  readonly hasKubeProxyTuning: boolean;
}

/** Every problem with `spec` for its chart version, at once, with field paths under spec.cilium. */
export function checkCilium(spec: CiliumSpec, ctx: CiliumCheckContext): Finding[] {
  const at = (...p: FieldPath): FieldPath => ['spec', 'cilium', ...p];
  const out: Finding[] = [];

  if (ctx.hasKubeProxyTuning) {
    out.push(error(at(), 'replaces kube-proxy, but spec.kubeProxy tunes it in the same profile: remove spec.kubeProxy (there is no kube-proxy left to tune)'));
  }
  if (ctx.delivery === 'k3s' && ctx.platform !== 'k3s') {
    out.push(error(at('delivery'), `k3s installs the chart with the k3s helm controller, which ${ctx.platform} does not run: use argocd or values`));
  }

  const v = parseCiliumVersion(spec.version);
  if (!v) {
    out.push(error(at('version'), `${show(spec.version)} is not an exact chart version: give one such as 1.13.4 or 1.18.12`));
    return out;
  }
  if (!supported(v)) {
    out.push(error(at('version'), `${v.text} is older than 1.13.0, the oldest chart netscale renders (its kube-proxy replacement values are not checked): use 1.13.0 or newer`));
    return out;
  }
  const minorText = `${v.major}.${v.minor}`;
  if (v.major > 1 || v.minor > CILIUM_FACTS.newestChecked) {
    out.push(warning(at('version'), `${v.text} is newer than the newest chart checked (1.${CILIUM_FACTS.newestChecked}): its values are rendered as for 1.${CILIUM_FACTS.newestChecked}; check its upgrade notes`, 'cilium chart values.yaml up to 1.20.0'));
  } else if (v.minor < CILIUM_FACTS.oldestMaintained) {
    out.push(warning(at('version'), `${minorText} no longer gets fixes (Cilium maintains the newest three minors, 1.${CILIUM_FACTS.oldestMaintained} to 1.${CILIUM_FACTS.newestChecked}): plan the upgrade`, 'Cilium release policy'));
  }
  if (v.major === 1 && v.minor === 14 && v.patch < 3) {
    out.push(warning(at('version'), `${v.text} renders routing-mode twice in cilium-config when routingMode is set without tunnel, which Argo CD and Flux refuse: use 1.14.3 or newer`, 'cilium#27756, fixed by cilium#27841'));
  }

  const routingMode = spec.routingMode ?? 'tunnel';
  const native = routingMode === 'native';
  const lbMode = spec.loadBalancer?.mode;
  const dispatch = spec.loadBalancer?.dsrDispatch;
  const dsr = lbMode === 'dsr' || lbMode === 'hybrid';

  if (spec.hubble?.ui && !spec.hubble.relay) {
    out.push(error(at('hubble', 'ui'), 'Hubble UI reads flows through Hubble relay, and the chart refuses the UI without it: set hubble.relay: true'));
  }
  if (spec.autoDirectNodeRoutes && !native) {
    out.push(error(at('autoDirectNodeRoutes'), `needs routingMode: native (routing is ${routingMode}); the agent exits with "auto-direct-node-routes cannot be used with tunneling"`));
  }
  if (native && spec.tunnelProtocol !== undefined) {
    out.push(error(at('tunnelProtocol'), `${spec.tunnelProtocol} is given, but routingMode is native: native routing has no tunnel; remove tunnelProtocol or use routingMode: tunnel`));
  }
  if (native && spec.ipv4NativeRoutingCidr === undefined) {
    out.push(error(at('routingMode'), 'native needs ipv4NativeRoutingCidr, the range routed without masquerading (the pod CIDRs, e.g. 10.0.0.0/22 in seed 004): the agent refuses to start without it'));
  }
  if (spec.ipv4NativeRoutingCidr !== undefined) {
    const parsed = parseCidr(spec.ipv4NativeRoutingCidr);
    if (!parsed.ok) out.push(error(at('ipv4NativeRoutingCidr'), `${spec.ipv4NativeRoutingCidr} ${parsed.reason}`));
    else if (parsed.cidr.family !== 4) out.push(error(at('ipv4NativeRoutingCidr'), `${spec.ipv4NativeRoutingCidr} is an IPv6 CIDR: give an IPv4 one such as 10.0.0.0/22`));
  }

  if (dsr) {
    const geneveTunnel = routingMode === 'tunnel' && spec.tunnelProtocol === 'geneve';
    if (!atLeast(v, CILIUM_FACTS.geneveDispatchFrom) && !native) {
      out.push(error(at('loadBalancer', 'mode'), `${lbMode} needs routingMode: native in ${minorText} (DSR in a Geneve tunnel needs 1.14 or newer)`));
    } else if (!native && !(geneveTunnel && dispatch === 'geneve')) {
      out.push(error(at('loadBalancer', 'mode'), `${lbMode} needs routingMode: native, or a Geneve tunnel (tunnelProtocol: geneve) with loadBalancer.dsrDispatch: geneve; VXLAN has no room for the service address`));
    }
  }
  if (dispatch === 'geneve' && !atLeast(v, CILIUM_FACTS.geneveDispatchFrom)) {
    out.push(error(at('loadBalancer', 'dsrDispatch'), `geneve needs Cilium 1.14 or newer (${v.text} dispatches with an IP option only): use opt or upgrade`));
  }
  if (dispatch !== undefined && !dsr) {
    out.push(warning(at('loadBalancer', 'dsrDispatch'), `${dispatch} has no effect with loadBalancer.mode ${lbMode ?? 'snat (the default)'}: it applies to dsr and hybrid only`));
  }
  if (spec.loadBalancer?.acceleration === 'best-effort' && !atLeast(v, CILIUM_FACTS.accelerationBestEffortFrom)) {
    out.push(error(at('loadBalancer', 'acceleration'), `best-effort needs Cilium 1.15 or newer (${minorText} takes native or disabled)`));
  }

  const replicas = spec.operatorReplicas ?? DEFAULT_OPERATOR_REPLICAS;
  if (replicas > ctx.nodes) {
    const why = spec.operatorReplicas === undefined ? ` (the default ${DEFAULT_OPERATOR_REPLICAS})` : '';
    out.push(error(at('operatorReplicas'), `${replicas} operator replicas${why} on ${ctx.nodes} node${ctx.nodes === 1 ? '' : 's'}: the chart keeps replicas on different nodes, so the rest stay Pending; set operatorReplicas to ${ctx.nodes} or fewer`));
  }

  const host = spec.k8sServiceHost;
  if (host === 'auto') {
    if (!atLeast(v, CILIUM_FACTS.k8sServiceHostAutoFrom)) {
      out.push(error(at('k8sServiceHost'), `"auto" needs Cilium 1.16 or newer (${minorText} would dial a host named auto): give the API server address, e.g. 192.168.2.43`));
    } else if (ctx.delivery === 'argocd') {
      out.push(error(at('k8sServiceHost'), '"auto" makes the chart look up the cluster-info ConfigMap at render time, which Argo CD cannot do: give the API server address'));
    } else if (ctx.platform !== 'kubeadm') {
      out.push(warning(at('k8sServiceHost'), `"auto" reads the kube-public/cluster-info ConfigMap that kubeadm creates; ${ctx.platform} may not have it: prefer the API server address`, 'chart 1.16 values.yaml'));
    }
  } else if (/^kubernetes(\.default(\.svc(\.cluster\.local)?)?)?$/.test(host)) {
    out.push(error(at('k8sServiceHost'), `${host} is the kubernetes Service, which only kube-proxy or Cilium itself can route: give the API server's own address`));
  }

  out.push(...checkValues(spec, v, ctx));
  return out;
}

/** spec.values against the chosen chart: keys it rejects or ignores, and overrides of typed fields. */
function checkValues(spec: CiliumSpec, v: CiliumVersion, ctx: CiliumCheckContext): Finding[] {
  const values = spec.values ?? {};
  const at = (...p: FieldPath): FieldPath => ['spec', 'cilium', 'values', ...p];
  const out: Finding[] = [];
  const minorText = `${v.major}.${v.minor}`;
  const typed = typedValues(spec, v);

  if (has(values, ['tunnel']) && atLeast(v, CILIUM_FACTS.routingModeFrom)) {
    const fate = atLeast(v, CILIUM_FACTS.tunnelRemovedIn)
      ? 'was removed in 1.15: 1.15.0 to 1.15.7 ignore it (leaving VXLAN tunnelling), later charts fail on it'
      : 'is deprecated in 1.14 (removed in 1.15) and clashes with the routingMode netscale renders';
    out.push(error(at('tunnel'), `${fate}; set spec.cilium.routingMode and tunnelProtocol instead`));
  }
  for (const key of ['routingMode', 'tunnelProtocol']) {
    if (has(values, [key]) && !atLeast(v, CILIUM_FACTS.routingModeFrom)) {
      out.push(error(at(key), `is ignored by ${minorText}, which has only tunnel (disabled|vxlan|geneve): set spec.cilium.routingMode and tunnelProtocol, which render tunnel for 1.13`));
    }
  }
  if (has(values, ['kubeProxyReplacement'])) out.push(...checkKprOverride(values.kubeProxyReplacement, v, at('kubeProxyReplacement')));
  if (has(values, ['k8sServiceHostRef'])) {
    out.push(
      error(
        at('k8sServiceHostRef'),
        atLeast(v, CILIUM_FACTS.k8sServiceHostRefFrom)
          ? 'cannot be combined with k8sServiceHost, which netscale always renders (the chart fails on both): set spec.cilium.k8sServiceHost only'
          : `is ignored by ${minorText} (it arrived in 1.18): set spec.cilium.k8sServiceHost`,
      ),
    );
  }
  for (const removed of REMOVED_VALUES) {
    if (has(values, removed.path) && v.major === 1 && v.minor >= removed.removedIn) {
      out.push(error(at(...removed.path), `was removed from the chart in 1.${removed.removedIn}; ${v.text} rejects or ignores it${removed.instead ? `: use ${removed.instead}` : ''}`));
    }
  }

  const reported = new Set<string>();
  for (const t of TYPED_VALUES) {
    if (t.minorFrom !== undefined && !atLeast(v, t.minorFrom)) continue;
    if (t.minorBefore !== undefined && atLeast(v, t.minorBefore)) continue;
    const found = lookup(values, t.path);
    if (!found.present) continue;
    const key = found.at.join('.');
    if (found.at.length < t.path.length) {
      if (!reported.has(key)) out.push(error(at(...found.at), `replaces the whole ${key} map the typed fields render (${show(found.value)}): give a map, and set spec.cilium.${t.field} for ${t.path.join('.')}`));
      reported.add(key);
      continue;
    }
    const own = lookup(typed, t.path);
    if (own.present && deepEqual(own.value, found.value)) continue;
    out.push(
      error(
        at(...t.path),
        own.present
          ? `overrides ${show(own.value)} from spec.cilium.${t.field} with ${show(found.value)}: set spec.cilium.${t.field} instead, so the checks see it`
          : `is rendered from spec.cilium.${t.field}: set it there, so the checks see it`,
      ),
    );
  }

  const merged = deepMerge(typed, values);
  const relayOrUi = (spec.hubble?.relay ?? false) || (spec.hubble?.ui ?? false);
  if (lookup(merged, ['hubble', 'enabled']).value === false && relayOrUi) {
    out.push(error(at('hubble', 'enabled'), 'false turns Hubble off, but relay or UI is on and the chart refuses relay without Hubble: remove it or turn relay and UI off'));
  }
  out.push(...checkPodCidrFit(spec, merged, ctx.nodes));
  return out;
}

/** A values override of kubeProxyReplacement: only the word that still means "replace it all" passes. */
function checkKprOverride(value: unknown, v: CiliumVersion, path: FieldPath): Finding[] {
  const text = String(value);
  const minorText = `${v.major}.${v.minor}`;
  if (!atLeast(v, CILIUM_FACTS.kprBooleanFrom)) {
    if (text === 'strict') return [];
    if (OLD_KPR_WORDS.includes(text)) return [error(path, `${show(value)} keeps kube-proxy in charge of some services, which defeats this profile: remove it (netscale renders strict)`)];
    return [error(path, `${show(value)} is not a ${minorText} value (it takes strict|partial|disabled): remove it (netscale renders strict)`)];
  }
  if (text === 'true') return [];
  if (text === 'false' || text === 'partial' || text === 'disabled' || text === 'probe') {
    return [error(path, `${show(value)} hands services back to kube-proxy, which defeats this profile: remove it (netscale renders ${show(atLeast(v, CILIUM_FACTS.kprOldWordsRejectedFrom) ? true : 'true')})`)];
  }
  if (text === 'strict') {
    return atLeast(v, CILIUM_FACTS.kprOldWordsRejectedFrom)
      ? [error(path, `"strict" is rejected from 1.16 (the chart takes only true|false): remove it (netscale renders true)`)]
      : [warning(path, `"strict" is deprecated in ${minorText} and rejected from 1.16: remove it (netscale renders "true")`, 'cilium#31286')];
  }
  return [error(path, `${show(value)} is not a ${minorText} value (it takes true|false): remove it`)];
}

/**
 * Native routing reaches pods only inside ipv4NativeRoutingCIDR. cluster-pool IPAM hands each node
 * the next block of the pool, from its start, so the CIDR must hold the pool's first block per node.
 */
function checkPodCidrFit(spec: CiliumSpec, merged: CiliumValues, nodes: number): Finding[] {
  if ((spec.routingMode ?? 'tunnel') !== 'native' || spec.ipv4NativeRoutingCidr === undefined) return [];
  const parsed = parseCidr(spec.ipv4NativeRoutingCidr);
  if (!parsed.ok || parsed.cidr.family !== 4) return [];
  const mode = lookup(merged, ['ipam', 'mode']).value ?? 'cluster-pool';
  if (mode !== 'cluster-pool') return [];
  const path: FieldPath = ['spec', 'cilium', 'ipv4NativeRoutingCidr'];
  const source = 'cilium chart ipam.operator defaults: pool 10.0.0.0/8, /24 per node';

  const poolList = lookup(merged, ['ipam', 'operator', 'clusterPoolIPv4PodCIDRList']).value;
  // 1.13 still reads the single-CIDR key when the list is empty.
  const poolSingle = lookup(merged, ['ipam', 'operator', 'clusterPoolIPv4PodCIDR']).value;
  const poolText =
    Array.isArray(poolList) && poolList.length > 0
      ? String(poolList[0])
      : typeof poolSingle === 'string' && poolSingle !== ''
        ? poolSingle
        : CILIUM_FACTS.clusterPoolDefaults.podCidrs[0];
  const pool = parseCidr(poolText);
  if (!pool.ok || pool.cidr.family !== 4) return [];
  const routed = parsed.cidr;
  if (pool.cidr.network < routed.network || pool.cidr.network > routed.last) {
    return [
      warning(
        path,
        `${routed.text} does not contain the start of the pod pool ${poolText} (ipam.operator.clusterPoolIPv4PodCIDRList), where nodes get their pod blocks: pod traffic would leave unrouted or masqueraded; route the pool, or move the pool into this range in spec.cilium.values`,
        source,
      ),
    ];
  }
  const maskValue = lookup(merged, ['ipam', 'operator', 'clusterPoolIPv4MaskSize']).value;
  const mask = typeof maskValue === 'number' ? maskValue : CILIUM_FACTS.clusterPoolDefaults.maskSize;
  const usable = (routed.last < pool.cidr.last ? routed.last : pool.cidr.last) - pool.cidr.network + 1n;
  const blocks = mask >= 0 && mask <= 32 ? Number(usable / (1n << BigInt(32 - mask))) : 0;
  if (blocks >= nodes) return [];
  return [
    warning(
      path,
      `${routed.text} holds ${blocks} per-node pod block${blocks === 1 ? '' : 's'} of /${mask}, fewer than the ${nodes} nodes: pods on the other nodes fall outside it; widen it to /${Math.max(0, mask - Math.ceil(Math.log2(nodes)))} or more`,
      source,
    ),
  ];
}

/** The values as a file for `helm install -f`: keys sorted, no line folding, so reruns are byte-identical. */
export function ciliumValuesYaml(values: CiliumValues): string {
  return stringify(sortKeysDeep(values), { lineWidth: 0, sortMapEntries: true });
}

/**
 * Lines for the cluster review: the values with their reasons, what to do on the nodes and in
 * Argo CD, and how to verify that kube-proxy is gone.
 */
export function ciliumReviewNotes(spec: CiliumSpec, delivery: CiliumDelivery, platform?: Platform): string[] {
  const { values, decisions } = ciliumValues(spec);
  const cli = ciliumCli(spec.version);
  const onK3s = delivery === 'k3s' || platform === 'k3s';
  const lines: string[] = [];
  const strictWord = values.kubeProxyReplacement === 'strict' ? 'Strict' : 'True';

  lines.push(`Cilium ${spec.version} replaces kube-proxy completely; the chart values and why:`);
  for (const d of decisions) lines.push(`- \`${d.name}: ${d.value}\`: ${d.rule}${d.source ? ` (${d.source})` : ''}`);
  lines.push('');

  if (onK3s) {
    lines.push(
      'k3s: start every server with `--flannel-backend=none --disable-network-policy --disable-kube-proxy --disable=servicelb`, so k3s brings no CNI, no NetworkPolicy controller, no kube-proxy and no ServiceLB of its own (seed 004).',
    );
  } else if (platform === 'kubeadm') {
    lines.push('kubeadm: create the cluster with `kubeadm init --skip-phases=addon/kube-proxy`, or remove kube-proxy from a running one: `kubectl -n kube-system delete ds kube-proxy`, `kubectl -n kube-system delete cm kube-proxy`, then on every node `iptables-save | grep -v KUBE | iptables-restore`.');
  } else {
    lines.push('Remove kube-proxy before installing: delete its DaemonSet and ConfigMap, then on every node `iptables-save | grep -v KUBE | iptables-restore`.');
  }

  if (delivery === 'k3s') {
    lines.push(
      'The HelmChart has `bootstrap: true`, so the k3s helm controller installs it while nodes are still NotReady for lack of a CNI. On a new cluster put the file in `/var/lib/rancher/k3s/server/manifests/` on the first server; on a running one `kubectl apply` it.',
    );
  } else if (delivery === 'argocd') {
    lines.push(
      `Bootstrap: an Argo CD inside this cluster needs a CNI before it can run, so it cannot install the first one. Install once by hand (\`helm install cilium cilium/cilium --version ${spec.version} --namespace kube-system -f <values file>\`), then let the Application take the objects over (it renders the same chart and values); or manage this cluster from an Argo CD that runs elsewhere.`,
      'Argo CD: exclude CiliumIdentity in the `argocd-cm` ConfigMap, or Argo CD deletes the identities the agents create (cilium#17614), then restart the Argo CD server and application controller:',
      '```yaml',
      'resource.exclusions: |',
      '  - apiGroups:',
      '      - cilium.io',
      '    kinds:',
      '      - CiliumIdentity',
      '    clusters:',
      '      - "*"',
      '```',
      'The Application ignores the Hubble certificates and CA the chart generates anew on every render, and syncs server-side.',
    );
  } else {
    lines.push(`Install: \`helm repo add cilium ${CILIUM_HELM_REPO}\`, then \`helm install cilium cilium/cilium --version ${spec.version} --namespace kube-system -f <values file>\`.`);
  }
  lines.push('');

  lines.push(
    'Verify:',
    `- \`kubectl -n kube-system exec ds/cilium -- ${cli} status | grep KubeProxyReplacement\` prints \`KubeProxyReplacement: ${strictWord}\`${cli === 'cilium-dbg' ? ' (the in-pod CLI is cilium-dbg from 1.15)' : ''}.`,
    `- \`kubectl -n kube-system exec ds/cilium -- ${cli} service list\` lists the ClusterIP and NodePort services Cilium serves.`,
    '- On a node, `sudo iptables-save | grep KUBE-SVC` prints nothing: no kube-proxy rules are left.',
  );
  return lines;
}

function valueText(value: unknown): string | number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return /^(true|false|[0-9]+)$/.test(value) ? JSON.stringify(value) : value;
  return String(value);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** Helm's merge: maps merge key by key, anything else (lists included) replaces. */
function deepMerge(base: CiliumValues, over: CiliumValues): CiliumValues {
  const out: CiliumValues = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as CiliumValues, v) : structuredClone(v);
  }
  return out;
}

function sortKeysDeep(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeysDeep);
  if (!isPlainObject(x)) return x;
  return Object.fromEntries(
    Object.keys(x)
      .sort()
      .map((k) => [k, sortKeysDeep(x[k])]),
  );
}

function leafPaths(x: CiliumValues, prefix: string[] = []): string[][] {
  return Object.entries(x).flatMap(([k, v]) => (isPlainObject(v) && Object.keys(v).length > 0 ? leafPaths(v, [...prefix, k]) : [[...prefix, k]]));
}

/** The value at `path`, or the first non-map on the way there (`at` shorter than `path`). */
function lookup(x: CiliumValues, path: readonly string[]): { present: boolean; value: unknown; at: string[] } {
  let node: unknown = x;
  for (let i = 0; i < path.length; i++) {
    if (!isPlainObject(node)) return { present: i > 0, value: node, at: path.slice(0, i) };
    if (!(path[i] in node)) return { present: false, value: undefined, at: path.slice(0, i + 1) };
    node = node[path[i]];
  }
  return { present: true, value: node, at: [...path] };
}

function has(x: CiliumValues, path: readonly string[]): boolean {
  const found = lookup(x, path);
  return found.present && found.at.length === path.length;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeysDeep(a)) === JSON.stringify(sortKeysDeep(b));
}
