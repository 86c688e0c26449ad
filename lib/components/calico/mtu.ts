/** Tunnel MTUs derived from the underlay, as Calico's MTU guide gives them. */
import { Cidr, parseCidr } from '../../core/cidr';
import { Decision } from '../../core/decision';
import type { CalicoIpPoolProps, CalicoNetworkProps } from './calico-network';
import { REFERENCES } from '../../core/references';

export type TunnelEncapsulation = 'ipip' | 'vxlan' | 'wireguard' | 'none';

/**
 * Bytes each encapsulation adds (Calico's MTU guide): IP-in-IP 20, VXLAN 50 over IPv4 and 70
 * over IPv6, WireGuard 60 over IPv4 and 80 over IPv6. Calico carries no IPv6 in IP-in-IP.
 */
export const TUNNEL_OVERHEAD: Readonly<Record<TunnelEncapsulation, Readonly<{ 4: number; 6?: number }>>> = {
  ipip: { 4: 20 },
  vxlan: { 4: 50, 6: 70 },
  wireguard: { 4: 60, 6: 80 },
  none: { 4: 0, 6: 0 },
};

export interface TunnelMtu {
  readonly value: number;
  readonly decision: Decision<number>;
}

/** The tunnel device MTU: the underlay MTU less the encapsulation's header (1500 -> 1480 for IP-in-IP). */
export function tunnelMtu(underlayMtu: number, encapsulation: TunnelEncapsulation, ipFamily: 4 | 6 = 4): TunnelMtu {
  if (!Number.isInteger(underlayMtu) || underlayMtu < 1)
    throw new Error(`tunnelMtu: underlayMtu must be a whole number of bytes (got ${underlayMtu})`);
  const overhead = TUNNEL_OVERHEAD[encapsulation][ipFamily];
  if (overhead === undefined) throw new Error(`tunnelMtu: ${encapsulation} does not carry IPv${ipFamily} traffic in Calico; use vxlan or wireguard`);
  const value = underlayMtu - overhead;
  const label =
    encapsulation === 'none'
      ? 'no encapsulation'
      : `${encapsulation === 'ipip' ? 'IP-in-IP' : encapsulation === 'vxlan' ? 'VXLAN' : 'WireGuard'} over IPv${ipFamily}`;
  return {
    value,
    decision: {
      name: `${encapsulation} MTU${ipFamily === 6 ? ' (IPv6)' : ''}`,
      value,
      rule: `${underlayMtu} - ${overhead} (${label}) = ${value}`,
      source: [REFERENCES.calicoMtu],
      capacity: true,
    },
  };
}

/**
 * The FelixConfiguration MTU fields for the encapsulations the pools use, each derived from the
 * underlay MTU, with the decisions that explain them. Without an underlay MTU no MTU field is set:
 * Felix's own default is 0, which it replaces with the host interface's MTU less the same overhead
 * (felix/config/config_params.go `IpInIpMtu`, `VXLANMTU`, `WireguardMTU` default 0;
 * felix/dataplane/linux/int_dataplane.go ConfigureDefaultMTUs), so the review says "auto". Pure:
 * the review and the construct share it.
 */
export function calicoTunnelMtus(props: Pick<CalicoNetworkProps, 'ipPools' | 'mtu' | 'wireguard'>): {
  felix: Partial<Record<'ipipMtu' | 'vxlanMtu' | 'vxlanMtuv6' | 'wireguardMtu' | 'wireguardMtuv6', number>> & {
    wireguardEnabled?: boolean;
    wireguardEnabledV6?: boolean;
  };
  decisions: Decision[];
} {
  const mtu = props.mtu;
  const pools = (props.ipPools ?? [])
    .map((p) => ({ props: p, cidr: parseCidr(p.cidr) }))
    .filter((p): p is { props: CalicoIpPoolProps; cidr: { ok: true; cidr: Cidr } } => p.cidr.ok);
  const decisions: Decision[] = [];
  const felix: ReturnType<typeof calicoTunnelMtus>['felix'] = {};
  const derive = (encapsulation: TunnelEncapsulation, family: 4 | 6): number | undefined => {
    if (mtu === undefined) {
      decisions.push(autoTunnelMtu(encapsulation, family));
      return undefined;
    }
    const t = tunnelMtu(mtu, encapsulation, family);
    decisions.push(t.decision);
    return t.value;
  };
  // Disabled pools count: their pods keep their addresses and still use the tunnel.
  const uses = (mode: 'ipipMode' | 'vxlanMode', family: 4 | 6) =>
    pools.some((p) => p.cidr.cidr.family === family && (p.props[mode] ?? 'Never') !== 'Never');
  const set = (field: 'ipipMtu' | 'vxlanMtu' | 'vxlanMtuv6' | 'wireguardMtu' | 'wireguardMtuv6', value: number | undefined) => {
    if (value !== undefined) felix[field] = value;
  };
  if (uses('ipipMode', 4)) set('ipipMtu', derive('ipip', 4));
  if (uses('vxlanMode', 4)) set('vxlanMtu', derive('vxlan', 4));
  if (uses('vxlanMode', 6)) set('vxlanMtuv6', derive('vxlan', 6));
  if (props.wireguard) {
    const families = new Set(pools.map((p) => p.cidr.cidr.family));
    if (families.has(4)) {
      felix.wireguardEnabled = true;
      set('wireguardMtu', derive('wireguard', 4));
    }
    if (families.has(6)) {
      felix.wireguardEnabledV6 = true;
      set('wireguardMtuv6', derive('wireguard', 6));
    }
  }
  return { felix, decisions };
}

/** The decision for a tunnel whose MTU Felix derives from the host. */
function autoTunnelMtu(encapsulation: TunnelEncapsulation, family: 4 | 6): Decision<string> {
  const overhead = TUNNEL_OVERHEAD[encapsulation][family];
  return {
    name: `${encapsulation} MTU${family === 6 ? ' (IPv6)' : ''}`,
    value: 'auto',
    rule: `calico.mtu not set: Felix takes the host interface's MTU and subtracts ${overhead} bytes itself (1500 gives ${1500 - (overhead ?? 0)})`,
    source: [REFERENCES.felixDataplane],
    capacity: true,
  };
}
