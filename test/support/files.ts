/** File-tree helpers for tests that synthesize into temporary folders. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Every file below `dir` with its text, keyed by relative path; empty when `dir` is missing. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

/** A fresh temporary folder per test, removed after it; read `.path` inside the test. */
export function tempDirPerTest(prefix: string): { path: string } {
  const holder = { path: '' };
  beforeEach(() => {
    holder.path = fs.mkdtempSync(path.join(os.tmpdir(), `netscale-${prefix}-`));
  });
  afterEach(() => fs.rmSync(holder.path, { recursive: true, force: true }));
  return holder;
}
