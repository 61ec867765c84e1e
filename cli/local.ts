import { resolveRegion } from '../functions/lib/aws.js';
import type { Policy } from '../local/core/iam/policy.js';
import { DEFAULT_ACCOUNT_ID } from '../local/defaults.js';
import { parseEndpoint, parseOptions } from './args.js';
import { UsageError } from './errors.js';
import { defaultIo, type Io } from './io.js';
import { choiceOption } from './options.js';
import { parseRedisFor } from './redis-for.js';

export const summary = 'Run the local AWS endpoint (Secrets Manager and more) with the project functions';

export const help = `Usage: rekey local [--port 4566] [--host 127.0.0.1] [--state FILE] [--quotas on|off] [--sync-rotation]
                   [--allow-host NAME,...] [--lambda-endpoint URL] [--redis-for GROUP=URL ...]
                   [--iam enforce|audit|off] [--template FILE] [--iam-policy [KEY=]FILE]
                   [--iam-audit-log FILE]

Starts the local AWS-compatible endpoint and keeps it running until Ctrl+C (SIGINT) or SIGTERM.
It prints the exports a shell needs to point the AWS SDKs, the AWS CLI and rekey at it
(AWS_ENDPOINT_URL, AWS_REGION and AWS_DEFAULT_REGION, credentials: any work, and a 12-digit
access key id selects the account), and the --endpoint-url form for older AWS CLIs. The logs
of the functions it serves go to standard error (--quiet: none).

Options:
  --port N                 Port to listen on (default 4566; 0 picks a free port and prints it).
  --host HOST              Address to bind (default 127.0.0.1). The endpoint has no authentication:
                           any other address prints a warning; requests must name
                           this address or localhost in their Host header.
  --state FILE             Load state from FILE (a missing file starts empty); every change is
                           journaled to FILE.journal-N and fsync'd before it is answered, so an
                           answered write survives a crash. The files hold secret values (mode 0600).
  --quotas on|off          AWS's documented request quotas, answered with ThrottlingException
                           (default on).
  --sync-rotation          RotateSecret runs the rotation function's four steps before it answers.
                           By default it answers at once and the steps run afterwards, as on AWS.
  --allow-host NAMES       More Host header names to answer, comma-separated (for example
                           host.docker.internal, for rotation functions run in containers).
  --lambda-endpoint URL    Lambda Invoke endpoint for rotation functions this process does not serve,
                           for example the URL of 'sam local start-lambda'.
  --redis-for GROUP=URL    Attach the ElastiCache user group or MemoryDB ACL GROUP to a real Redis or
                           Valkey server (redis:// or rediss:// URL whose user may run ACL commands):
                           each change to the group's users is applied there with ACL SETUSER, as
                           the service does on its clusters. Repeat for more groups.
  --iam MODE               IAM evaluation of every call (default enforce): the project's functions
                           run as the roles --template gives them and are refused (AccessDenied-
                           Exception, as on AWS) what those roles may not do; audit only records
                           the calls it would refuse (GET /_rekey/iam/audit); off allows everything.
  --template FILE          The SAM template whose roles the functions run under (default: the
                           project's template.yaml).
  --iam-policy [KEY=]FILE  An IAM policy (JSON) for callers signing with access key id KEY, or with
                           no KEY= for every caller that is not one of the functions; without it,
                           such callers act as the account root. Comma-separate several.
  --iam-audit-log FILE     Also append every refused (or, in audit mode, would-be refused) call
                           to FILE, one JSON line each, with the statements that matched.
  -h, --help               Show this help.`;

const parsePort = (text: string): number => {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) {
    throw new UsageError(`--port must be a number from 0 to 65535 (0 picks a free port); got '${text}'.`);
  }
  return port;
};

/**
 * What a shell needs to point the AWS SDKs and CLIs at the endpoint: the endpoint, both Region
 * variables (AWS CLI v1 reads only AWS_DEFAULT_REGION, the SDKs AWS_REGION), credentials (any
 * work; a 12-digit access key id is the account), and the `--endpoint-url` form for AWS CLI
 * v1 before 1.29 and v2 before 2.13 (Debian's 2.9 among them), which ignore AWS_ENDPOINT_URL.
 */
export const exportLines = (url: string, region: string): string[] => [
  'Point the AWS SDKs, the AWS CLI and rekey at it (bash, zsh):',
  `  export AWS_ENDPOINT_URL=${url} AWS_REGION=${region} AWS_DEFAULT_REGION=${region} \\`,
  `         AWS_ACCESS_KEY_ID=${DEFAULT_ACCOUNT_ID} AWS_SECRET_ACCESS_KEY=local`,
  'AWS CLI v1 before 1.29 and v2 before 2.13 (Debian 12 ships 2.9) ignore AWS_ENDPOINT_URL:',
  'give them the endpoint on each command, e.g.',
  `  aws --endpoint-url ${url} secretsmanager list-secrets`,
];

/**
 * Reads `--iam-policy`: `FILE` (every caller that is not a function) or `KEY=FILE` (callers
 * signing with access key id KEY), comma-separated; each file an IAM policy document.
 */
