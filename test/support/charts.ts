/**
 * Charts for construct tests. They are synthesized in memory (`Testing.synth`), so their app needs
 * no output folder: cdk8s's `testApp()` and `testChart()` create an empty temporary folder
 * on every call and never remove it, thousands per run of the suite.
 */
import * as os from 'os';
import * as path from 'path';
import { App, Chart } from 'cdk8s';

/** Named, never created: nothing in these tests calls `app.synth()`. */
const UNWRITTEN_OUTDIR = path.join(os.tmpdir(), 'netscale-tests-unwritten');

export function testApp(): App {
  return new App({ outdir: UNWRITTEN_OUTDIR });
}

export function testChart(): Chart {
  return new Chart(testApp(), 'test');
}
