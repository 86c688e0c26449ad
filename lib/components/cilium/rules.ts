/** Every problem of a Cilium section for its chart version, checked before the values render. */
import { overlaps, parseCidr } from '../../core/cidr';
import { Platform } from '../../core/cluster';
import { credentialKind } from '../../core/credentials';
import { error, FieldPath, Finding, show, warning } from '../../core/findings';
import { deepEqual, deepMerge, isPlainObject } from '../../core/objects';
import { chartKeysFor, unknownChartKeys } from './chart-values';
import {
  atLeast,
  CILIUM_DEFAULTS,
  CILIUM_FACTS,
  CiliumDelivery,
  CiliumValues,
  CiliumVersion,
  DEFAULT_OPERATOR_REPLICAS,
  OLD_KPR_WORDS,
  parseCiliumVersion,
  REMOVED_VALUES,
  supported,
  TYPED_VALUES,
} from './facts';
import type { CiliumSpec } from './schema';
import { has, lookup, typedValues } from './values';
import { REFERENCES, ciliumChartValues, ciliumIssue } from '../../core/references';

export interface CiliumCheckContext {
  /** Nodes now or planned (spec.nodes). */
  readonly nodes: number;
  readonly platform: Platform;
  /** How the chart is installed, after defaults. */
  readonly delivery: CiliumDelivery;
  /** The nodes' own network (spec.nodeCidr), if the profile gives it. */
  readonly nodeCidr?: string;
}