const readIamPolicies = async (spec: string): Promise<Map<string, Policy>> => {
  const { readFile } = await import('node:fs/promises');
  const { readPolicy } = await import('../local/core/iam/policy.js');
  const policies = new Map<string, Policy>();
  for (const entry of spec
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const [key, file] = eq > 0 ? [entry.slice(0, eq), entry.slice(eq + 1)] : ['*', entry];
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(`--iam-policy: cannot read ${file} (${(error as Error).message}).`);
    }
    try {
      policies.set(key, readPolicy(file, text));
    } catch (error) {
      throw new UsageError(`--iam-policy ${file}: ${(error as Error).message}.`);
    }
  }
  return policies;
};

/** `rekey local`: serves until SIGINT/SIGTERM, then saves the state and exits 0. */
/** The options of `rekey local`; a new one is a line here, its check in `run` and its help line. */
const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  state: { type: 'string' },
  quotas: { type: 'string' },
  'sync-rotation': { type: 'boolean' },
  'allow-host': { type: 'string' },
  'lambda-endpoint': { type: 'string' },
  'redis-for': { type: 'string', multiple: true },
  iam: { type: 'string' },
  template: { type: 'string' },
  'iam-policy': { type: 'string' },
  'iam-audit-log': { type: 'string' },
} as const;

export const run = async (argv: string[], io: Io = defaultIo): Promise<number> => {
  const { values } = parseOptions(argv, OPTIONS);
  const iam = choiceOption(values.iam, '--iam', ['enforce', 'audit', 'off'], 'enforce');
  if (values.template === '')
    throw new UsageError('--template needs the path of a SAM template (template.yaml).');
  const iamPolicies =
    values['iam-policy'] === undefined ? undefined : await readIamPolicies(values['iam-policy']);
  const quotas = choiceOption(values.quotas, '--quotas', ['on', 'off'], 'on');
  const port = parsePort(values.port ?? '4566');
  const lambdaEndpoint =
    values['lambda-endpoint'] === undefined
      ? undefined
      : parseEndpoint(values['lambda-endpoint'], '--lambda-endpoint', 'http://127.0.0.1:3001');
  const host = values.host ?? '127.0.0.1';
  if (values.state === '') throw new UsageError('--state needs a file path.');
  const redisFor = parseRedisFor(values['redis-for'] ?? []);

  // Loaded here so `rekey local --help` stays fast and free of SDK imports.
  const { startLocalEndpoint } = await import('../local/endpoint.js');
  let endpoint: Awaited<ReturnType<typeof startLocalEndpoint>>;
  try {
    endpoint = await startLocalEndpoint({
      port,
      host,
      stateFile: values.state,
      quotas: quotas === 'on',
      syncRotation: values['sync-rotation'] === true,
      allowHosts: values['allow-host']
        ?.split(',')
        .map((h) => h.trim())
        .filter(Boolean),
      lambdaEndpoint,
      redisFor,
      iam,
      ...(values.template ? { template: values.template } : {}),
      ...(iamPolicies ? { iamPolicies } : {}),
      ...(values['iam-audit-log'] ? { iamAuditLog: values['iam-audit-log'] } : {}),
      onStateError: (error) =>
        io.stderr(
          `Could not save the state (will retry on the next change and on exit): ${error instanceof Error ? error.message : String(error)}\n`,
        ),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      io.stderr(
        `Port ${port} on ${host} is in use: stop the other process or pass --port 0 for a free port.\n`,
      );
      return 1;
    }
    throw error;
  }

  const region = resolveRegion();
  const lines = [
    `rekey local endpoint listening on ${endpoint.url}`,
    '',
    ...exportLines(endpoint.url, region),
    '',
    `Services: ${endpoint.services.map((s) => s.targetPrefix).join(', ')}`,
  ];
  const arns = endpoint.functionArns(region, DEFAULT_ACCOUNT_ID);
  if (arns.length) {
    lines.push(
      `Functions (shown for account ${DEFAULT_ACCOUNT_ID} in ${region}; every account and Region works):`,
    );
    lines.push(...arns.map((arn) => `  ${arn}`));
  }
  if (lambdaEndpoint) lines.push(`Other functions are invoked through ${lambdaEndpoint}`);
  for (const [group, url] of Object.entries(redisFor)) {
    lines.push(`Redis for ElastiCache user group / MemoryDB ACL ${group}: ${new URL(url).host}`);
  }
  lines.push(
    values.state
      ? `State: ${values.state} (each change on disk before it is answered; it holds secret values, mode 0600)`
      : 'State: in memory only (pass --state FILE to keep it)',
    `Quotas: ${quotas === 'on' ? "AWS's documented request rates (ThrottlingException beyond them; --quotas off to lift)" : 'off'}`,
    `Rotation: ${values['sync-rotation'] ? 'synchronous (--sync-rotation)' : 'RotateSecret answers at once, the steps run after it (as on AWS)'}`,
    `IAM: ${
      iam === 'off'
        ? 'off (every call allowed)'
        : `${iam}: functions run as their roles in ${values.template ?? 'template.yaml'}; ${iamPolicies ? 'other callers as --iam-policy says' : 'other callers act as the account root'}; denials at ${endpoint.url}/_rekey/iam/audit`
    }`,
    'Press Ctrl+C to stop.',
  );
  io.stdout(`${lines.join('\n')}\n`);
  for (const warning of endpoint.warnings) io.stderr(`${warning}\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await endpoint.close();
  io.stdout(`Stopped on ${signal}${values.state ? `; state saved to ${values.state}` : ''}.\n`);
  return 0;
};
