/**
 * The ClusterProfile contract: the cluster-wide fields here, each component's section from its own
 * schema file, in one document schema.
 *
 * TypeScript types are inferred from this schema, the editor JSON Schema in `schema/` is generated
 * from it, and the README's field reference is generated from that. Defaults that depend on other
 * fields (the platform, the CNI, the node count) are applied by the resolve step, which records
 * why; `default` here is documentation for editors and the README, taken from the same constants.
 */
import { z } from 'zod';
import { CNIS, NETWORK_POLICY_MODES, PLATFORMS } from '../core/cluster';
import { cidr, dnsLabel, doc } from '../core/zod-fields';
import { calicoSchema } from '../components/calico/schema';
import { ciliumSchema } from '../components/cilium/schema';
import { kubeProxySchema } from '../components/kube-proxy/schema';
import { monitoringSchema } from '../components/monitoring/schema';
import type { ComponentKey } from '../components/registry';
import { terwaySchema } from '../components/terway/schema';
import { typhaSchema } from '../components/typha/schema';
import { argocdSchema } from './argocd-schema';

export const API_VERSION = 'netscale.dev/v1alpha1';
export const KIND = 'ClusterProfile';

/** Each registered component's section, under the spec field of its key. */
const SECTIONS = {
  typha: typhaSchema.optional(),
  terway: terwaySchema.optional(),
  kubeProxy: kubeProxySchema.optional(),
  calico: calicoSchema.optional(),
  cilium: ciliumSchema.optional(),
  monitoring: monitoringSchema.optional(),
} satisfies Record<ComponentKey, z.ZodType>;

export const specSchema = z.strictObject({
  platform: doc(z.enum(PLATFORMS), 'Where the cluster runs: ack (Alibaba Cloud ACK), kubeadm or k3s.'),
  cni: doc(z.enum(CNIS), 'The CNI: terway (ack only), calico or cilium.'),
  kubernetesVersion: doc(
    z
      .string()
      .regex(/^1\.[0-9]{1,2}(\.[0-9]{1,3})?$/, 'must be a Kubernetes version such as "1.27" or "1.27.3" (quote it: 1.30 unquoted is the number 1.3)'),
    'Kubernetes minor version, quoted, e.g. "1.27".',
  ),
  nodes: doc(z.int().min(1).max(100000), 'Nodes now or planned: the sizing rules scale with it.'),
  cpuPerNode: doc(z.int().min(1).max(1024), 'CPU cores per node (conntrack sizing).').optional(),
  maxPodsPerNode: doc(z.int().min(1).max(1024), 'Most pods a node runs (IP capacity check).').optional(),
  region: doc(
    z.string().regex(/^[a-z]{2}-[a-z0-9-]+$/, 'must be an Alibaba Cloud region id such as cn-shanghai'),
    'Alibaba Cloud region id; ack only (required there).',
  ).optional(),
  networkPolicy: doc(
    z.enum(NETWORK_POLICY_MODES),
    'relay: Felix talks to the API server through Typha. direct: every Felix watches the API server. disabled: NetworkPolicy off (Terway).',
    'direct',
  ).optional(),
  serviceCidr: doc(cidr, "Service CIDR of the cluster (overlap checks; Terway's eni_conf.service_cidr by default).").optional(),
  nodeCidr: doc(
    cidr,
    "The nodes' own network (the range of their InternalIPs), e.g. 192.168.0.0/24: checked against ranges that would leave traffic to it " +
      'unmasqueraded.',
  ).optional(),
  nodeKernel: doc(
    z.string().regex(/^\d+\.\d+(\.\d+)?([-+.~][0-9A-Za-z._+~-]*)?$/, 'must be a Linux kernel version such as 5.15 or 5.15.0-105-generic'),
    'Oldest Linux kernel on the nodes (`kubectl get nodes -o custom-columns=NAME:.metadata.name,KERNEL:.status.nodeInfo.kernelVersion`): ' +
      "kube-proxy's nftables mode needs 5.13. Default: not known, and the review asks to check it.",
  ).optional(),
  ...SECTIONS,
  argocd: argocdSchema.optional(),
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
  .meta({ title: 'netscale ClusterProfile', description: "One cluster's network tuning, rendered by netscale into dist/<name>/." });

export type ClusterProfile = z.infer<typeof clusterProfileSchema>;
export type ClusterSpec = ClusterProfile['spec'];

/** The editor schema (JSON Schema draft-07) written to schema/clusterprofile.schema.json. */
export function profileJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(clusterProfileSchema, { target: 'draft-7' }) as Record<string, unknown>;
}
