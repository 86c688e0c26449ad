import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { setOwnership } from '../../core/rollout';

/**
 * The `bgppeers.crd.projectcalico.org` CRD, `apiextensions.k8s.io/v1` with a structural schema.
 * Typha v3.5 watches BGPPeers and fails without the CRD; Terway's chart does not ship it.
 */
export class BgpPeerCrd extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const str = { type: 'string' };
    const int = { type: 'integer', format: 'int32' };
    const crd = new k8s.KubeCustomResourceDefinition(this, 'Resource', {
      metadata: {
        name: 'bgppeers.crd.projectcalico.org',
        labels: { 'app.kubernetes.io/managed-by': 'netscale' },
      },
      spec: {
        group: 'crd.projectcalico.org',
        scope: 'Cluster',
        names: { kind: 'BGPPeer', listKind: 'BGPPeerList', plural: 'bgppeers', singular: 'bgppeer' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openApiv3Schema: {
                type: 'object',
                properties: {
                  apiVersion: str,
                  kind: str,
                  metadata: { type: 'object' },
                  spec: {
                    type: 'object',
                    properties: {
                      asNumber: int,
                      keepOriginalNextHop: { type: 'boolean' },
                      node: str,
                      nodeSelector: str,
                      peerIP: str,
                      peerSelector: str,
                      sourceAddress: str,
                      maxRestartTime: str,
                    },
                    // Newer Calico releases add peer fields; keep them rather than prune them.
                    xKubernetesPreserveUnknownFields: true,
                  },
                },
              },
            },
          },
        ],
      },
    });
    // Deleting a CRD deletes every object of its kind: no sync may prune it.
    setOwnership(crd, 'kept');
  }
}
