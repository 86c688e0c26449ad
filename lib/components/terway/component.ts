/** Terway's eni-config as a component: its rules, its resolve step (eni_conf, IP capacity), its construct. */
import { cidrOf, overlaps, parseCidr } from '../../core/cidr';
import { ClusterContext } from '../../core/cluster';
import { CREDENTIAL_MESSAGE, isCredentialKey } from '../../core/credentials';
import { error, FieldPath, Finding, warning } from '../../core/findings';
import { parseJson } from '../../core/limits';
import { defineComponent, ResolveRecord } from '../component';
import { TYPHA_NAME } from '../typha/facts';
import { spreadNodes, VSWITCH_RECOMMENDED_PREFIX, zoneCapacity, ZoneCapacity } from './capacity';
import {
  DEFAULT_CREDENTIAL_PATH,
  DEFAULT_MAX_POOL_SIZE,
  DEFAULT_MIN_POOL_SIZE,
  DEFAULT_TERWAY_DATAPATH,
  DEFAULT_VSWITCH_SELECTION_POLICY,
  felixEnforcesPolicy,
  IP_HEADROOM_WARNING,
  LARGE_TERWAY_CLUSTER_NODES,
  TERWAY_CNI_CONF_KEY,
  TERWAY_DAEMON_SECURITY_GROUP_LIMIT,
  TERWAY_DAEMONSET,
  TERWAY_MAX_UNAVAILABLE,
  terwayDatapathOf,
  TerwayDatapath,
  TYPED_ENI_CONF_KEYS,
} from './facts';
import type { TerwaySpec } from './schema';
import { terwayChanges, terwayRollback, terwayVerify } from './review';
import { EniConfProps, eniConfigData, TerwayEniConfig, TerwayEniConfigProps } from './terway-eni-config';
import { REFERENCES } from '../../core/references';

export interface ResolvedTerway {
  readonly eniConfig: TerwayEniConfigProps;
  /** Pod IPs per zone against the vSwitches, where the profile gives their CIDRs. */
  readonly zones: readonly ZoneCapacity[];
}

/** Fields of `terway` that render eni_conf (and so need the full eni-config). */
export const ENI_CONF_FIELDS = [
  'vswitches',
  'securityGroups',
  'serviceCidr',
  'pool',
  'vswitchSelectionPolicy',
  'eniTags',
  'credentialPath',
  'ipStack',
  'eniConf',
  'baseEniConf',
  'baseCniConf',
  'cniConf',
  'inClusterLoadBalance',
] as const;

/** The datapath and policy provider a profile describes: the datapath field, else baseCniConf, else veth. */
export function terwayDatapath(t: TerwaySpec | undefined): { datapath: TerwayDatapath; provider?: string; from: string } {
  const base = t?.baseCniConf !== undefined ? parseJsonObject(t.baseCniConf) : undefined;
  const baseConf = base?.ok ? base.value : undefined;
  const provider = typeof baseConf?.network_policy_provider === 'string' ? baseConf.network_policy_provider : undefined;
  if (t?.datapath) return { datapath: t.datapath, provider, from: 'set in the profile' };
  const fromBase = baseConf ? terwayDatapathOf(baseConf.eniip_virtual_type) : undefined;
  if (fromBase)
    return {
      datapath: fromBase,
      provider,
      from: baseConf!.eniip_virtual_type === undefined ? 'baseCniConf has no eniip_virtual_type: veth' : 'eniip_virtual_type in baseCniConf',
    };
  return { datapath: DEFAULT_TERWAY_DATAPATH, provider, from: "default: veth (Terway's when eniip_virtual_type is absent)" };
}

