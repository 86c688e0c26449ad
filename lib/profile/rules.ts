/**
 * Rules that span fields of a schema-valid profile: sections that do not fit the cluster,
 * contradictions, and the checks the schema cannot express. Sizing rules live in resolve.ts.
 */
import { parseCidr } from '../net/cidr';
import { error, Finding, FieldPath, warning } from './diagnostics';
import { checkCalico } from '../calico-network';
import { checkCilium, CiliumDelivery } from '../cilium-values';
import { checkKubeProxy } from '../kube-proxy-ipvs-tuning';
import { CREDENTIAL_MESSAGE, isCredentialKey } from './credentials';
import { DEFAULT_MAX_POOL_SIZE } from '../terway-eni-config';
import { ClusterProfile, ClusterSpec, TerwaySpec } from './schema';

/** eni_conf keys the typed terway fields render; the pass-through must not set them twice. */
export const TYPED_ENI_CONF_KEYS: Readonly<Record<string, string>> = {
  version: 'netscale renders it',
  vswitches: 'terway.vswitches',
  security_group: 'terway.securityGroups',
  security_groups: 'terway.securityGroups',
  service_cidr: 'terway.serviceCidr',
  min_pool_size: 'terway.pool.min',
  max_pool_size: 'terway.pool.max',
  vswitch_selection_policy: 'terway.vswitchSelectionPolicy',
  eni_tags: 'terway.eniTags',
  credential_path: 'terway.credentialPath',
  ip_stack: 'terway.ipStack',
};

/** Fields of `terway` that render eni_conf (and so need the full eni-config). */
export const ENI_CONF_FIELDS = ['vswitches', 'securityGroups', 'serviceCidr', 'pool', 'vswitchSelectionPolicy', 'eniTags', 'credentialPath', 'ipStack', 'eniConf', 'baseEniConf', 'cniConf', 'inClusterLoadBalance'] as const;

