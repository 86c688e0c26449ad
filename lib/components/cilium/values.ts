/**
 * Cilium as a strict kube-proxy replacement (seed 004): the chart values for an exact chart
 * version, with every rendered setting and its reason. Pure functions.
 */
import { stringify } from 'yaml';
import { Decision } from '../../core/decision';
import { deepMerge, isPlainObject, sortKeysDeep } from '../../core/objects';
import {
  atLeast,
  CILIUM_DEFAULTS,
  CILIUM_FACTS,
  CiliumValues,
  CiliumVersion,
  DEFAULT_OPERATOR_REPLICAS,
  parseCiliumVersion,
  supported,
} from './facts';
import type { CiliumSpec } from './schema';
import { Citation, REFERENCES, ciliumChartValues, ciliumIssue } from '../../core/references';

export function versionOf(spec: CiliumSpec): CiliumVersion {
  const v = parseCiliumVersion(spec.version);
  if (!v || !supported(v)) {
    throw new Error(
      `Cilium chart version ${JSON.stringify(spec.version)} is not supported: give an exact version of 1.13.0 or newer, such as 1.13.4 or 1.18.12`,
    );
  }
  return v;
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
  const decide = (name: string, value: unknown, rule: string, source?: Citation) =>
    decisions.push({ name, value: valueText(value), rule, ...(source ? { source } : {}) });
  const typed = typedValues(spec, v);

  if (!atLeast(v, CILIUM_FACTS.kprBooleanFrom)) {
    decide(
      'kubeProxyReplacement',
      typed.kubeProxyReplacement,
      `${v.major}.${v.minor} takes strict|partial|disabled; strict handles every Service type and refuses to start rather than fall back to ` +
        `kube-proxy`,
      [REFERENCES.ciliumKubeProxyFree, ciliumChartValues('1.13.4')],
    );
  } else if (!atLeast(v, CILIUM_FACTS.kprOldWordsRejectedFrom)) {
    decide(
      'kubeProxyReplacement',
      typed.kubeProxyReplacement,
      `${v.major}.${v.minor} takes true|false (strict|partial|disabled are deprecated): "true" is strict's successor`,
      [ciliumChartValues('1.14.5'), ciliumIssue(26036)],
    );
  } else {
    decide(
      'kubeProxyReplacement',
      typed.kubeProxyReplacement,
      `${v.major}.${v.minor} takes only true|false; strict|partial|disabled fail the chart render`,
      [ciliumIssue(31286)],
    );
  }

  const routingMode = spec.routingMode ?? CILIUM_DEFAULTS.routingMode;
  const routingReason = spec.routingMode ? 'set in the profile' : 'the default';
  if (typed.tunnel !== undefined) {
    const how =
      routingMode === 'native'
        ? 'tunnel: disabled is native routing'
        : `tunnel names the protocol (${spec.tunnelProtocol ? 'set in the profile' : 'default vxlan'})`;
    decide('tunnel', typed.tunnel, `routingMode ${routingMode} (${routingReason}); 1.13 has no routingMode, ${how}`, [ciliumChartValues('1.13.4')]);
  } else {
    decide('routingMode', typed.routingMode, `${routingReason}; 1.14 replaced tunnel with routingMode and tunnelProtocol`, [ciliumIssue(24561)]);
    if (typed.tunnelProtocol !== undefined) {
      const rule =
        routingMode === 'native'
          ? `DSR with Geneve dispatch in native routing needs a Geneve device ` +
            `(from 1.${CILIUM_FACTS.geneveDispatchNeedsTunnelProtocolFrom} the agent refuses it otherwise)`
          : spec.tunnelProtocol
            ? 'set in the profile'
            : 'default: vxlan, written out so the rendered mode does not depend on the chart default';
      decide('tunnelProtocol', typed.tunnelProtocol, rule, routingMode === 'native' ? [ciliumIssue(29051), ciliumIssue(30845)] : undefined);
    }
  }
  decide(
    'k8sServiceHost',
    typed.k8sServiceHost,
    'without kube-proxy the agents cannot reach the API server through the kubernetes Service, so they dial it directly',
    [REFERENCES.ciliumKubeProxyFree],
  );
  decide('k8sServicePort', typed.k8sServicePort, 'the API server port the agents dial', [REFERENCES.ciliumKubeProxyFree]);
  if (typed.ipv4NativeRoutingCIDR !== undefined)
    decide('ipv4NativeRoutingCIDR', typed.ipv4NativeRoutingCIDR, 'traffic to this range is routed, not masqueraded; native routing needs it', [
      REFERENCES.ciliumKubeProxyFree,
    ]);
  if (typed.autoDirectNodeRoutes !== undefined) {
    decide(
      'autoDirectNodeRoutes',
      typed.autoDirectNodeRoutes,
      typed.autoDirectNodeRoutes ? "each agent installs routes to the other nodes' pod CIDRs (nodes share an L2 segment)" : 'set in the profile',
      [REFERENCES.ciliumKubeProxyFree],
    );
  }
  const lb = (typed.loadBalancer ?? {}) as Record<string, unknown>;
  if (lb.mode !== undefined)
    decide(
      'loadBalancer.mode',
      lb.mode,
      lb.mode === 'snat'
        ? 'set in the profile (the default)'
        : 'replies from the backend go straight to the client, skipping the load-balancing node',
    );
  if (lb.acceleration !== undefined)
    decide('loadBalancer.acceleration', lb.acceleration, 'XDP acceleration of NodePort and LoadBalancer services, set in the profile');
  if (lb.dsrDispatch !== undefined)
    decide(
      'loadBalancer.dsrDispatch',
      lb.dsrDispatch,
      lb.dsrDispatch === 'geneve' ? 'the service address travels in a Geneve header' : 'the service address travels in an IP option',
    );
  decide(
    'bpf.masquerade',
    spec.bpfMasquerade ?? CILIUM_DEFAULTS.bpfMasquerade,
    spec.bpfMasquerade === undefined ? 'default: false (iptables masquerading, as the chart does)' : 'set in the profile',
  );
  decide(
    'hubble.relay.enabled',
    spec.hubble?.relay ?? CILIUM_DEFAULTS.hubbleRelay,
    spec.hubble?.relay === undefined ? 'default: false' : 'set in the profile',
  );
  decide(
    'hubble.ui.enabled',
    spec.hubble?.ui ?? CILIUM_DEFAULTS.hubbleUi,
    spec.hubble?.ui === undefined ? 'default: false' : 'set in the profile (needs relay)',
  );
  decide(
    'operator.replicas',
    spec.operatorReplicas ?? DEFAULT_OPERATOR_REPLICAS,
    spec.operatorReplicas === undefined ? `default: ${DEFAULT_OPERATOR_REPLICAS}, the chart's (one leader, one standby)` : 'set in the profile',
  );
  decide(
    'rollOutCiliumPods',
    true,
    'the chart puts the cilium-config checksum on the agent pods only with this on, so a values change restarts the agents (at the ' +
      "DaemonSet's own maxUnavailable); the chart default false leaves them on the old configuration",
    [ciliumChartValues('1.20.0')],
  );
  decide('operator.rollOutPods', true, 'the same checksum on the operator pods, which read cilium-config too', [ciliumChartValues('1.20.0')]);

  const extra = spec.values ?? {};
  const extraPaths = leafPaths(extra).map((p) => p.join('.'));
  if (extraPaths.length > 0) decide('extra values', extraPaths.length, `merged last from spec.cilium.values: ${extraPaths.join(', ')}`);

  return { values: sortKeysDeep(deepMerge(typed, extra)) as CiliumValues, decisions };
}

