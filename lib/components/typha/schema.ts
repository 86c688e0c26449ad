/** The `spec.typha` section of a ClusterProfile. Its defaults are the construct's and the sizing rule's. */
import { z } from 'zod';
import { doc, dnsSubdomain, image, quantity } from '../../core/zod-fields';
import { TYPHA_AUTOSCALER_IMAGE, TYPHA_DEFAULTS, TYPHA_RELAY_DEFAULTS } from './facts';

export const typhaSchema = z
  .strictObject({
    replicas: doc(
      z.int().min(1),
      'Explicit replica count. Overrides the sizing rule and passes the same checks (fewer than nodes, at most maxReplicas).',
    ).optional(),
    nodesPerReplica: doc(z.int().min(1), 'Nodes one Typha replica serves in the sizing rule.', TYPHA_DEFAULTS.nodesPerReplica).optional(),
    minReplicas: doc(z.int().min(1), 'Fewest replicas the sizing rule gives.', TYPHA_DEFAULTS.minReplicas).optional(),
    maxReplicas: doc(z.int().min(1), 'Most replicas the sizing rule gives; a capped result is warned about.', TYPHA_DEFAULTS.maxReplicas).optional(),
    image: doc(
      image,
      'Typha image, pinned. ACK: registry-vpc.<region>.aliyuncs.com/acs/typha:v3.5.8; elsewhere the upstream Calico image.',
    ).optional(),
    serviceAccountName: doc(
      dnsSubdomain,
      "Service account Typha runs as. Calico manifest installs: calico-node (reused, as Calico's manifests do); ACK with Terway: terway " +
        '(reused); elsewhere calico-typha, created with the RBAC of the Typha release.',
    ).optional(),
    bgpPeerCrd: doc(
      z.boolean(),
      "Emit the bgppeers.crd.projectcalico.org CRD Typha watches (Terway's chart lacks it). Default: true on ACK with Terway, false elsewhere.",
    ).optional(),
    logSeverity: doc(z.enum(['debug', 'info', 'warning', 'error', 'fatal']), 'TYPHA_LOGSEVERITYSCREEN.', TYPHA_RELAY_DEFAULTS.logSeverity).optional(),
    shutdownTimeoutSeconds: doc(
      z.int().min(1).max(3600),
      "TYPHA_SHUTDOWNTIMEOUTSECS: how long Typha takes to move its Felix connections away before it exits (Typha 3.25 and newer; ACK's v3.5.8 " +
        'ignores it).',
      TYPHA_RELAY_DEFAULTS.shutdownTimeoutSeconds,
    ).optional(),
    resources: doc(
      z.strictObject({
        cpu: doc(quantity, 'CPU request.', TYPHA_RELAY_DEFAULTS.cpuRequest).optional(),
        memory: doc(quantity, 'Memory request.', TYPHA_RELAY_DEFAULTS.memoryRequest).optional(),
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
    autoscale: doc(
      z.boolean(),
      'Let the cluster-proportional-autoscaler follow the live node count with the sizing rule (a ladder from nodesPerReplica, minReplicas ' +
        "and maxReplicas); Typha starts at the rule's count for spec.nodes and the autoscaler owns replicas after that. Not with replicas.",
      false,
    ).optional(),
    autoscalerImage: doc(
      image,
      'cluster-proportional-autoscaler image, pinned (with autoscale). On ACK in mainland China, a mirror the VPC reaches.',
      TYPHA_AUTOSCALER_IMAGE,
    ).optional(),
  })
  .meta({ description: 'Calico Typha relay between Felix agents and the API server.' });

export type TyphaSpec = z.infer<typeof typhaSchema>;