/** terway.baseEniConf as an object, or why it is not one. */
export function parseBaseEniConf(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `is not JSON: ${(e as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'must be a JSON object, as eni_conf is' };
  return { ok: true, value: value as Record<string, unknown> };
}

/** Terway's daemon rejects more security groups than this in the releases checked. */
export const TERWAY_DAEMON_SECURITY_GROUP_LIMIT = 5;

/** The seeds' threshold for a "large" Terway cluster. */
export const LARGE_TERWAY_CLUSTER_NODES = 100;

/** Folders of dist/ that are not clusters: a cluster of that name would be mixed into them. */
export const RESERVED_NAMES = ['reviews', 'argocd', 'values', 'netscale-fleet'] as const;

/** How the Cilium chart reaches the cluster when the profile does not say. */
export function ciliumDelivery(spec: ClusterSpec): CiliumDelivery {
  return spec.cilium?.delivery ?? (spec.platform === 'k3s' ? 'k3s' : spec.argocd !== undefined ? 'argocd' : 'values');
}

export function checkProfile(profile: ClusterProfile): Finding[] {
  const spec = profile.spec;
  const at = (...p: FieldPath): FieldPath => ['spec', ...p];
  const out: Finding[] = [];

  if ((RESERVED_NAMES as readonly string[]).includes(profile.metadata.name)) {
    out.push(error(['metadata', 'name'], `"${profile.metadata.name}" names a folder netscale keeps in dist/ (${RESERVED_NAMES.join(', ')}): choose another cluster name`));
  }

  if (spec.cni === 'terway' && spec.platform !== 'ack') {
    out.push(error(at('cni'), `terway runs only on ACK (platform: ack), not on ${spec.platform}; use calico or cilium`));
  }
  if (spec.platform === 'ack' && spec.region === undefined) {
    out.push(error(at('region'), 'is required on ACK: it names the VPC registry of the Typha image (registry-vpc.<region>.aliyuncs.com), e.g. cn-shanghai'));
  }
  if (spec.platform !== 'ack' && spec.region !== undefined) {
    out.push(error(at('region'), `applies to ACK only (platform is ${spec.platform}): remove it`));
  }
  if (spec.terway !== undefined && (spec.cni !== 'terway' || spec.platform !== 'ack')) {
    out.push(error(at('terway'), `applies to ACK clusters with cni: terway only (this one is ${spec.platform} with ${spec.cni}): remove the section`));
  }

  const policy = spec.networkPolicy ?? 'direct';
  if (spec.cni === 'cilium' && policy !== 'direct') {
    out.push(error(at('networkPolicy'), `${policy} does not apply to Cilium, which enforces NetworkPolicy itself without Felix or Typha: use direct (or leave it out)`));
  }
  if (spec.cni === 'calico' && policy === 'disabled') {
    out.push(error(at('networkPolicy'), 'disabled applies to Terway only (its disable_network_policy key); Calico always enforces NetworkPolicy: use relay or direct'));
  }
  if (spec.typha !== undefined && policy !== 'relay') {
    out.push(error(at('typha'), `configures the Typha relay, which runs only with networkPolicy: relay (this profile has ${policy}): set networkPolicy: relay or remove the section`));
  }
  if (spec.cni === 'terway' && policy === 'direct' && spec.nodes > LARGE_TERWAY_CLUSTER_NODES) {
    out.push(
      warning(
        at('networkPolicy'),
        `direct on ${spec.nodes} nodes: every node's Felix watches the API server; above ${LARGE_TERWAY_CLUSTER_NODES} nodes deploy the Typha relay (networkPolicy: relay) or turn NetworkPolicy off (networkPolicy: disabled)`,
        'seeds 000/001',
      ),
    );
  }

  if (spec.cilium !== undefined) {
    if (spec.cni !== 'cilium') out.push(error(at('cilium'), `configures Cilium, but the profile's cni is ${spec.cni}: set cni: cilium or remove the section`));
    // kube-proxy tuning next to Cilium is reported once, at spec.kubeProxy (the section to remove).
    else out.push(...checkCilium(spec.cilium, { nodes: spec.nodes, platform: spec.platform, delivery: ciliumDelivery(spec), hasKubeProxyTuning: false }));
    if (spec.cilium.delivery === 'argocd' && spec.argocd === undefined) {
      out.push(error(at('cilium', 'delivery'), 'argocd renders a Cilium Application into dist/argocd/, which needs spec.argocd (repoURL, destination): add it or use values'));
    }
  }
  if (spec.argocd?.destination?.server !== undefined && spec.argocd.destination.name !== undefined) {
    out.push(error(at('argocd', 'destination'), 'takes a server URL or a cluster name, not both'));
  }

  if (spec.kubeProxy !== undefined) {
    out.push(...checkKubeProxy(spec.kubeProxy, { kubernetesVersion: spec.kubernetesVersion, nodes: spec.nodes, cpuPerNode: spec.cpuPerNode, platform: spec.platform, cni: spec.cni, hasCilium: spec.cilium !== undefined }));
  }
  if (spec.calico !== undefined) {
    if (spec.cni !== 'calico') out.push(error(at('calico'), `configures Calico, but the profile's cni is ${spec.cni}: set cni: calico or remove the section`));
    else out.push(...checkCalico(spec.calico, { serviceCidr: spec.serviceCidr, clusterCidr: spec.kubeProxy?.clusterCIDR }));
    const encapsulated = (spec.calico.ipPools ?? []).some((p) => (p.ipipMode ?? 'Never') !== 'Never' || (p.vxlanMode ?? 'Never') !== 'Never') || spec.calico.wireguard === true;
    if (encapsulated && spec.calico.mtu === undefined) {
      out.push(warning(at('calico'), 'has no mtu: the tunnel MTU is derived from a 1500-byte underlay and overrides Calico\'s own detection; set calico.mtu to the nodes\' MTU (e.g. 1450 in many clouds, 9001 with jumbo frames)', 'Calico MTU guide'));
    }
    if (spec.calico.bgp?.routeReflectors && spec.argocd !== undefined) {
      out.push(
        warning(
          at('calico', 'bgp', 'routeReflectors'),
          'Argo CD turns the node-to-node mesh off in the last wave of the sync: label and patch the reflector nodes (the review\'s commands) before merging, or every cross-node route drops',
          'Calico BGP docs: a node leaves the mesh when it gets a cluster ID',
        ),
      );
    }
  }
  if (spec.serviceCidr !== undefined) {
    const parsed = parseCidr(spec.serviceCidr);
    if (!parsed.ok) out.push(error(at('serviceCidr'), `${spec.serviceCidr} ${parsed.reason}`));
  }

  const tls = spec.typha?.tls;
  if (tls && spec.cni === 'terway') {
    out.push(error(at('typha', 'tls'), 'Terway\'s eni-config has no setting for Felix\'s client certificate, so every Felix would be refused by a TLS-only Typha: remove tls on Terway clusters'));
  }
  if (tls && tls.clientCommonName === undefined && tls.clientUriSan === undefined) {
    out.push(error(at('typha', 'tls'), 'needs clientCommonName or clientUriSan: Typha refuses to start with TLS but no rule for which Felix clients to accept'));
  }

  if (spec.terway) out.push(...checkTerway(spec.terway, spec, (...p) => at('terway', ...p)));
  return out;
}