export const terwayComponent = defineComponent({
  key: 'terway',
  phases: { ConfigMap: 'switch' },
  check(section: TerwaySpec | undefined, ctx: ClusterContext): Finding[] {
    const out: Finding[] = [];
    if (ctx.cni === 'terway' && ctx.platform !== 'ack')
      out.push(error(['spec', 'cni'], `terway runs only on ACK (platform: ack), not on ${ctx.platform}; use calico or cilium`));
    if (section !== undefined && (ctx.cni !== 'terway' || ctx.platform !== 'ack')) {
      out.push(
        error(['spec', 'terway'], `applies to ACK clusters with cni: terway only (this one is ${ctx.platform} with ${ctx.cni}): remove the section`),
      );
    }
    const path = terwayDatapath(section);
    const felix = felixEnforcesPolicy(path.datapath, path.provider);
    if (ctx.cni === 'terway' && ctx.networkPolicy === 'relay' && !felix) {
      const why = path.datapath === 'veth' ? 'network_policy_provider ebpf in baseCniConf' : `datapath ${path.datapath}`;
      out.push(
        error(
          ['spec', 'networkPolicy'],
          `relay does nothing with ${why}: Terway enforces NetworkPolicy there with Cilium (or not at all), not Felix, and only Felix reads ` +
            `felix_relay_service (terway cmd/terway-cli/policy.go); use direct, or disabled to turn NetworkPolicy off`,
        ),
      );
    }
    if (ctx.cni === 'terway' && ctx.networkPolicy === 'direct' && felix && ctx.nodes > LARGE_TERWAY_CLUSTER_NODES) {
      out.push(
        warning(
          ['spec', 'networkPolicy'],
          `direct on ${ctx.nodes} nodes: every node's Felix watches the API server; ` +
            `above ${LARGE_TERWAY_CLUSTER_NODES} nodes deploy the Typha relay (networkPolicy: relay) or turn NetworkPolicy off ` +
            `(networkPolicy: disabled)`,
          [REFERENCES.ackTyphaRelay],
        ),
      );
    }
    if (section !== undefined) out.push(...checkTerway(section, ctx, (...p) => ['spec', 'terway', ...p]));
    return out;
  },
  resolve(section: TerwaySpec | undefined, ctx: ClusterContext, r: ResolveRecord): ResolvedTerway | undefined {
    return ctx.cni === 'terway' ? resolveTerway(section ?? {}, ctx, r) : undefined;
  },
  render(scope, resolved: ResolvedTerway) {
    new TerwayEniConfig(scope, 'TerwayEniConfig', resolved.eniConfig);
  },
});

/**
 * A pasted eni-config key (eni_conf, 10-terway.conf) as an object, or why it is not one: located in
 * the JSON, never quoting it (it may hold a credential), and no deeper than a profile may nest.
 */
export function parseJsonObject(text: string, what = 'eni_conf'): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: `must be a JSON object, as ${what} is` };
  return { ok: true, value: value as Record<string, unknown> };
}

/** terway.baseEniConf as an object, or why it is not one. */
export function parseBaseEniConf(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  return parseJsonObject(text, 'eni_conf');
}

/**
 * vSwitches hand out pod addresses: two must never share one, and none may overlap a Service
 * CIDR (the profile's, terway.serviceCidr, or service_cidr of baseEniConf). Each error names both.
 */
