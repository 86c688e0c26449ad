#!/usr/bin/env node
/**
 * Runs main.ts from a bundle cached in node_modules/.cache/netscale/ (or $NETSCALE_CACHE_DIR),
 * keyed by the hash of the sources: compiling TypeScript at every start costs more than
 * synthesizing a small fleet. Same behaviour as `node --import tsx main.ts`, which the tests use.
 *
 * The cache is never trusted: a bundle ends with the SHA-256 of its own content and is used only
 * if it matches, so a truncated, empty or foreign file is rebuilt. It is written to a temporary
 * name and renamed into place. A cache that cannot be written is skipped: the bundle built in
 * memory runs all the same.
 */
'use strict';
// A synth keeps little (each cluster's facts) and discards much (each cluster's cdk8s App): let the
// heap grow at most half over what is live after a full collection, instead of V8's default of up
// to four times. At 10,000 clusters this holds peak memory near 380 MiB instead of 490 MiB, at no
// measurable cost in time (README, Performance). Worker threads start through this file too.
require('v8').setFlagsFromString('--heap-growing-percent=50');
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');

const root = path.join(__dirname, '..');
const cacheDir = process.env.NETSCALE_CACHE_DIR || path.join(root, 'node_modules', '.cache', 'netscale');
const TRAILER = '\n//# netscale-bundle sha256=';

function sources() {
  const files = ['main.ts', 'package-lock.json'];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.ts')) files.push(rel);
    }
  };
  walk('lib');
  walk('imports');
  return files.sort();
}

function sourceHash() {
  const hash = crypto.createHash('sha256');
  for (const file of sources())
    hash
      .update(file)
      .update('\0')
      .update(fs.readFileSync(path.join(root, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 16);
}

const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');

/** The bundle's code if the file is whole: its trailer holds the hash of everything before it. */
function readVerified(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const at = text.lastIndexOf(TRAILER);
  if (at === -1) return undefined;
  const code = text.slice(0, at);
  return text.slice(at + TRAILER.length) === `${sha256(code)}\n` ? code : undefined;
}

function build() {
  const result = require('esbuild').buildSync({
    entryPoints: [path.join(root, 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    logLevel: 'error',
  });
  return result.outputFiles[0].text;
}

/** Create the folder one level at a time: a recursive mkdir spins on some paths (/proc). */
function makeFolder(dir) {
  if (fs.existsSync(dir)) return;
  const parent = path.dirname(dir);
  if (parent !== dir) makeFolder(parent);
  fs.mkdirSync(dir);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Cache the verified bundle atomically; bundles of other sources and dead runs' leftovers go. */
function writeCache(file, code) {
  makeFolder(cacheDir);
  for (const old of fs.readdirSync(cacheDir)) {
    const partial = /^main-[0-9a-f]+\.js\.(\d+)\.tmp$/.exec(old);
    const stale = partial ? !isAlive(Number(partial[1])) : /^main-[0-9a-f]+\.js$/.test(old) && old !== path.basename(file);
    if (stale) fs.rmSync(path.join(cacheDir, old), { force: true });
  }
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, `${code}${TRAILER}${sha256(code)}\n`);
  fs.renameSync(partial, file);
}

function run(code, filename) {
  const m = new Module(filename, module);
  m.filename = filename;
  // Resolve whatever the bundle leaves to require from the project, wherever the cache lives.
  m.paths = Module._nodeModulePaths(root);
  m._compile(code, filename);
}

const sourcesHash = sourceHash();
const bundle = path.join(cacheDir, `main-${sourcesHash}.js`);
let code = readVerified(bundle);
if (code === undefined) {
  code = build();
  try {
    writeCache(bundle, code);
  } catch (e) {
    if (process.env.NETSCALE_DEBUG)
      process.stderr.write(`netscale: the bundle cache in ${cacheDir} cannot be written (${e.message}); running without it\n`);
  }
}
// What the bundle needs to know of its launcher (lib/output/version.ts): worker threads of a large
// synth start through this file, and render only if they were built from the same sources.
globalThis[Symbol.for('netscale.launcher')] = { bin: module.filename, root, sources: sourcesHash };
run(code, bundle);