function checkTerway(terway: TerwaySpec, spec: ClusterSpec, at: (...p: FieldPath) => FieldPath): Finding[] {
  const maxPodsPerNode = spec.maxPodsPerNode;
  const out: Finding[] = [];
  const eniConfFields = ENI_CONF_FIELDS.filter((f) => terway[f] !== undefined);

  if (terway.mode === 'patch' && eniConfFields.length > 0) {
    out.push(error(at('mode'), `patch owns only felix_relay_service and disable_network_policy, but ${eniConfFields.join(', ')} render the whole eni-config: use mode: full or remove them`));
  }
  const full = terway.mode === 'full' || (terway.mode === undefined && eniConfFields.length > 0);
  const parsedBase = terway.baseEniConf !== undefined ? parseBaseEniConf(terway.baseEniConf) : undefined;
  const baseProblem = parsedBase === undefined ? undefined : !parsedBase.ok ? parsedBase.reason : Object.keys(parsedBase.value).some(isCredentialKey) ? CREDENTIAL_MESSAGE : undefined;
  if (baseProblem) out.push(error(at('baseEniConf'), baseProblem));
  if (full && terway.baseEniConf === undefined) {
    out.push(
      warning(
        eniConfFields.length > 0 ? at(eniConfFields[0]) : at('mode'),
        'renders eni_conf whole: keys of the cluster\'s eni_conf that the profile does not give are dropped when Terway restarts; paste the current one as terway.baseEniConf (`kubectl -n kube-system get cm eni-config -o jsonpath=\'{.data.eni_conf}\'`) to keep them',
        'seed 003: edit eni-config, do not replace it',
      ),
    );
  }
  // A broken baseEniConf is reported above; what it would have supplied is not asked for again.
  if (full && !baseProblem) {
    const inBase = { vswitches: ['vswitches'], securityGroups: ['security_group', 'security_groups'], serviceCidr: ['service_cidr'] } as const;
    for (const required of ['vswitches', 'securityGroups', 'serviceCidr'] as const) {
      if (required === 'serviceCidr' && spec.serviceCidr !== undefined) continue;
      if (parsedBase?.ok && inBase[required].some((key) => parsedBase.value[key] !== undefined)) continue;
      if (terway[required] === undefined) out.push(error(at(required), 'is required when the whole eni-config is rendered (mode: full): Terway cannot start without it'));
    }
  }

  const pool = terway.pool;
  const baseMax = parsedBase?.ok && Number.isInteger(parsedBase.value.max_pool_size) ? (parsedBase.value.max_pool_size as number) : undefined;
  if (pool?.min !== undefined && pool.min > (pool.max ?? baseMax ?? DEFAULT_MAX_POOL_SIZE)) {
    const max = pool.max ?? (baseMax !== undefined ? `${baseMax}, max_pool_size in baseEniConf` : `${DEFAULT_MAX_POOL_SIZE}, the default when pool.max is not set`);
    out.push(error(at('pool'), `min (${pool.min}) must not exceed max (${max})`));
  }

  if (terway.serviceCidr !== undefined) {
    const parsed = parseCidr(terway.serviceCidr);
    if (!parsed.ok) out.push(error(at('serviceCidr'), `${terway.serviceCidr} ${parsed.reason}`));
    if (spec.serviceCidr !== undefined && spec.serviceCidr !== terway.serviceCidr) {
      out.push(error(at('serviceCidr'), `${terway.serviceCidr} differs from spec.serviceCidr (${spec.serviceCidr}): a cluster has one Service CIDR; set it once in spec.serviceCidr`));
    }
  }

  if (terway.securityGroups && terway.securityGroups.length > TERWAY_DAEMON_SECURITY_GROUP_LIMIT) {
    out.push(warning(at('securityGroups'), `lists ${terway.securityGroups.length} groups: Terway daemons of the releases checked refuse more than ${TERWAY_DAEMON_SECURITY_GROUP_LIMIT}; check your Terway version accepts them`, 'Terway daemon config validation'));
  }
  const duplicates = (terway.securityGroups ?? []).filter((g, i, all) => all.indexOf(g) !== i);
  for (const g of new Set(duplicates)) out.push(error(at('securityGroups'), `lists ${g} more than once`));

  for (const [key, value] of Object.entries(terway.eniConf ?? {})) {
    if (TYPED_ENI_CONF_KEYS[key]) out.push(error(at('eniConf', key), `is rendered from ${TYPED_ENI_CONF_KEYS[key]}: set it there, not in the pass-through`));
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
    else if (parsed.cidr.prefix < 16 || parsed.cidr.prefix > 29) out.push(error(at('vswitchCidrs', id), `${text}: an Alibaba Cloud vSwitch is a /16 to /29`));
    if (!zoneOf.has(id)) out.push(error(at('vswitchCidrs', id), `${id} is not in terway.vswitches: list it under its zone first`));
  }
  if (terway.vswitchCidrs && maxPodsPerNode === undefined) {
    out.push(warning(at('vswitchCidrs'), 'IP capacity per zone is not checked: set spec.maxPodsPerNode to compare the vSwitches with the pods they must hold', 'seed 003'));
  }
  for (const zone of Object.keys(terway.nodesPerZone ?? {})) {
    if (terway.vswitches?.[zone] === undefined) out.push(error(at('nodesPerZone', zone), `${zone} has no vSwitches in terway.vswitches`));
  }
  return out;
}