function vswitchOverlaps(
  terway: TerwaySpec,
  ctx: ClusterContext,
  baseEniConf: Record<string, unknown> | undefined,
  at: (...p: FieldPath) => FieldPath,
): Finding[] {
  const out: Finding[] = [];
  const vswitches = Object.entries(terway.vswitchCidrs ?? {}).flatMap(([id, text]) => {
    const parsed = parseCidr(text);
    return parsed.ok ? [{ id, text, cidr: parsed.cidr }] : [];
  });
  const services = [
    { where: 'spec.serviceCidr', text: ctx.serviceCidr },
    { where: 'spec.terway.serviceCidr', text: terway.serviceCidr },
    { where: 'service_cidr of baseEniConf', text: typeof baseEniConf?.service_cidr === 'string' ? baseEniConf.service_cidr : undefined },
  ].flatMap((s) =>
    (s.text ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '')
      .map((t) => ({ where: s.where, text: t, parsed: parseCidr(t) })),
  );
  const seen = new Set<string>();
  vswitches.forEach((a, i) => {
    for (const b of vswitches.slice(i + 1)) {
      if (overlaps(a.cidr, b.cidr))
        out.push(
          error(
            at('vswitchCidrs', b.id),
            `${b.text} of ${b.id} overlaps ${a.text} of ${a.id}: two vSwitches never share addresses, so one of the CIDRs is wrong`,
          ),
        );
    }
    for (const s of services) {
      const key = `${a.id} ${s.text}`;
      if (!s.parsed.ok || seen.has(key) || !overlaps(a.cidr, s.parsed.cidr)) continue;
      seen.add(key);
      out.push(
        error(
          at('vswitchCidrs', a.id),
          `${a.text} of ${a.id} overlaps the Service CIDR ${s.text} (${s.where}): pod and Service addresses would collide`,
        ),
      );
    }
  });
  return out;
}