/** The values the typed fields render, before spec.values. */
export function typedValues(spec: CiliumSpec, v: CiliumVersion): CiliumValues {
  const routingMode = spec.routingMode ?? CILIUM_DEFAULTS.routingMode;
  const lbMode = spec.loadBalancer?.mode;
  const geneveDispatch = spec.loadBalancer?.dsrDispatch === 'geneve' && (lbMode === 'dsr' || lbMode === 'hybrid');
  const out: CiliumValues = {
    k8sServiceHost: spec.k8sServiceHost,
    k8sServicePort: spec.k8sServicePort,
    kubeProxyReplacement: !atLeast(v, CILIUM_FACTS.kprBooleanFrom) ? 'strict' : !atLeast(v, CILIUM_FACTS.kprOldWordsRejectedFrom) ? 'true' : true,
  };
  if (!atLeast(v, CILIUM_FACTS.routingModeFrom)) {
    out.tunnel = routingMode === 'native' ? 'disabled' : (spec.tunnelProtocol ?? CILIUM_DEFAULTS.tunnelProtocol);
  } else {
    out.routingMode = routingMode;
    if (routingMode === 'tunnel') out.tunnelProtocol = spec.tunnelProtocol ?? CILIUM_DEFAULTS.tunnelProtocol;
    else if (geneveDispatch) out.tunnelProtocol = 'geneve';
  }
  if (spec.ipv4NativeRoutingCidr !== undefined) out.ipv4NativeRoutingCIDR = spec.ipv4NativeRoutingCidr;
  if (spec.autoDirectNodeRoutes !== undefined) out.autoDirectNodeRoutes = spec.autoDirectNodeRoutes;
  const lb = spec.loadBalancer ?? {};
  const loadBalancer = Object.fromEntries(
    Object.entries({ mode: lb.mode, acceleration: lb.acceleration, dsrDispatch: lb.dsrDispatch }).filter(([, x]) => x !== undefined),
  );
  if (Object.keys(loadBalancer).length > 0) out.loadBalancer = loadBalancer;
  out.bpf = { masquerade: spec.bpfMasquerade ?? CILIUM_DEFAULTS.bpfMasquerade };
  out.hubble = {
    relay: { enabled: spec.hubble?.relay ?? CILIUM_DEFAULTS.hubbleRelay },
    ui: { enabled: spec.hubble?.ui ?? CILIUM_DEFAULTS.hubbleUi },
  };
  out.operator = { replicas: spec.operatorReplicas ?? DEFAULT_OPERATOR_REPLICAS, rollOutPods: true };
  // A values change must reach running pods: the chart adds the config checksum only with these on.
  out.rollOutCiliumPods = true;
  return out;
}

