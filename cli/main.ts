import { pathToFileURL } from 'node:url';
import { UsageError } from './errors.js';

/** What every command module exports. */
export interface CommandModule {
  /** One line for `rekey --help`. */
  readonly summary: string;
  /** Full help for `rekey <command> --help`. */
  readonly help: string;
  /** Runs the command; resolves to the exit code (0 ok, 1 failure). Throws UsageError for bad arguments. */
  run(argv: string[]): Promise<number>;
}

/**
 * The commands, loaded only when used. Adding a command is one line here plus its module.
 */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  local: () => import('./local.js'),
  status: () => import('./status.js'),
  doctor: () => import('./doctor.js'),
  'sweep-certificates': () => import('./sweep-certificates.js'),
  'rotate-key': () => import('./rotate-key.js'),
  'rotate-secret': () => import('./rotate-secret.js'),
  'rotate-fleet': () => import('./rotate-fleet.js'),
};

const usage = (): string => {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return `Usage: rekey <command> [options]

Commands:
${Object.keys(COMMANDS)
  .sort()
  .map((name) => `  ${name.padEnd(width)}  {{${name}}}`)
  .join('\n')}

Run 'rekey <command> --help' for the options of a command.
Exit codes: 0 success, 1 failure, 2 usage error, 3 needs attention (status, doctor).`;
};

const globalHelp = async (): Promise<string> => {
  let text = usage();
  for (const [name, load] of Object.entries(COMMANDS)) {
    text = text.replace(`{{${name}}}`, (await load()).summary);
  }
  return text;
};

/**
 * Runs `rekey <command> [options]` and returns the exit code: 0 ok, 1 failure, 2 usage error.
 */
export const main = async (argv: string[]): Promise<number> => {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const load = topic === undefined ? undefined : COMMANDS[topic];
    if (topic !== undefined && !load) {
      process.stderr.write(`Unknown command '${topic}'. Run 'rekey --help' to list the commands.\n`);
      return 2;
    }
    process.stdout.write(`${load ? (await load()).help : await globalHelp()}\n`);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`Unknown command '${name}'. Run 'rekey --help' to list the commands.\n`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`rekey ${name}: ${error.message}\nRun 'rekey ${name} --help' for its options.\n`);
      return 2;
    }
    process.stderr.write(`rekey ${name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
};

// Run when executed directly (`tsx cli/main.ts ...`); bin/rekey.mjs imports `main` instead.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await main(process.argv.slice(2)));
}