/** Every problem with `spec` for its chart version, at once, with field paths under spec.cilium. */
export function checkCilium(spec: CiliumSpec, ctx: CiliumCheckContext): Finding[] {
  const at = (...p: FieldPath): FieldPath => ['spec', 'cilium', ...p];
  const out: Finding[] = [];

  if (ctx.delivery === 'k3s' && ctx.platform !== 'k3s') {
    out.push(error(at('delivery'), `k3s installs the chart with the k3s helm controller, which ${ctx.platform} does not run: use argocd or values`));
  }

  const v = parseCiliumVersion(spec.version);
  if (!v) {
    out.push(error(at('version'), `${show(spec.version)} is not an exact chart version: give one such as 1.13.4 or 1.18.12`));
    return out;
  }
  if (!supported(v)) {
    out.push(
      error(
        at('version'),
        `${v.text} is older than 1.13.0, the oldest chart netscale renders (its kube-proxy replacement values are not checked): use 1.13.0 or newer`,
      ),
    );
    return out;
  }
  const minorText = `${v.major}.${v.minor}`;
  if (v.major > 1 || v.minor > CILIUM_FACTS.newestChecked) {
    out.push(
      warning(
        at('version'),
        `${v.text} is newer than the newest chart ` +
          `checked (1.${CILIUM_FACTS.newestChecked}): its values are rendered as for 1.${CILIUM_FACTS.newestChecked}; check its upgrade notes`,
        [ciliumChartValues('1.20.0')],
      ),
    );
  } else if (v.minor < CILIUM_FACTS.oldestMaintained) {
    out.push(
      warning(
        at('version'),
        `${minorText} no longer gets fixes (Cilium maintains the newest three ` +
          `minors, 1.${CILIUM_FACTS.oldestMaintained} to 1.${CILIUM_FACTS.newestChecked}): plan the upgrade`,
        [REFERENCES.ciliumReleases],
      ),
    );
  }
  if (v.major === 1 && v.minor === 14 && v.patch < 3) {
    out.push(
      warning(
        at('version'),
        `${v.text} renders routing-mode twice in cilium-config when routingMode is set without tunnel, which Argo CD and Flux refuse: use ` +
          `1.14.3 or newer`,
        [ciliumIssue(27756), ciliumIssue(27841)],
      ),
    );
  }

  const routingMode = spec.routingMode ?? CILIUM_DEFAULTS.routingMode;
  const native = routingMode === 'native';
  const lbMode = spec.loadBalancer?.mode;
  const dispatch = spec.loadBalancer?.dsrDispatch;
  const dsr = lbMode === 'dsr' || lbMode === 'hybrid';

  if (spec.hubble?.ui && !spec.hubble.relay) {
    out.push(
      error(at('hubble', 'ui'), 'Hubble UI reads flows through Hubble relay, and the chart refuses the UI without it: set hubble.relay: true'),
    );
  }
  if (spec.autoDirectNodeRoutes && !native) {
    out.push(
      error(
        at('autoDirectNodeRoutes'),
        `needs routingMode: native (routing is ${routingMode}); the agent exits with "auto-direct-node-routes cannot be used with tunneling"`,
      ),
    );
  }
  if (native && spec.tunnelProtocol !== undefined) {
    out.push(
      error(
        at('tunnelProtocol'),
        `${spec.tunnelProtocol} is given, but routingMode is native: native routing has no tunnel; remove tunnelProtocol or use routingMode: tunnel`,
      ),
    );
  }
  if (native && spec.ipv4NativeRoutingCidr === undefined) {
    out.push(
      error(
        at('routingMode'),
        'native needs ipv4NativeRoutingCidr, the range routed without masquerading (the pod CIDRs, e.g. 10.0.0.0/22): the agent refuses to ' +
          'start without it',
      ),
    );
  }
  if (spec.ipv4NativeRoutingCidr !== undefined) {
    const parsed = parseCidr(spec.ipv4NativeRoutingCidr);
    if (!parsed.ok) out.push(error(at('ipv4NativeRoutingCidr'), `${spec.ipv4NativeRoutingCidr} ${parsed.reason}`));
    else if (parsed.cidr.family !== 4)
      out.push(error(at('ipv4NativeRoutingCidr'), `${spec.ipv4NativeRoutingCidr} is an IPv6 CIDR: give an IPv4 one such as 10.0.0.0/22`));
    else out.push(...checkNodeNetwork(spec.ipv4NativeRoutingCidr, ctx.nodeCidr));
  }

  if (dsr) {
    const geneveTunnel = routingMode === 'tunnel' && spec.tunnelProtocol === 'geneve';
    if (!atLeast(v, CILIUM_FACTS.geneveDispatchFrom) && !native) {
      out.push(error(at('loadBalancer', 'mode'), `${lbMode} needs routingMode: native in ${minorText} (DSR in a Geneve tunnel needs 1.14 or newer)`));
    } else if (!native && !(geneveTunnel && dispatch === 'geneve')) {
      out.push(
        error(
          at('loadBalancer', 'mode'),
          `${lbMode} needs routingMode: native, or a Geneve tunnel (tunnelProtocol: geneve) with loadBalancer.dsrDispatch: geneve; VXLAN has ` +
            `no room for the service address`,
        ),
      );
    }
  }
  if (dispatch === 'geneve' && !atLeast(v, CILIUM_FACTS.geneveDispatchFrom)) {
    out.push(
      error(at('loadBalancer', 'dsrDispatch'), `geneve needs Cilium 1.14 or newer (${v.text} dispatches with an IP option only): use opt or upgrade`),
    );
  }
  if (dispatch !== undefined && !dsr) {
    out.push(
      warning(
        at('loadBalancer', 'dsrDispatch'),
        `${dispatch} has no effect with loadBalancer.mode ${lbMode ?? 'snat (the default)'}: it applies to dsr and hybrid only`,
      ),
    );
  }
  if (spec.loadBalancer?.acceleration === 'best-effort' && !atLeast(v, CILIUM_FACTS.accelerationBestEffortFrom)) {
    out.push(error(at('loadBalancer', 'acceleration'), `best-effort needs Cilium 1.15 or newer (${minorText} takes native or disabled)`));
  }

  const replicas = spec.operatorReplicas ?? DEFAULT_OPERATOR_REPLICAS;
  if (replicas > ctx.nodes) {
    const why = spec.operatorReplicas === undefined ? ` (the default ${DEFAULT_OPERATOR_REPLICAS})` : '';
    out.push(
      error(
        at('operatorReplicas'),
        `${replicas} operator replicas${why} on ${ctx.nodes} node${ctx.nodes === 1 ? '' : 's'}: the chart keeps replicas on different nodes, ` +
          `so the rest stay Pending; set operatorReplicas to ${ctx.nodes} or fewer`,
      ),
    );
  }

  const host = spec.k8sServiceHost;
  if (host === 'auto') {
    if (!atLeast(v, CILIUM_FACTS.k8sServiceHostAutoFrom)) {
      out.push(
        error(
          at('k8sServiceHost'),
          `"auto" needs Cilium 1.16 or newer (${minorText} would dial a host named auto): give the API server address, e.g. 192.168.2.43`,
        ),
      );
    } else if (ctx.delivery === 'argocd') {
      out.push(
        error(
          at('k8sServiceHost'),
          '"auto" makes the chart look up the cluster-info ConfigMap at render time, which Argo CD cannot do: give the API server address',
        ),
      );
    } else if (ctx.platform !== 'kubeadm') {
      out.push(
        warning(
          at('k8sServiceHost'),
          `"auto" reads the kube-public/cluster-info ConfigMap that kubeadm creates; ${ctx.platform} may not have it: prefer the API server address`,
          [ciliumChartValues('1.16.19')],
        ),
      );
    }
  } else if (/^kubernetes(\.default(\.svc(\.cluster\.local)?)?)?$/.test(host)) {
    out.push(
      error(
        at('k8sServiceHost'),
        `${host} is the kubernetes Service, which only kube-proxy or Cilium itself can route: give the API server's own address`,
      ),
    );
  }

  out.push(...checkValues(spec, v, ctx));
  return out;
}

