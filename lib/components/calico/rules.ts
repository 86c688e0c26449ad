/**
 * The rules of Calico's pools and BGP settings, shared by the CalicoNetwork constructor and the
 * profile rules, so a construct used on its own refuses what a profile would.
 */
import { Cidr, overlaps, parseCidr } from '../../core/cidr';
import { INT32_MAX } from '../../core/cluster';
import { FieldPath, Finding, findingsAt, formatPath, Problem } from '../../core/findings';
import type { CalicoIpPoolProps, CalicoNetworkProps } from './calico-network';
import { formatCount } from '../../core/format';
import { CALICO_BLOCK_SIZE_RANGE, CALICO_DEFAULT_BLOCK_SIZE, CALICO_IP_POOL_DEFAULTS, FULL_MESH_NODE_LIMIT, MAX_AS_NUMBER } from './facts';
import { Citation, REFERENCES } from '../../core/references';

/** Calico's guide for changing a pool's CIDR or block size: a new pool, never an edit. */
export const MIGRATE_POOLS_GUIDE = 'https://docs.tigera.io/calico/latest/networking/ipam/migrate-pools';

/** Calico refuses pools that overlap the link-local ranges. */
const LINK_LOCAL = [parseCidr('169.254.0.0/16'), parseCidr('fe80::/10')]
  .map((p) => (p.ok ? p.cidr : undefined))
  .filter((c): c is Cidr => c !== undefined);

export interface CalicoCheckContext {
  /** The cluster's Service CIDR (one, or an IPv4 and an IPv6 CIDR separated by a comma). */
  readonly serviceCidr?: string;
  /** The cluster's pod CIDR (kube-proxy clusterCIDR); every pool should lie inside it. */
  readonly clusterCidr?: string;
  /** Networks the pools must not touch: other clusters' pod CIDRs, node subnets. */
  readonly otherCidrs?: ReadonlyArray<{ readonly path: FieldPath | string; readonly cidr: string }>;
  /** Nodes in the cluster: pools selecting all nodes should hold a block for each, and the BGP mesh grows with them. */
  readonly nodes?: number;
  /** The pools already rendered for this cluster (dist/): their cidr and blockSize cannot change in place. */
  readonly existingPools?: ReadonlyArray<{ readonly name: string; readonly cidr: string; readonly blockSize?: number }>;
}

export type CalicoInput = Pick<CalicoNetworkProps, 'mtu' | 'wireguard' | 'bgp'> & { readonly ipPools?: readonly CalicoIpPoolProps[] };

/** Cross-field rules of `spec.calico`, every problem at once with its field path. */
export function checkCalico(spec: CalicoInput, ctx: CalicoCheckContext = {}): Finding[] {
  return findingsAt(['spec', 'calico'], calicoRules(spec, ctx));
}

