/**
 * The reference folder CI places beside the clone (`../shared`): CRD schemas, the Cilium charts,
 * Helm and promtool. Under CI=true a test that needs it fails when it is missing; elsewhere it is
 * skipped, and says so.
 */
import * as fs from 'fs';
import * as path from 'path';

/** `$NETSCALE_SHARED`, or `../shared` beside the repository. */
export const SHARED_DIR = process.env.NETSCALE_SHARED ?? path.resolve(__dirname, '..', '..', '..', 'shared');

/** Path of `rel` inside the shared folder. */
export function sharedPath(...rel: string[]): string {
  return path.join(SHARED_DIR, ...rel);
}

/**
 * `describe` when `rel` exists in the shared folder, `describe.skip` (with a notice) when it does
 * not; throws under CI=true, where skipping would hide that the test never ran.
 */
export function describeWithShared(rel: string): jest.Describe {
  const where = sharedPath(rel);
  if (fs.existsSync(where)) return describe;
  if (process.env.CI === 'true')
    throw new Error(`${where} is missing: CI must run the tests that need ../shared (set NETSCALE_SHARED or place shared/ beside the clone)`);
  process.stderr.write(`skipped: ${where} is missing (tests that need ../shared run in CI)\n`);
  return describe.skip;
}
