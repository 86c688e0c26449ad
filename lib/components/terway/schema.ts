/** The `spec.terway` section of a ClusterProfile. */
import { z } from 'zod';
import { CREDENTIAL_ISSUE, CREDENTIAL_MESSAGE, isCredentialKey } from '../../core/credentials';
import { cidr, doc } from '../../core/zod-fields';
import {
  DEFAULT_CREDENTIAL_PATH,
  DEFAULT_IP_STACK,
  DEFAULT_MAX_POOL_SIZE,
  DEFAULT_MIN_POOL_SIZE,
  DEFAULT_TERWAY_DATAPATH,
  DEFAULT_VSWITCH_SELECTION_POLICY,
  TERWAY_DATAPATHS,
} from './facts';

const vswitchId = z.string().regex(/^vsw-[a-z0-9]+$/, 'must be a vSwitch id such as vsw-uf6f3kzjv1rh8j7z1bp0a');
const securityGroupId = z.string().regex(/^sg-[a-z0-9]+$/, 'must be a security group id such as sg-uf6bxk4v6mj2cq1a4tkd');
const zoneId = z.string().regex(/^[a-z]{2}-[a-z0-9-]+$/, 'must be an Alibaba Cloud zone id such as cn-shanghai-f');

export const terwaySchema = z
  .strictObject({
    datapath: doc(
      z.enum(TERWAY_DATAPATHS),
      "The datapath the cluster runs, Terway's eniip_virtual_type in 10-terway.conf. veth: Felix enforces NetworkPolicy, so the Typha relay " +
        'applies. ipvlan, datapathv2: Cilium enforces it and the relay does nothing. netscale never changes it. Default: eniip_virtual_type of ' +
        'baseCniConf, else veth.',
      DEFAULT_TERWAY_DATAPATH,
    ).optional(),
    mode: doc(
      z.enum(['patch', 'full']),
      'patch: own only felix_relay_service and disable_network_policy, by server-side apply. full: render the whole eni-config. Default: full ' +
        'when eni_conf fields are given, else patch.',
    ).optional(),
    vswitches: doc(
      z.record(zoneId, z.array(vswitchId).min(1, 'must list at least one vSwitch')),
      'Zone to pod vSwitch ids (eni_conf.vswitches). Add vSwitches of the same zone to expand.',
    ).optional(),
    securityGroups: doc(
      z.array(securityGroupId).min(1).max(10, "must list at most 10 security groups (Terway's limit)"),
      'Security groups of the ENIs (eni_conf.security_group or security_groups), at most 10.',
    ).optional(),
    serviceCidr: doc(cidr, 'Service CIDR of the cluster (eni_conf.service_cidr).').optional(),
    pool: doc(
      z.strictObject({
        min: doc(z.int().min(0), 'min_pool_size: idle pod IPs a node keeps ready.', DEFAULT_MIN_POOL_SIZE).optional(),
        max: doc(z.int().min(0), 'max_pool_size: idle pod IPs above which a node releases them.', DEFAULT_MAX_POOL_SIZE).optional(),
      }),
      'IP pool watermarks per node, e.g. 20 and 80 for a busy zone.',
    ).optional(),
    vswitchSelectionPolicy: doc(
      z.enum(['ordered', 'random']),
      "eni_conf.vswitch_selection_policy: how Terway picks among a zone's vSwitches. ordered: the one with the most free IPs first (current " +
        'Terway); random: any.',
      DEFAULT_VSWITCH_SELECTION_POLICY,
    ).optional(),
    eniTags: doc(z.record(z.string().min(1), z.string()), 'eni_conf.eni_tags: tags put on the ENIs Terway creates.').optional(),
    credentialPath: doc(
      z.string().startsWith('/'),
      'eni_conf.credential_path: where Terway reads its RAM credentials on the node.',
      DEFAULT_CREDENTIAL_PATH,
    ).optional(),
    ipStack: doc(
      z.enum(['ipv4', 'dual'], 'must be ipv4 or dual: Terway does not run IPv6-only'),
      'eni_conf.ip_stack: ipv4 or dual (Terway does not run IPv6-only).',
      DEFAULT_IP_STACK,
    ).optional(),
    eniConf: doc(
      z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be an eni_conf key in snake_case'), z.unknown()).superRefine((conf, ctx) => {
        for (const key of Object.keys(conf))
          if (isCredentialKey(key)) ctx.addIssue({ code: 'custom', path: [key], message: CREDENTIAL_MESSAGE, params: CREDENTIAL_ISSUE });
      }),
      'Other eni_conf keys Terway knows, passed through as given (e.g. enable_eni_trunking).',
    ).optional(),
    baseEniConf: doc(
      z.string().min(1),
      "The cluster's current eni_conf (JSON, from `kubectl -n kube-system get cm eni-config -o jsonpath='{.data.eni_conf}'`): its keys the " +
        'profile does not set are kept in full mode.',
    ).optional(),
    baseCniConf: doc(
      z.string().min(1),
      "The cluster's current 10-terway.conf (JSON, from `kubectl -n kube-system get cm eni-config -o jsonpath='{.data.10-terway\\.conf}'`): " +
        'full mode renders 10-terway.conf only from it, keeping every key.',
    ).optional(),
    cniConf: doc(z.record(z.string(), z.unknown()), '10-terway.conf keys to set over baseCniConf (needs baseCniConf).').optional(),
    inClusterLoadBalance: doc(z.boolean(), 'in_cluster_loadbalance key (full mode only).').optional(),
    vswitchCidrs: doc(z.record(vswitchId, cidr), 'vSwitch id to its CIDR, to check IP capacity per zone.').optional(),
    nodesPerZone: doc(
      z.record(zoneId, z.int().min(0)),
      'Nodes in each zone for the capacity check. Default: nodes spread evenly over the zones of vswitches.',
    ).optional(),
  })
  .meta({ description: 'Terway eni-config: the relay or NetworkPolicy switch, vSwitches and IP pool. ACK with cni terway only.' });

export type TerwaySpec = z.infer<typeof terwaySchema>;
