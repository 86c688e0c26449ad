/** netscale's command line called in process, its output captured: what a user sees, without spawning node. */
import { main } from '../../lib/cli/main';

export interface CliRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunOptions {
  /** Environment of the run; nothing is taken from the test's own environment. */
  readonly env?: Record<string, string>;
  /** Standard input, for import. */
  readonly stdin?: string;
  /** Pretend stderr is a terminal. */
  readonly tty?: boolean;
}

/** Run `netscale ...argv`; the render cache is off unless the env names one. */
export async function runCli(argv: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const status = await main(
    argv,
    { NETSCALE_RENDER_CACHE: 'off', ...options.env },
    {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t), isTTY: options.tty ?? false },
      readStdin: () => options.stdin ?? '',
    },
  );
  return { status, stdout, stderr };
}