function checkTerway(terway: TerwaySpec, ctx: ClusterContext, at: (...p: FieldPath) => FieldPath): Finding[] {
  const maxPodsPerNode = ctx.maxPodsPerNode;
  const out: Finding[] = [];
  const eniConfFields = ENI_CONF_FIELDS.filter((f) => terway[f] !== undefined);

  if (terway.mode === 'patch' && eniConfFields.length > 0) {
    out.push(
      error(
        at('mode'),
        `patch owns only felix_relay_service and disable_network_policy, ` +
          `but ${eniConfFields.join(', ')} render the whole eni-config: use mode: full or remove them`,
      ),
    );
  }
  const full = terway.mode === 'full' || (terway.mode === undefined && eniConfFields.length > 0);
  const parsedBase = terway.baseEniConf !== undefined ? parseBaseEniConf(terway.baseEniConf) : undefined;
  const baseProblem =
    parsedBase === undefined
      ? undefined
      : !parsedBase.ok
        ? parsedBase.reason
        : Object.keys(parsedBase.value).some(isCredentialKey)
          ? CREDENTIAL_MESSAGE
          : undefined;
  if (baseProblem) out.push(error(at('baseEniConf'), baseProblem));
  if (full && terway.baseEniConf === undefined) {
    out.push(
      warning(
        eniConfFields.length > 0 ? at(eniConfFields[0]) : at('mode'),
        "renders eni_conf whole: keys of the cluster's eni_conf that the profile does not give are dropped when Terway restarts; paste the " +
          "current one as terway.baseEniConf (`kubectl -n kube-system get cm eni-config -o jsonpath='{.data.eni_conf}'`) to keep them",
        [REFERENCES.terwayParameters],
      ),
    );
  }
  // A broken baseEniConf is reported above; what it would have supplied is not asked for again.
  if (full && !baseProblem) {
    const inBase = { vswitches: ['vswitches'], securityGroups: ['security_group', 'security_groups'], serviceCidr: ['service_cidr'] } as const;
    for (const required of ['vswitches', 'securityGroups', 'serviceCidr'] as const) {
      if (required === 'serviceCidr' && ctx.serviceCidr !== undefined) continue;
      if (parsedBase?.ok && inBase[required].some((key) => parsedBase.value[key] !== undefined)) continue;
      if (terway[required] === undefined)
        out.push(error(at(required), 'is required when the whole eni-config is rendered (mode: full): Terway cannot start without it'));
    }
  }

  const parsedCni = terway.baseCniConf !== undefined ? parseJsonObject(terway.baseCniConf, '10-terway.conf') : undefined;
  if (parsedCni && !parsedCni.ok) out.push(error(at('baseCniConf'), parsedCni.reason));
  if (terway.cniConf !== undefined && terway.baseCniConf === undefined) {
    out.push(
      error(
        at('cniConf'),
        "needs baseCniConf: netscale renders 10-terway.conf only from the cluster's own, whose keys (cniVersion, capabilities, " +
          'network_policy_provider, eniip_virtual_type) a shorter file would drop; paste it from `kubectl -n kube-system get cm eni-config -o ' +
          "jsonpath='{.data.10-terway\\.conf}'`",
      ),
    );
  }
  if (parsedCni?.ok) {
    const raw = parsedCni.value.eniip_virtual_type;
    const inBase = terwayDatapathOf(raw);
    if (inBase === undefined)
      out.push(error(at('baseCniConf'), `has eniip_virtual_type ${JSON.stringify(raw)}, which Terway refuses: it takes veth, ipvlan or datapathv2`));
    else if (terway.datapath !== undefined && terway.datapath !== inBase) {
      out.push(
        error(
          at('datapath'),
          `${terway.datapath} differs from the cluster's datapath in baseCniConf ` +
            `(eniip_virtual_type ${JSON.stringify(raw ?? '')}, that is ${inBase}): netscale does not change a cluster's datapath; set ` +
            `datapath to ${inBase}`,
        ),
      );
    }
    for (const key of Object.keys(terway.cniConf ?? {})) {
      if (key === 'eniip_virtual_type')
        out.push(error(at('cniConf', key), "is the datapath: set terway.datapath instead (netscale does not change a cluster's datapath)"));
    }
  }

  const pool = terway.pool;
  const baseMax = parsedBase?.ok && Number.isInteger(parsedBase.value.max_pool_size) ? (parsedBase.value.max_pool_size as number) : undefined;
  if (pool?.min !== undefined && pool.min > (pool.max ?? baseMax ?? DEFAULT_MAX_POOL_SIZE)) {
    const max =
      pool.max ??
      (baseMax !== undefined ? `${baseMax}, max_pool_size in baseEniConf` : `${DEFAULT_MAX_POOL_SIZE}, the default when pool.max is not set`);
    out.push(error(at('pool'), `min (${pool.min}) must not exceed max (${max})`));
  }

  if (terway.serviceCidr !== undefined) {
    const parsed = parseCidr(terway.serviceCidr);
    if (!parsed.ok) out.push(error(at('serviceCidr'), `${terway.serviceCidr} ${parsed.reason}`));
    if (ctx.serviceCidr !== undefined && ctx.serviceCidr !== terway.serviceCidr) {
      out.push(
        error(
          at('serviceCidr'),
          `${terway.serviceCidr} differs from spec.serviceCidr (${ctx.serviceCidr}): a cluster has one Service CIDR; set it once in spec.serviceCidr`,
        ),
      );
    }
  }

  if (terway.securityGroups && terway.securityGroups.length > TERWAY_DAEMON_SECURITY_GROUP_LIMIT) {
    out.push(
      warning(
        at('securityGroups'),
        `lists ${terway.securityGroups.length} groups: Terway daemons of the releases checked refuse more ` +
          `than ${TERWAY_DAEMON_SECURITY_GROUP_LIMIT}; check your Terway version accepts them`,
        [REFERENCES.terwayConfigValidate],
      ),
    );
  }
  const duplicates = (terway.securityGroups ?? []).filter((g, i, all) => all.indexOf(g) !== i);
  for (const g of new Set(duplicates)) out.push(error(at('securityGroups'), `lists ${g} more than once`));

  for (const [key, value] of Object.entries(terway.eniConf ?? {})) {
    if (TYPED_ENI_CONF_KEYS[key])
      out.push(error(at('eniConf', key), `is rendered from ${TYPED_ENI_CONF_KEYS[key]}: set it there, not in the pass-through`));
    else if (value === null || value === undefined) out.push(error(at('eniConf', key), 'has no value'));
  }

  const zoneOf = new Map<string, string>();
  for (const [zone, ids] of Object.entries(terway.vswitches ?? {})) {
    ids.forEach((id, i) => {
      if (zoneOf.has(id)) out.push(error(at('vswitches', zone, i), `${id} is listed under ${zoneOf.get(id)} too: a vSwitch belongs to one zone`));
      else zoneOf.set(id, zone);
    });
  }

  for (const [id, text] of Object.entries(terway.vswitchCidrs ?? {})) {
    const parsed = parseCidr(text);
    if (!parsed.ok) {
      out.push(error(at('vswitchCidrs', id), `${text} ${parsed.reason}`));
      continue;
    }
    if (parsed.cidr.family !== 4) out.push(error(at('vswitchCidrs', id), `${text} is not IPv4: give the vSwitch's IPv4 CIDR`));
    else if (parsed.cidr.prefix < 16 || parsed.cidr.prefix > 29)
      out.push(error(at('vswitchCidrs', id), `${text}: an Alibaba Cloud vSwitch is a /16 to /29`));
    if (!zoneOf.has(id)) out.push(error(at('vswitchCidrs', id), `${id} is not in terway.vswitches: list it under its zone first`));
  }
  out.push(...vswitchOverlaps(terway, ctx, parsedBase?.ok ? parsedBase.value : undefined, at));
  if (terway.vswitchCidrs && maxPodsPerNode === undefined) {
    out.push(
      warning(
        at('vswitchCidrs'),
        'IP capacity per zone is not checked: set spec.maxPodsPerNode to compare the vSwitches with the pods they must hold',
        [REFERENCES.ackVswitchExpansion],
      ),
    );
  }
  for (const zone of Object.keys(terway.nodesPerZone ?? {})) {
    if (terway.vswitches?.[zone] === undefined) out.push(error(at('nodesPerZone', zone), `${zone} has no vSwitches in terway.vswitches`));
  }
  return out;
}