/**
 * ipv4NativeRoutingCIDR is the range Cilium sends without masquerading: traffic from pods to any
 * address inside it keeps the pod's source address. If it also covers the nodes' own network,
 * pods reach hosts there (other machines on that network, a NAS, a gateway) with pod addresses
 * the hosts cannot route back (docs.cilium.io/en/stable/network/concepts/masquerading/,
 * "ipv4-native-routing-cidr").
 */
function checkNodeNetwork(routingCidr: string, nodeCidr: string | undefined): Finding[] {
  if (nodeCidr === undefined) return [];
  const routed = parseCidr(routingCidr);
  const nodes = parseCidr(nodeCidr);
  if (!routed.ok || !nodes.ok || !overlaps(routed.cidr, nodes.cidr)) return [];
  const how = routed.cidr.network <= nodes.cidr.network && nodes.cidr.last <= routed.cidr.last ? 'contains' : 'overlaps';
  return [
    warning(
      ['spec', 'cilium', 'ipv4NativeRoutingCidr'],
      `${routingCidr} ${how} the node network ${nodeCidr} (spec.nodeCidr): Cilium does not masquerade traffic to this range, so pod traffic ` +
        `to other hosts on the node network leaves with pod source addresses those hosts cannot answer; narrow it to the pod CIDRs`,
      [{ title: 'Cilium: masquerading', url: 'https://docs.cilium.io/en/stable/network/concepts/masquerading/' }],
    ),
  ];
}

