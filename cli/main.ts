import { pathToFileURL } from 'node:url';
import { closest, GLOBAL_OPTIONS } from './args.js';
import { UsageError } from './errors.js';
import { configureOutput, defaultIo, type Io, silenceLogs } from './io.js';
import { applyProfile, endpointFrom, unreachable, unreachableMessage } from './target.js';

/** What every command module exports. */
export interface CommandModule {
  /** One line for `rekey --help`. */
  readonly summary: string;
  /** Full help for `rekey <command> --help`. */
  readonly help: string;
  /**
   * Runs the command, writing through `io`; resolves to the exit code (0 ok, 1 failure). Throws
   * UsageError for bad arguments.
   */
  run(argv: string[], io: Io): Promise<number>;
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

/** Examples shown under each command's help. */
const EXAMPLES: Record<string, string[]> = {
  local: ['npx rekey local --port 4566 --state .rekey-state.json', 'npx rekey local --port 0'],
  status: [
    'rekey status --endpoint-url http://127.0.0.1:4566',
    'rekey status --region eu-west-1 --region us-east-1 --output json | jq .summary',
    'rekey status --profile prod --output html --out dist/status.html',
  ],
  doctor: ['rekey doctor --endpoint-url http://127.0.0.1:4566', 'rekey doctor --fix --region eu-west-1'],
  'sweep-certificates': [
    'rekey sweep-certificates --endpoint-url http://127.0.0.1:4566 --dry-run',
    'rekey sweep-certificates --region eu-west-1 --output json',
  ],
  'rotate-key': [
    'rekey rotate-key alias/rekey/payments-signing --force --endpoint-url http://127.0.0.1:4566',
    'rekey rotate-key alias/rekey/payments-signing --force --wait --profile prod',
  ],
  'rotate-secret': [
    'rekey rotate-secret demo/app/db --wait --endpoint-url http://127.0.0.1:4566',
    'rekey rotate-secret prod/app/db --wait --region eu-west-1',
  ],
  'rotate-fleet': [
    'rekey rotate-fleet --filter tag:rekey:fleet=true --dry-run --endpoint-url http://127.0.0.1:4566',
    'rekey rotate-fleet --filter name-prefix:prod/ --wait',
  ],
};

const GLOBAL_HELP = `Global options (any command, before or after its name):
  --profile NAME         Use this profile of the shared AWS config and credentials files
                         (~/.aws/config, ~/.aws/credentials) for credentials and Region.
  --quiet, -q            Print results and errors only: no progress or notes.
  --verbose, -v          Show the logs of the functions this command runs in-process (on stderr).
  --log-file FILE        Append those logs to FILE instead.
  --version              Print the version of rekey.
Target: --endpoint-url, else AWS_ENDPOINT_URL, else AWS; --region, else AWS_REGION, else
AWS_DEFAULT_REGION, else the profile's region, else us-east-1.`;

const helpOf = (name: string, command: CommandModule): string => {
  const examples = EXAMPLES[name] ?? [];
  return `${command.help}\n\n${examples.length ? `Examples:\n${examples.map((e) => `  ${e}`).join('\n')}\n\n` : ''}${GLOBAL_HELP}`;
};

/**
 * The package version: the nearest package.json named rekey above this module (cli/ when run
 * from source, the bundle's folder when precompiled).
 */
const version = async (): Promise<string> => {
  const { readFile } = await import('node:fs/promises');
  for (const up of ['../', '../../', '../../../']) {
    try {
      const pkg = JSON.parse(await readFile(new URL(`${up}package.json`, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'rekey' && pkg.version) return pkg.version;
    } catch {
      // not here: one folder up
    }
  }
  return 'unknown';
};

interface Globals {
  profile?: string;
  quiet: boolean;
  verbose: boolean;
  logFile?: string;
  version: boolean;
}

/** Takes the global options out of `argv` (wherever they are, up to `--`). */
const takeGlobals = (argv: string[]): { globals: Globals; rest: string[] } => {
  const globals: Globals = { quiet: false, verbose: false, version: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const [flag, inline] = token.startsWith('--') && token.includes('=') ? token.split(/=(.*)/s) : [token];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) {
        throw new UsageError(
          `${flag} needs a value, e.g. ${flag} ${flag === '--profile' ? 'prod' : 'rekey.log'}.`,
        );
      }
      return v;
    };
    if (flag === '--profile') globals.profile = value();
    else if (flag === '--log-file') globals.logFile = value();
    else if (token === '--quiet' || token === '-q') globals.quiet = true;
    else if (token === '--verbose' || token === '-v') globals.verbose = true;
    else if (token === '--version') globals.version = true;
    else rest.push(token);
  }
  return { globals, rest };
};

/** The `--endpoint-url` value in a command's arguments, if any (checked later by the command). */
const endpointFlag = (argv: string[]): string | undefined => {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') return undefined;
    if (token === '--endpoint-url') return argv[i + 1];
    if (token.startsWith('--endpoint-url=')) return token.slice('--endpoint-url='.length);
  }
  return undefined;
};