function resolveTerway(t: TerwaySpec, ctx: ClusterContext, r: ResolveRecord): ResolvedTerway {
  const typed = ENI_CONF_FIELDS.filter((f) => t[f] !== undefined);
  const mode = t.mode ?? (typed.length > 0 ? 'full' : 'patch');
  r.decisions.push({
    name: 'eni-config mode',
    value: mode,
    rule: t.mode
      ? 'set in the profile'
      : typed.length > 0
        ? `full: eni_conf fields given (${typed.join(', ')})`
        : 'patch: no eni_conf fields given; only the relay and policy keys are owned',
  });
  const path = terwayDatapath(t);
  const felix = felixEnforcesPolicy(path.datapath, path.provider);
  const enforcer = felix
    ? 'Felix, which the Typha relay serves'
    : path.datapath === 'veth'
      ? 'Cilium or nothing (network_policy_provider ebpf), so felix_relay_service does nothing'
      : 'Cilium, so felix_relay_service does nothing';
  r.decisions.push({
    name: 'Terway datapath',
    value: path.datapath,
    rule: `${path.from}; NetworkPolicy is enforced by ${enforcer}`,
    source: [REFERENCES.terwayPolicy],
  });
  const props: TerwayEniConfigProps = {
    mode,
    felixRelayService: ctx.networkPolicy === 'relay' ? TYPHA_NAME : undefined,
    // Only what the profile decides is written: without networkPolicy the cluster's value stays.
    disableNetworkPolicy: ctx.networkPolicyGiven ? ctx.networkPolicy === 'disabled' : undefined,
    eniConf: mode === 'full' ? fullEniConf(t, ctx.serviceCidr) : undefined,
    cniConf: mode === 'full' ? fullCniConf(t) : undefined,
    inClusterLoadBalance: t.inClusterLoadBalance,
  };
  if (mode === 'full') {
    const conf = props.eniConf!;
    const whence = (profileSet: boolean, resolved: unknown, fallback: string) =>
      profileSet ? 'set in the profile' : resolved !== undefined ? 'kept from baseEniConf' : fallback;
    const chartDefaults = `Terway chart defaults (min_pool_size ${DEFAULT_MIN_POOL_SIZE}, max_pool_size ${DEFAULT_MAX_POOL_SIZE})`;
    r.decisions.push({
      name: 'IP pool watermarks',
      value: `min ${conf.minPoolSize ?? DEFAULT_MIN_POOL_SIZE}, max ${conf.maxPoolSize ?? DEFAULT_MAX_POOL_SIZE}`,
      rule:
        whence(t.pool !== undefined, conf.maxPoolSize ?? conf.minPoolSize, chartDefaults) +
        '; every node keeps at least min idle pod IPs after serving its pods and releases idle ones above max',
      source: [REFERENCES.terwayPool],
    });
    const policy = conf.vswitchSelectionPolicy ?? DEFAULT_VSWITCH_SELECTION_POLICY;
    r.decisions.push({
      name: 'vSwitch selection',
      value: policy,
      rule:
        `${whence(t.vswitchSelectionPolicy !== undefined, conf.vswitchSelectionPolicy, 'Terway chart default')}; ` +
        (policy === 'ordered'
          ? 'ordered means the vSwitch of the zone with the most free IPs first, whatever the order of the list (Terway maps it to its "most" policy)'
          : 'any vSwitch of the zone that has free IPs'),
      source: [REFERENCES.terwayDaemonConfig, REFERENCES.terwayVswitch],
    });
    r.decisions.push({
      name: 'credential_path',
      value: conf.credentialPath ?? DEFAULT_CREDENTIAL_PATH,
      rule: whence(t.credentialPath !== undefined, conf.credentialPath, 'ACK default: the RAM role token mounted on every node'),
    });
    if (t.baseEniConf !== undefined) {
      const kept = Object.keys(conf.base ?? {}).filter((k) => TYPED_ENI_CONF_KEYS[k] === undefined);
      r.decisions.push({
        name: 'eni_conf keys kept',
        value: kept.length,
        rule:
          kept.length > 0
            ? `from baseEniConf, not modelled by the profile: ${kept.sort().join(', ')}`
            : 'baseEniConf has no keys beyond the typed ones',
      });
    }
    r.decisions.push({
      name: TERWAY_CNI_CONF_KEY,
      value: props.cniConf ? 'rendered' : 'left alone',
      rule: props.cniConf
        ? `from baseCniConf, every key kept${t.cniConf ? `; set: ${Object.keys(t.cniConf).sort().join(', ')}` : ''}`
        : "no baseCniConf: netscale never writes a 10-terway.conf of its own, so the cluster's stays",
    });
  }
  const zones = checkCapacity(t, ctx.nodes, ctx.maxPodsPerNode, props.eniConf?.minPoolSize ?? DEFAULT_MIN_POOL_SIZE, r.findings);
  if (Object.keys(eniConfigData(props)).length > 0) {
    r.changes.push(...terwayChanges(t, props, r.decisions));
    r.verify.push(...terwayVerify(t, props));
    r.rollback.push(terwayRollback(t, props));
  }
  for (const z of zones) r.decisions.push(z.decision);
  // Nothing owned (direct in patch mode) changes nothing Terway reads: no restart.
  const owned = eniConfigData(props);
  if (Object.keys(owned).length > 0) {
    r.restarts.push({
      daemonSet: TERWAY_DAEMONSET,
      namespace: 'kube-system',
      configuration: JSON.stringify(owned),
      why: 'Terway reads eni-config only when it starts',
      maxUnavailable: TERWAY_MAX_UNAVAILABLE,
    });
  }
  return { eniConfig: props, zones };
}