/** spec.values against the chosen chart: keys it rejects or ignores, and overrides of typed fields. */
function checkValues(spec: CiliumSpec, v: CiliumVersion, ctx: CiliumCheckContext): Finding[] {
  const values = spec.values ?? {};
  const at = (...p: FieldPath): FieldPath => ['spec', 'cilium', 'values', ...p];
  const out: Finding[] = [];
  const minorText = `${v.major}.${v.minor}`;
  const typed = typedValues(spec, v);

  for (const c of credentialPaths(values)) out.push({ ...error(at(...c.path), credentialMessage(c.kind)), atKey: true });

  if (has(values, ['tunnel']) && atLeast(v, CILIUM_FACTS.routingModeFrom)) {
    const fate = atLeast(v, CILIUM_FACTS.tunnelRemovedIn)
      ? 'was removed in 1.15: 1.15.0 to 1.15.7 ignore it (leaving VXLAN tunnelling), later charts fail on it'
      : 'is deprecated in 1.14 (removed in 1.15) and clashes with the routingMode netscale renders';
    out.push(error(at('tunnel'), `${fate}; set spec.cilium.routingMode and tunnelProtocol instead`));
  }
  for (const key of ['routingMode', 'tunnelProtocol']) {
    if (has(values, [key]) && !atLeast(v, CILIUM_FACTS.routingModeFrom)) {
      out.push(
        error(
          at(key),
          `is ignored by ${minorText}, which has only tunnel (disabled|vxlan|geneve): set spec.cilium.routingMode and tunnelProtocol, which ` +
            `render tunnel for 1.13`,
        ),
      );
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
      out.push(
        error(
          at(...removed.path),
          `was removed from the chart in 1.${removed.removedIn}; ${v.text} rejects or ignores it${removed.instead ? `: use ${removed.instead}` : ''}`,
        ),
      );
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
      if (!reported.has(key))
        out.push(
          error(
            at(...found.at),
            `replaces the whole ${key} map the typed fields ` +
              `render (${show(found.value)}): give a map, and set spec.cilium.${t.field} for ${t.path.join('.')}`,
          ),
        );
      reported.add(key);
      continue;
    }
    const own = lookup(typed, t.path);
    if (own.present && deepEqual(own.value, found.value)) continue;
    if (t.fixed !== undefined) {
      out.push(error(at(...t.path), `is always ${show(own.value)} in netscale's values: ${t.fixed}; remove it`));
      continue;
    }
    out.push(
      error(
        at(...t.path),
        own.present
          ? `overrides ${show(own.value)} from spec.cilium.${t.field} with ${show(found.value)}: set spec.cilium.${t.field} instead, so the ` +
              `checks see it`
          : `is rendered from spec.cilium.${t.field}: set it there, so the checks see it`,
      ),
    );
  }

  const merged = deepMerge(typed, values);
  const relayOrUi = (spec.hubble?.relay ?? false) || (spec.hubble?.ui ?? false);
  if (lookup(merged, ['hubble', 'enabled']).value === false && relayOrUi) {
    out.push(
      error(
        at('hubble', 'enabled'),
        'false turns Hubble off, but relay or UI is on and the chart refuses relay without Hubble: remove it or turn relay and UI off',
      ),
    );
  }
  out.push(...checkPodCidrFit(spec, merged, ctx.nodes));
  // Last, so a key another rule already explains (a removed key, a credential) is not reported twice.
  out.push(...checkChartKeys(values, v, new Set(out.map((f) => f.path.join('\u0000')))));
  return out;
}

/** A values override of kubeProxyReplacement: only the word that still means "replace it all" passes. */
function checkKprOverride(value: unknown, v: CiliumVersion, path: FieldPath): Finding[] {
  const text = String(value);
  const minorText = `${v.major}.${v.minor}`;
  if (!atLeast(v, CILIUM_FACTS.kprBooleanFrom)) {
    if (text === 'strict') return [];
    if (OLD_KPR_WORDS.includes(text))
      return [
        error(path, `${show(value)} keeps kube-proxy in charge of some services, which defeats this profile: remove it (netscale renders strict)`),
      ];
    return [error(path, `${show(value)} is not a ${minorText} value (it takes strict|partial|disabled): remove it (netscale renders strict)`)];
  }
  if (text === 'true') return [];
  if (text === 'false' || text === 'partial' || text === 'disabled' || text === 'probe') {
    return [
      error(
        path,
        `${show(value)} hands services back to kube-proxy, which defeats this profile: remove it (netscale ` +
          `renders ${show(atLeast(v, CILIUM_FACTS.kprOldWordsRejectedFrom) ? true : 'true')})`,
      ),
    ];
  }
  if (text === 'strict') {
    return atLeast(v, CILIUM_FACTS.kprOldWordsRejectedFrom)
      ? [error(path, `"strict" is rejected from 1.16 (the chart takes only true|false): remove it (netscale renders true)`)]
      : [warning(path, `"strict" is deprecated in ${minorText} and rejected from 1.16: remove it (netscale renders "true")`, [ciliumIssue(31286)])];
  }
  return [error(path, `${show(value)} is not a ${minorText} value (it takes true|false): remove it`)];
}

/**
 * Native routing reaches pods only inside ipv4NativeRoutingCIDR. cluster-pool IPAM hands each node
 * the next block of the pool, from its start, so the CIDR must hold the pool's first block per node.
 */