/** The rules with paths relative to the section. */
export function calicoRules(input: CalicoInput, ctx: CalicoCheckContext): Problem[] {
  const out: Problem[] = [];
  const err = (path: FieldPath, message: string) => out.push({ severity: 'error', path, message });
  const warn = (path: FieldPath, message: string, source?: Citation) => out.push({ severity: 'warning', path, message, source });
  const pools = input.ipPools ?? [];

  const seen = new Map<string, number>();
  pools.forEach((p, i) => {
    if (seen.has(p.name)) err(['ipPools', i, 'name'], `"${p.name}" is also the name of ipPools[${seen.get(p.name)}]: each IPPool needs its own name`);
    else seen.set(p.name, i);
  });

  const parsed: Array<{ index: number; pool: CalicoIpPoolProps; cidr: Cidr; blockSize: number }> = [];
  pools.forEach((pool, i) => {
    const at = (...p: FieldPath): FieldPath => ['ipPools', i, ...p];
    const result = parseCidr(pool.cidr);
    if (!result.ok) {
      err(at('cidr'), `${pool.cidr} ${result.reason}`);
      return;
    }
    const cidr = result.cidr;
    const family = cidr.family;
    const blockSize = pool.blockSize ?? CALICO_DEFAULT_BLOCK_SIZE[family];
    parsed.push({ index: i, pool, cidr, blockSize });

    for (const ll of LINK_LOCAL)
      if (overlaps(cidr, ll)) err(at('cidr'), `${pool.cidr} overlaps the link-local range ${ll.text}, which Calico refuses`);

    const [lo, hi] = CALICO_BLOCK_SIZE_RANGE[family];
    if (blockSize < lo || blockSize > hi) {
      err(at('blockSize'), `${blockSize} is outside ${lo}..${hi}, the block sizes Calico accepts for an IPv${family} pool`);
    } else if (blockSize < cidr.prefix && !pool.disabled) {
      err(
        at(pool.blockSize !== undefined ? 'blockSize' : 'cidr'),
        `a /${blockSize} block is larger than the ` +
          `pool ${pool.cidr}: blockSize must be at least the pool's prefix length (${cidr.prefix}), or the pool larger`,
      );
    }

    const ipip = pool.ipipMode ?? 'Never';
    const vxlan = pool.vxlanMode ?? 'Never';
    if (ipip !== 'Never' && vxlan !== 'Never')
      err(at(), `ipipMode ${ipip} and vxlanMode ${vxlan} are both on: a pool uses one encapsulation; set the other to Never`);
    if (family === 6 && ipip !== 'Never')
      err(at('ipipMode'), `${ipip} on the IPv6 pool ${pool.cidr}: Calico's IP-in-IP carries IPv4 only; use vxlanMode for IPv6 pools`);
  });

  for (const family of [4, 6] as const) {
    const same = parsed.filter((p) => p.cidr.family === family);
    const first = same[0];
    for (const p of same.slice(1)) {
      if (p.blockSize !== first.blockSize) {
        const shown = p.pool.blockSize !== undefined ? `${p.blockSize}` : `${p.blockSize} (the default)`;
        err(
          ['ipPools', p.index, ...(p.pool.blockSize !== undefined ? ['blockSize'] : [])],
          `blockSize ${shown} differs from ${first.blockSize} in ipPools[${first.index}] ("${first.pool.name}"): use one blockSize in ` +
            `every IPv${family} pool (so routes aggregate per pool)`,
        );
      }
    }
  }

  parsed.forEach((a, x) => {
    for (const b of parsed.slice(x + 1)) {
      if (overlaps(a.cidr, b.cidr))
        err(
          ['ipPools', b.index, 'cidr'],
          `${b.pool.cidr} overlaps ipPools[${a.index}] ("${a.pool.name}", ${a.pool.cidr}): pools must not share addresses`,
        );
    }
  });

  const serviceCidrs = (ctx.serviceCidr ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const cluster = (ctx.clusterCidr ?? '')
    .split(',')
    .map((s) => parseCidr(s.trim()))
    .flatMap((r) => (r.ok ? [r.cidr] : []));
  for (const p of parsed) {
    const at: FieldPath = ['ipPools', p.index, 'cidr'];
    for (const text of serviceCidrs) {
      const s = parseCidr(text);
      if (s.ok && overlaps(p.cidr, s.cidr)) err(at, `${p.pool.cidr} overlaps the Service CIDR ${text}: pod and Service addresses would collide`);
    }
    for (const other of ctx.otherCidrs ?? []) {
      const o = parseCidr(other.cidr);
      const where = typeof other.path === 'string' ? other.path : formatPath(other.path);
      if (o.ok && overlaps(p.cidr, o.cidr))
        err(at, `${p.pool.cidr} overlaps ${where} (${other.cidr}): the two networks would route the same addresses`);
    }
    const sameFamily = cluster.filter((c) => c.family === p.cidr.family);
    if (sameFamily.length > 0 && !sameFamily.some((c) => c.network <= p.cidr.network && p.cidr.last <= c.last)) {
      warn(
        at,
        `${p.pool.cidr} lies outside the cluster ` +
          `CIDR ${ctx.clusterCidr}: kube-proxy treats traffic from these pods as coming from outside the cluster`,
      );
    }
  }

  for (const p of parsed) {
    const before = (ctx.existingPools ?? []).find((e) => e.name === p.pool.name);
    if (!before) continue;
    const beforeCidr = parseCidr(before.cidr);
    // Calico compares the networks, not the text (libcalico-go clientv3/ippool.go, cidrChangeOK).
    const sameCidr =
      beforeCidr.ok &&
      beforeCidr.cidr.family === p.cidr.family &&
      beforeCidr.cidr.network === p.cidr.network &&
      beforeCidr.cidr.prefix === p.cidr.prefix;
    const migrate = (what: string) =>
      `Calico refuses to change an existing pool in place ` +
      `("IPPool ${what} cannot be modified", libcalico-go clientv3/ippool.go), and the crd.projectcalico.org path that kubectl and Argo CD take ` +
      `skips that check, stranding the pods that hold addresses: add a pool under a new name, ` +
      `set "${p.pool.name}" disabled: true, recreate the pods on it, then remove it (${MIGRATE_POOLS_GUIDE})`;
    if (!sameCidr)
      err(
        ['ipPools', p.index, 'cidr'],
        `${p.pool.cidr} differs from ${before.cidr}, the cidr of pool "${p.pool.name}" already rendered in dist/. ${migrate('CIDR')}`,
      );
    if (before.blockSize !== undefined && before.blockSize !== p.blockSize) {
      err(
        ['ipPools', p.index, ...(p.pool.blockSize !== undefined ? ['blockSize'] : [])],
        `${p.blockSize} differs from ${before.blockSize}, the blockSize of pool "${p.pool.name}" already rendered in dist/. ${migrate('BlockSize')}`,
      );
    }
  }

  if (ctx.nodes !== undefined) {
    for (const p of parsed) {
      if (
        p.pool.disabled ||
        (p.pool.nodeSelector ?? CALICO_IP_POOL_DEFAULTS.nodeSelector).trim() !== CALICO_IP_POOL_DEFAULTS.nodeSelector ||
        p.blockSize < p.cidr.prefix
      )
        continue;
      const blocks = 2 ** (p.blockSize - p.cidr.prefix);
      if (blocks < ctx.nodes) {
        warn(
          ['ipPools', p.index, 'cidr'],
          `${p.pool.cidr} holds ${formatCount(blocks)} blocks of /${p.blockSize} but serves all ${formatCount(ctx.nodes)} nodes: a node ` +
            `without a block of its own borrows single addresses from other nodes' blocks, each a /32 route; use a larger pool or a smaller ` +
            `blockSize`,
          [REFERENCES.calicoIpPool],
        );
      }
    }
    // BGP carries the routes unless every pool is VXLAN-only.
    const bgpPools = parsed.filter((p) => !p.pool.disabled && (p.pool.vxlanMode ?? 'Never') === 'Never');
    if (bgpPools.length > 0 && !input.bgp?.routeReflectors && ctx.nodes > FULL_MESH_NODE_LIMIT) {
      const pools = bgpPools.map((p) => `"${p.pool.name}" ${(p.pool.ipipMode ?? 'Never') === 'Never' ? 'unencapsulated' : 'IP-in-IP'}`).join(', ');
      const sessions = formatCount((ctx.nodes * (ctx.nodes - 1)) / 2);
      warn(
        input.bgp ? ['bgp'] : ['ipPools', bgpPools[0].index],
        `${formatCount(ctx.nodes)} nodes run BGP (${pools}) in the full node-to-node mesh, ${sessions} sessions: ` +
          `above ${FULL_MESH_NODE_LIMIT} nodes use route reflectors (calico.bgp.routeReflectors)`,
        [REFERENCES.calicoBgp],
      );
    }
  }

  const bgp = input.bgp;
  if (bgp?.asNumber !== undefined && (!Number.isInteger(bgp.asNumber) || bgp.asNumber < 1 || bgp.asNumber > MAX_AS_NUMBER)) {
    err(['bgp', 'asNumber'], `must be an AS number from 1 to ${MAX_AS_NUMBER} (got ${bgp.asNumber})`);
  } else if (bgp?.asNumber !== undefined && bgp.asNumber > INT32_MAX) {
    warn(
      ['bgp', 'asNumber'],
      `${bgp.asNumber} is a valid 4-byte AS number, but the crd.projectcalico.org CRDs of most Calico releases declare asNumber as int32 and ` +
        `the API server refuses values above ${INT32_MAX}: check your release accepts it, or pick a private AS from 64512-65534`,
      [
        { title: 'projectcalico/calico#13494', url: 'https://github.com/projectcalico/calico/issues/13494' },
        { title: 'projectcalico/calico#13979', url: 'https://github.com/projectcalico/calico/pull/13979' },
      ],
    );
  }
  const rr = bgp?.routeReflectors;
  if (rr) {
    if (rr.nodeSelector.trim() === '')
      err(
        ['bgp', 'routeReflectors', 'nodeSelector'],
        "must select the reflector nodes, e.g. route-reflector == 'true': an empty selector leaves every node without a peer once the mesh is off",
      );
    if (rr.nodes !== undefined && rr.nodes.length < 2) {
      warn(
        ['bgp', 'routeReflectors', 'nodes'],
        `lists ${rr.nodes.length} reflector${rr.nodes.length === 1 ? '' : 's'}: with one, its restart stops route exchange for the whole ` +
          `cluster; run at least two, on different switches`,
        [REFERENCES.calicoBgp],
      );
    }
  }
  return out;
}
