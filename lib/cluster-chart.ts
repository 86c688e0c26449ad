import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { ResolvedCluster } from './resolve';
import { TerwayEniConfig } from './terway-eni-config';
import { TyphaRelay } from './typha-relay';

export interface ClusterChartProps {
  /** The resolved profile: every number already decided, see `resolveProfile`. */
  readonly cluster: ResolvedCluster;
}

/** One cluster's objects; synthesized into `dist/<cluster>/`, one object per file. */
export class ClusterChart extends Chart {
  public readonly cluster: ResolvedCluster;

  constructor(scope: Construct, props: ClusterChartProps) {
    super(scope, props.cluster.name, { disableResourceNameHashes: true });
    this.cluster = props.cluster;
    const { typha, terway } = props.cluster;
    if (typha) new TyphaRelay(this, 'TyphaRelay', typha);
    if (terway) new TerwayEniConfig(this, 'TerwayEniConfig', terway);
  }
}