function checkPodCidrFit(spec: CiliumSpec, merged: CiliumValues, nodes: number): Finding[] {
  if ((spec.routingMode ?? CILIUM_DEFAULTS.routingMode) !== 'native' || spec.ipv4NativeRoutingCidr === undefined) return [];
  const parsed = parseCidr(spec.ipv4NativeRoutingCidr);
  if (!parsed.ok || parsed.cidr.family !== 4) return [];
  const mode = lookup(merged, ['ipam', 'mode']).value ?? 'cluster-pool';
  if (mode !== 'cluster-pool') return [];
  const path: FieldPath = ['spec', 'cilium', 'ipv4NativeRoutingCidr'];
  const source = [REFERENCES.ciliumIpam];

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
        `${routed.text} does not contain the start of the pod ` +
          `pool ${poolText} (ipam.operator.clusterPoolIPv4PodCIDRList), where nodes get their pod blocks: pod traffic would leave unrouted or ` +
          `masqueraded; route the pool, or move the pool into this range in spec.cilium.values`,
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
      `${routed.text} holds ${blocks} per-node pod block${blocks === 1 ? '' : 's'} of /${mask}, fewer than the ${nodes} nodes: pods on the ` +
        `other nodes fall outside it; widen it to /${Math.max(0, mask - Math.ceil(Math.log2(nodes)))} or more`,
      source,
    ),
  ];
}

/** Every value of spec.values that is a credential, by path (lists included), never by value. */
function credentialPaths(values: CiliumValues): Array<{ path: Array<string | number>; kind: string }> {
  const out: Array<{ path: Array<string | number>; kind: string }> = [];
  const walk = (node: unknown, path: Array<string | number>) => {
    if (Array.isArray(node)) node.forEach((item, i) => walk(item, [...path, i]));
    else if (isPlainObject(node)) {
      for (const [key, value] of Object.entries(node)) {
        const kind = credentialKind(key, value, node);
        if (kind) out.push({ path: [...path, key], kind });
        else walk(value, [...path, key]);
      }
    }
  };
  walk(values, []);
  return out;
}

function credentialMessage(kind: string): string {
  const instead =
    kind === 'a private key'
      ? 'leave keys out and let the chart generate its CA and certificates (hubble.tls.auto), or issue them with cert-manager ' +
        '(hubble.tls.auto.method: certmanager); a public certificate alone may stay'
      : "create a Secret in the cluster and point the chart at it (the chart's existingSecret and secretName values), or let the component " +
        'read it from the node';
  return `holds ${kind}, which must never be committed (dist/ is in git): ${instead}`;
}

/**
 * Keys the chart of this version does not know. values.yaml does not list every key the chart
 * reads (loadBalancer.mode is only a comment there), so the known keys are values.yaml, its
 * commented keys and every path the templates read (chart-keys.ts). A key one typo away from a
 * known one (kubeProxyReplacment) is an error: the chart would silently ignore it and the profile
 * would not do what it says. Any other unknown key is a warning, not an error, because templates
 * can also read keys indirectly (through `with` blocks and variables) that no list captures, and a
 * false error would block a valid profile.
 */
function checkChartKeys(values: CiliumValues, v: CiliumVersion, skip: ReadonlySet<string>): Finding[] {
  const chart = chartKeysFor(v);
  if (!chart) return [];
  const out: Finding[] = [];
  for (const unknown of unknownChartKeys(values, chart.keys)) {
    const path: FieldPath = ['spec', 'cilium', 'values', ...unknown.path];
    if (skip.has(path.join('\u0000'))) continue;
    if (unknown.suggestion !== undefined) {
      out.push({
        ...error(
          path,
          `unknown key (did you ` +
            `mean "${unknown.suggestion}"?): the cilium ${chart.version} chart neither sets it in values.yaml nor reads it, so it would be ignored`,
        ),
        atKey: true,
      });
    } else {
      out.push({
        ...warning(
          path,
          `is not a key of the ` +
            `cilium ${chart.version} chart (not in its values.yaml, not read by its templates): the chart probably ignores it; check \`helm ` +
            `show values cilium/cilium --version ${v.text}\``,
          [ciliumChartValues(chart.version)],
        ),
        atKey: true,
      });
    }
  }
  return out;
}
