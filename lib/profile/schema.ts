/**
 * The ClusterProfile contract, in one place.
 *
 * TypeScript types are inferred from this schema, the editor JSON Schema in `schema/` is generated
 * from it, and the README's field reference is generated from that. Defaults that depend on other
 * fields (the platform, the CNI, the node count) are applied by `resolve.ts`, which records why;
 * `default` here is documentation for editors and the README.
 */
import { z } from 'zod';

export const API_VERSION = 'netscale.dev/v1alpha1';
export const KIND = 'ClusterProfile';

export const PLATFORMS = ['ack', 'kubeadm', 'k3s'] as const;
export const CNIS = ['terway', 'calico', 'cilium'] as const;
export const NETWORK_POLICY_MODES = ['relay', 'direct', 'disabled'] as const;

/** Attach the description (and, for documentation only, the default) an editor shows. */
function doc<T extends z.ZodType>(schema: T, description: string, defaultValue?: unknown): T {
  return schema.meta(defaultValue === undefined ? { description } : { description, default: defaultValue }) as T;
}

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a DNS label: lowercase letters, digits and "-", at most 63 characters, starting and ending with a letter or digit');

const dnsSubdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS subdomain: lowercase letters, digits, "-" and "."');

/** CIDRs are checked for shape here and for meaning (host bits, overlaps) in rules.ts. */
const cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'must be a CIDR such as 10.0.0.0/16');