/** A network failure's code anywhere in an error's cause chain (the SDK wraps them). */
const networkCode = (error: unknown): string | undefined => {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code)
    )
      return code;
  }
  return undefined;
};

const unknownCommand = (name: string): string => {
  if (name.startsWith('-')) {
    const option = closest(name.replace(/^-+/, '').split('=')[0] ?? '', GLOBAL_OPTIONS);
    return `Unknown option '${name.split('=')[0]}' before the command.${option ? ` Did you mean --${option}?` : ''} Run 'rekey --help' for the commands and global options.\n`;
  }
  const guess = closest(name, Object.keys(COMMANDS));
  return `Unknown command '${name}'.${guess ? ` Did you mean 'rekey ${guess}'?` : ''} Run 'rekey --help' to list the commands.\n`;
};

/**
 * Runs `rekey <command> [options]` and returns the exit code: 0 ok, 1 failure, 2 usage error
 * (3 where a command says so). Never exits the process: the caller sets `process.exitCode`, so
 * everything written to a pipe is delivered first.
 */
export const main = async (argv: string[], io: Io = defaultIo): Promise<number> => {
  let globals: Globals;
  let args: string[];
  try {
    ({ globals, rest: args } = takeGlobals(argv));
  } catch (error) {
    io.stderr(`rekey: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (globals.version) {
    io.stdout(`rekey ${await version()}\n`);
    return 0;
  }
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const load = topic === undefined ? undefined : COMMANDS[topic];
    if (topic !== undefined && !load) {
      io.stderr(unknownCommand(topic));
      return 2;
    }
    io.stdout(`${load && topic ? helpOf(topic, await load()) : `${await globalHelp()}\n\n${GLOBAL_HELP}`}\n`);
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.stderr(unknownCommand(name));
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${helpOf(name, command)}\n`);
    return 0;
  }
  let endpoint: string | undefined;
  try {
    configureOutput({
      quiet: globals.quiet,
      verbose: globals.verbose,
      ...(globals.logFile ? { logFile: globals.logFile } : {}),
    });
    applyProfile(globals.profile);
    if (name !== 'local') {
      const flag = endpointFlag(rest);
      // A bad URL is left to the command, which names its option.
      try {
        endpoint = endpointFrom(flag);
      } catch {
        endpoint = undefined;
      }
      const why = endpoint === undefined ? undefined : await unreachable(endpoint);
      if (endpoint !== undefined && why !== undefined) {
        io.stderr(`rekey ${name}: ${unreachableMessage(endpoint, why, flag === undefined)}`);
        return 1;
      }
    }
    await silenceLogs(process.env, { keepLevel: name === 'local' });
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`rekey ${name}: ${error.message}\nRun 'rekey ${name} --help' for its options.\n`);
      return 2;
    }
    const code = networkCode(error);
    if (code && endpoint) {
      io.stderr(`rekey ${name}: ${unreachableMessage(endpoint, code, endpointFlag(rest) === undefined)}`);
      return 1;
    }
    io.stderr(`rekey ${name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
};

// Run when executed directly (`tsx cli/main.ts ...`); bin/rekey.mjs imports `main` instead.
// process.exitCode, not process.exit(): output still queued for a pipe is written first.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
