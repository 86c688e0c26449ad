/**
 * How the property tests run: one fixed seed, so a failure in CI reproduces anywhere (fast-check
 * prints the seed and path of a failing run; NETSCALE_PROPERTY_SEED=<seed> replays it), a random
 * seed only when asked (NETSCALE_PROPERTY_SEED=random, printed), and few cases by default with
 * many under `npm run test:props` (NETSCALE_PROPERTIES=thorough).
 */
import fc from 'fast-check';

export const DEFAULT_PROPERTY_SEED = 20261130;

function seedFromEnvironment(): number {
  const asked = process.env.NETSCALE_PROPERTY_SEED;
  if (asked === undefined || asked === '') return DEFAULT_PROPERTY_SEED;
  if (asked === 'random') {
    const seed = Math.floor(Math.random() * 0x7fffffff);
    process.stderr.write(`property tests: random seed ${seed} (replay with NETSCALE_PROPERTY_SEED=${seed})\n`);
    return seed;
  }
  const seed = Number(asked);
  if (!Number.isSafeInteger(seed)) throw new Error(`NETSCALE_PROPERTY_SEED must be an integer or "random" (got ${JSON.stringify(asked)})`);
  return seed;
}

export const PROPERTY_SEED = seedFromEnvironment();
export const THOROUGH = process.env.NETSCALE_PROPERTIES === 'thorough';

fc.configureGlobal({ seed: PROPERTY_SEED });

/** Cases of one property: `quick` in `npm test`, `thorough` under `npm run test:props`. */
export function runs(quick: number, thorough: number): number {
  return THOROUGH ? thorough : quick;
}

/** Time a property may take: thorough runs are several times longer. */
export function budget(quickMs: number): number {
  return THOROUGH ? quickMs * 10 : quickMs;
}