/** 10-terway.conf: the cluster's own (baseCniConf) with the profile's keys over it, or nothing. */
function fullCniConf(t: TerwaySpec): Record<string, unknown> | undefined {
  if (t.baseCniConf === undefined) return undefined;
  const base = (parseJsonObject(t.baseCniConf) as { ok: true; value: Record<string, unknown> }).value;
  // The datapath is written only when the profile states it, and then it equals the cluster's (checked).
  return {
    ...base,
    ...(t.cniConf ?? {}),
    ...(t.datapath !== undefined && base.eniip_virtual_type === undefined ? { eniip_virtual_type: t.datapath } : {}),
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
  const baseGroups = Array.isArray(base.security_groups)
    ? (base.security_groups as string[])
    : typeof base.security_group === 'string'
      ? [base.security_group]
      : undefined;
  return {
    vswitches: t.vswitches ?? from<Record<string, string[]>>('vswitches', isObject) ?? {},
    securityGroups: t.securityGroups ?? baseGroups ?? [],
    serviceCidr: t.serviceCidr ?? serviceCidr ?? from<string>('service_cidr', isString) ?? '',
    minPoolSize: t.pool?.min ?? from<number>('min_pool_size', isInt),
    maxPoolSize: t.pool?.max ?? from<number>('max_pool_size', isInt),
    vswitchSelectionPolicy:
      t.vswitchSelectionPolicy ?? from<'ordered' | 'random'>('vswitch_selection_policy', (v) => v === 'ordered' || v === 'random'),
    eniTags: t.eniTags ?? from<Record<string, string>>('eni_tags', isObject),
    credentialPath: t.credentialPath ?? from<string>('credential_path', isString),
    ipStack: t.ipStack ?? from<'ipv4' | 'dual'>('ip_stack', (v) => v === 'ipv4' || v === 'dual'),
    extra: t.eniConf,
    base,
  };
}

/** Seed 003: vSwitches of /19 or larger, and enough pod IPs in every zone. */
function checkCapacity(t: TerwaySpec, nodes: number, maxPodsPerNode: number | undefined, idlePerNode: number, findings: Finding[]): ZoneCapacity[] {
  const at = (...p: FieldPath): FieldPath => ['spec', 'terway', ...p];
  const cidrs = t.vswitchCidrs ?? {};
  for (const [id, text] of Object.entries(cidrs)) {
    const c = cidrOf(text);
    if (c.prefix > VSWITCH_RECOMMENDED_PREFIX) {
      findings.push(
        warning(
          at('vswitchCidrs', id),
          `${text} holds ${2 ** (32 - c.prefix)} addresses, fewer than a /${VSWITCH_RECOMMENDED_PREFIX} (8192): pods will run out of IPs first here`,
          [REFERENCES.ackVswitchExpansion],
        ),
      );
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
      findings.push(
        warning(at('vswitches', zone), `capacity of ${zone} not checked: no CIDR for ${missing.join(', ')} in terway.vswitchCidrs`, [
          REFERENCES.ackVswitchExpansion,
        ]),
      );
      continue;
    }
    const cap = zoneCapacity({
      zone,
      nodes: nodesPerZone.get(zone) ?? 0,
      maxPodsPerNode,
      idlePerNode,
      vswitches: ids.map((id) => ({ id, cidr: cidrOf(cidrs[id]) })),
    });
    out.push(cap);
    if (cap.demand > cap.usable) {
      findings.push(
        error(
          at('vswitches', zone),
          `${cap.demand} pod IPs needed (${nodesPerZone.get(zone)} nodes x (${maxPodsPerNode} pods + ${idlePerNode} idle, min_pool_size)) ` +
            `but the zone's vSwitches hand ` +
            `out ${cap.usable}: add a vSwitch of this zone (/19 or larger) before pods fail with InvalidVSwitchId.IpNotEnough`,
        ),
      );
    } else if (cap.headroom < IP_HEADROOM_WARNING) {
      findings.push(
        warning(
          at('vswitches', zone),
          `only ${Math.round(cap.headroom * 100)}% of the zone's pod IPs stay free at full ` +
            `density (${cap.demand} of ${cap.usable}): add a vSwitch of this zone`,
          [REFERENCES.ackVswitchExpansion],
        ),
      );
    }
  }
  return out;
}