const quantity = z
  .string()
  .regex(/^([0-9]+(\.[0-9]+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, 'must be a Kubernetes quantity such as 250m, 1, 512Mi or 2Gi');

const image = z
  .string()
  .regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/, 'must be a pinned image reference: registry/repository:tag or @sha256 digest')
  .refine((ref) => !/:latest$/.test(ref), 'must not use the tag "latest": pin a version');

const vswitchId = z.string().regex(/^vsw-[a-z0-9]+$/, 'must be a vSwitch id such as vsw-uf6f3kzjv1rh8j7z1bp0a');
const securityGroupId = z.string().regex(/^sg-[a-z0-9]+$/, 'must be a security group id such as sg-uf6bxk4v6mj2cq1a4tkd');
const zoneId = z.string().regex(/^[a-z]{2}-[a-z0-9-]+$/, 'must be an Alibaba Cloud zone id such as cn-shanghai-f');

export const typhaSchema = z
  .strictObject({
    replicas: doc(z.int().min(1), 'Explicit replica count. Overrides the sizing rule and passes the same checks (fewer than nodes, at most maxReplicas).').optional(),
    nodesPerReplica: doc(z.int().min(1), 'Nodes one Typha replica serves in the sizing rule.', 200).optional(),
    minReplicas: doc(z.int().min(1), 'Fewest replicas the sizing rule gives.', 3).optional(),
    maxReplicas: doc(z.int().min(1), 'Most replicas the sizing rule gives; a capped result is warned about.', 20).optional(),
    namespace: doc(dnsLabel, 'Namespace of the Typha objects. Felix looks Typha up in kube-system.', 'kube-system').optional(),
    image: doc(image, 'Typha image, pinned. ACK: registry-vpc.<region>.aliyuncs.com/acs/typha:v3.5.8; elsewhere the upstream Calico image.').optional(),
    serviceAccountName: doc(dnsSubdomain, 'Service account Typha runs as. ACK: terway (reused); elsewhere calico-typha, created with its RBAC.').optional(),
    bgpPeerCrd: doc(z.boolean(), 'Emit the bgppeers.crd.projectcalico.org CRD Typha watches (Terway\'s chart lacks it). Default: true on ACK, false elsewhere.').optional(),
    logSeverity: doc(z.enum(['debug', 'info', 'warning', 'error', 'fatal']), 'TYPHA_LOGSEVERITYSCREEN.', 'info').optional(),
    shutdownTimeoutSeconds: doc(z.int().min(1).max(3600), 'TYPHA_SHUTDOWNTIMEOUTSECS: how long Typha takes to move its Felix connections away before it exits.', 300).optional(),
    resources: doc(
      z.strictObject({
        cpu: doc(quantity, 'CPU request.', '250m').optional(),
        memory: doc(quantity, 'Memory request.', '256Mi').optional(),
      }),
      'Resource requests of the Typha container.',
    ).optional(),
    tls: doc(
      z.strictObject({
        secretName: doc(dnsSubdomain, 'Secret holding the Typha server certificate and key (keys tls.crt and tls.key).'),
        caConfigMapName: doc(dnsSubdomain, 'ConfigMap holding the CA bundle that signed the Felix client certificates (key ca.crt).'),
        clientCommonName: doc(z.string().min(1), 'TYPHA_CLIENTCN: the common name a Felix client certificate must carry.').optional(),
        clientUriSan: doc(z.string().min(1), 'TYPHA_CLIENTURISAN: the URI SAN a Felix client certificate must carry.').optional(),
      }),
      'Mutual TLS between Felix and Typha. Certificates stay in the cluster; only their names appear here.',
    ).optional(),
  })
  .meta({ description: 'Calico Typha relay between Felix agents and the API server (seeds 000/001).' });

export const terwaySchema = z
  .strictObject({
    mode: doc(z.enum(['patch', 'full']), 'patch: own only felix_relay_service and disable_network_policy, by server-side apply. full: render the whole eni-config. Default: full when eni_conf fields are given, else patch.').optional(),
    vswitches: doc(z.record(zoneId, z.array(vswitchId).min(1, 'must list at least one vSwitch')), 'Zone to pod vSwitch ids (eni_conf.vswitches). Add vSwitches of the same zone to expand (seed 003).').optional(),
    securityGroups: doc(z.array(securityGroupId).min(1).max(10, 'must list at most 10 security groups (Terway\'s limit)'), 'Security groups of the ENIs (eni_conf.security_group or security_groups), at most 10.').optional(),
    serviceCidr: doc(cidr, 'Service CIDR of the cluster (eni_conf.service_cidr).').optional(),
    pool: doc(
      z.strictObject({
        min: doc(z.int().min(0), 'min_pool_size: idle pod IPs a node keeps ready.', 0).optional(),
        max: doc(z.int().min(0), 'max_pool_size: idle pod IPs above which a node releases them.', 5).optional(),
      }),
      'IP pool watermarks per node (seed 003 uses 20 and 80).',
    ).optional(),
    vswitchSelectionPolicy: doc(z.enum(['ordered', 'random']), 'eni_conf.vswitch_selection_policy: ordered uses the vSwitch with the most free addresses first.', 'ordered').optional(),
    eniTags: doc(z.record(z.string().min(1), z.string()), 'eni_conf.eni_tags: tags put on the ENIs Terway creates.').optional(),
    credentialPath: doc(z.string().startsWith('/'), 'eni_conf.credential_path: where Terway reads its RAM credentials on the node.', '/var/addon/token-config').optional(),
    ipStack: doc(z.enum(['ipv4', 'dual'], 'must be ipv4 or dual: Terway does not run IPv6-only'), 'eni_conf.ip_stack: ipv4 or dual (Terway does not run IPv6-only).', 'ipv4').optional(),
    eniConf: doc(z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be an eni_conf key in snake_case'), z.unknown()), 'Other eni_conf keys Terway knows, passed through as given (e.g. enable_eni_trunking).').optional(),
    cniConf: doc(z.record(z.string(), z.unknown()), '10-terway.conf content.', { cniVersion: '0.3.0', name: 'terway', type: 'terway' }).optional(),
    inClusterLoadBalance: doc(z.boolean(), 'in_cluster_loadbalance key (full mode only).').optional(),
    vswitchCidrs: doc(z.record(vswitchId, cidr), 'vSwitch id to its CIDR, to check IP capacity per zone (seed 003).').optional(),
    nodesPerZone: doc(z.record(zoneId, z.int().min(0)), 'Nodes in each zone for the capacity check. Default: nodes spread evenly over the zones of vswitches.').optional(),
  })
  .meta({ description: 'Terway eni-config (seeds 000/001/003). ACK with cni terway only.' });

export const specSchema = z.strictObject({
  platform: doc(z.enum(PLATFORMS), 'Where the cluster runs: ack (Alibaba Cloud ACK), kubeadm or k3s.'),
  cni: doc(z.enum(CNIS), 'The CNI: terway (ack only), calico or cilium.'),
  kubernetesVersion: doc(
    z.string().regex(/^1\.[0-9]{1,2}(\.[0-9]{1,3})?$/, 'must be a Kubernetes version such as "1.27" or "1.27.3" (quote it: 1.30 unquoted is the number 1.3)'),
    'Kubernetes minor version, quoted, e.g. "1.27".',
  ),
  nodes: doc(z.int().min(1).max(100000), 'Nodes now or planned: the sizing rules scale with it.'),
  cpuPerNode: doc(z.int().min(1).max(1024), 'CPU cores per node (conntrack sizing).').optional(),
  maxPodsPerNode: doc(z.int().min(1).max(1024), 'Most pods a node runs (IP capacity check).').optional(),
  region: doc(z.string().regex(/^[a-z]{2}-[a-z0-9-]+$/, 'must be an Alibaba Cloud region id such as cn-shanghai'), 'Alibaba Cloud region id; ack only (required there).').optional(),
  networkPolicy: doc(z.enum(NETWORK_POLICY_MODES), 'relay: Felix talks to the API server through Typha. direct: every Felix watches the API server. disabled: NetworkPolicy off (Terway).', 'direct').optional(),
  typha: typhaSchema.optional(),
  terway: terwaySchema.optional(),
});

export const clusterProfileSchema = z
  .strictObject({
    apiVersion: doc(z.literal(API_VERSION), 'Always netscale.dev/v1alpha1.'),
    kind: doc(z.literal(KIND), 'Always ClusterProfile.'),
    metadata: z.strictObject({
      name: doc(dnsLabel, 'Cluster name: names the chart, its output folder dist/<name>/ and its review.'),
      labels: doc(z.record(z.string(), z.string()), 'Free-form labels, not rendered.').optional(),
    }),
    spec: specSchema,
  })
  .meta({ title: 'netscale ClusterProfile', description: 'One cluster\'s network tuning, rendered by netscale into dist/<name>/.' });

export type ClusterProfile = z.infer<typeof clusterProfileSchema>;
export type ClusterSpec = ClusterProfile['spec'];
export type TyphaSpec = NonNullable<ClusterSpec['typha']>;
export type TerwaySpec = NonNullable<ClusterSpec['terway']>;
export type Platform = ClusterSpec['platform'];
export type Cni = ClusterSpec['cni'];
export type NetworkPolicyMode = NonNullable<ClusterSpec['networkPolicy']>;

/** The editor schema (JSON Schema draft-07) written to schema/clusterprofile.schema.json. */
export function profileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(clusterProfileSchema, { target: 'draft-7' }) as Record<string, unknown>;
}
