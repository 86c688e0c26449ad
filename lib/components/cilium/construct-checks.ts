/** The checks every Cilium construct runs on its version and values before rendering. */
import { CiliumValues, parseCiliumVersion, supported } from './facts';

/** Throws unless `version` is an exact chart version the values were made for (1.13.0 or newer). */
export function checkChartVersion(construct: string, version: string): void {
  const v = parseCiliumVersion(version);
  if (!v || !supported(v)) {
    throw new Error(
      `${construct} version must be an exact Cilium chart version of 1.13.0 or newer, such as 1.13.4 or 1.18.12 ` +
        `(got ${JSON.stringify(version)}): values differ between releases`,
    );
  }
}

export function checkChartValues(construct: string, values: CiliumValues): void {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new Error(`${construct} values must be a map of chart values, e.g. ciliumValues(spec).values (got ${JSON.stringify(values)})`);
  }
}