/** The values as a file for `helm install -f`: keys sorted, no line folding, so reruns are byte-identical. */
export function ciliumValuesYaml(values: CiliumValues): string {
  return stringify(sortKeysDeep(values), { lineWidth: 0, sortMapEntries: true });
}

function valueText(value: unknown): string | number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return /^(true|false|[0-9]+)$/.test(value) ? JSON.stringify(value) : value;
  return String(value);
}

export function leafPaths(x: CiliumValues, prefix: string[] = []): string[][] {
  return Object.entries(x).flatMap(([k, v]) => (isPlainObject(v) && Object.keys(v).length > 0 ? leafPaths(v, [...prefix, k]) : [[...prefix, k]]));
}

/** The value at `path`, or the first non-map on the way there (`at` shorter than `path`). */
export function lookup(x: CiliumValues, path: readonly string[]): { present: boolean; value: unknown; at: string[] } {
  let node: unknown = x;
  for (let i = 0; i < path.length; i++) {
    if (!isPlainObject(node)) return { present: i > 0, value: node, at: path.slice(0, i) };
    if (!(path[i] in node)) return { present: false, value: undefined, at: path.slice(0, i + 1) };
    node = node[path[i]];
  }
  return { present: true, value: node, at: [...path] };
}

export function has(x: CiliumValues, path: readonly string[]): boolean {
  const found = lookup(x, path);
  return found.present && found.at.length === path.length;
}
