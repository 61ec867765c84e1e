import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { expect, it } from 'vitest';
import { logger } from '../../../functions/lib/logger.js';
import { createHandler } from '../../../functions/secret-rotation/handler.js';
import type { PasswordPolicy } from '../../../functions/secret-rotation/rotators/types.js';
import { adminFetch } from '../../../local/admin-client.js';
import { type LocalEndpoint, startLocalEndpoint } from '../../../local/endpoint.js';
import { waitForRotation } from '../../helpers/rotation.js';
import { captureLogs } from '../../unit/secret-rotation/helpers.js';

/**
 * Runs database rotations the way users do: secrets in the local endpoint, `RotateSecret`
 * invoking the real rotation function in-process, outcomes read back from the endpoint's
 * rotation log. Never prints secret values.
 *
 * Every `rotate` also checks that no password of any secret the harness made (every version,
 * superuser secrets included) appears in what the rotation function printed (its logger, at
 * DEBUG) or in the endpoint's rotation log: real drivers word their errors in ways unit tests
 * cannot foresee. A leak fails the rotate call without showing the value.
 */

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const ROTATION_FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-secret-rotation`;

export interface RotationLogEntry {
  readonly clientRequestToken: string;
  readonly step: string;
  readonly outcome: 'succeeded' | 'failed';
  readonly errorType?: string;
  readonly message?: string;
}

export interface RotationResult {
  readonly token: string;
  /** The first failed step of this rotation, if any. */
  readonly failure?: RotationLogEntry;
  readonly steps: readonly RotationLogEntry[];
}

type RotationHandler = (event: unknown) => Promise<void>;

export interface RotationHarness {
  readonly endpoint: LocalEndpoint;
  readonly sm: SecretsManagerClient;
  createSecret(label: string, value: Record<string, unknown>, tags?: Record<string, string>): Promise<string>;
  /** RotateSecret; resolves when the rotation finished or failed (the local endpoint runs it synchronously). */
  rotate(secretId: string, options?: { functionArn?: string; token?: string }): Promise<RotationResult>;
  /** The parsed value of the version holding `stage`. */
  valueAt(
    secretId: string,
    stage: 'AWSCURRENT' | 'AWSPENDING' | 'AWSPREVIOUS',
  ): Promise<Record<string, unknown>>;
  /** Staging labels by version id. */
  stages(secretId: string): Promise<Record<string, string[]>>;
  /**
   * Registers another rotation function that runs the real handler through `wrap` (to
   * interrupt a rotation, run steps twice, or generate chosen passwords); returns its ARN.
   */
  registerFunction(
    wrap: (handler: RotationHandler, event: { Step: string }) => Promise<void>,
    options?: { generatePassword?: (policy: PasswordPolicy) => Promise<string> },
  ): string;
  close(): Promise<void>;
}

/** Passwords shorter than this are too likely to occur in ordinary log text to be checked. */
const MIN_CHECKED_PASSWORD = 8;

export const startRotationHarness = async (): Promise<RotationHarness> => {
  const endpoint = await startLocalEndpoint({ port: 0 });
  const printed = captureLogs();
  const level = logger.getLevelName();
  logger.setLogLevel('DEBUG');
  const passwords = new Set<string>();
  const remember = (secretString: string | undefined) => {
    let value: unknown;
    try {
      value = JSON.parse(secretString ?? '');
    } catch {
      return;
    }
    const password = (value as { password?: unknown } | null)?.password;
    if (typeof password === 'string' && password.length >= MIN_CHECKED_PASSWORD) passwords.add(password);
  };
  const sm = new SecretsManagerClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
  });
  const created: string[] = [];

  const rotationLog = async (secretId: string): Promise<RotationLogEntry[]> => {
    const response = await adminFetch(
      `${endpoint.url}/_rekey/secretsmanager/rotations?region=${REGION}&account=${ACCOUNT}`,
      { SecretId: secretId },
    );
    const body = (await response.json()) as { Rotations: RotationLogEntry[] };
    return body.Rotations;
  };

  return {
    endpoint,
    sm,
    async createSecret(label, value, tags = {}) {
      const response = await sm.send(
        new CreateSecretCommand({
          Name: `test/${label}-${randomUUID().slice(0, 8)}`,
          SecretString: JSON.stringify(value),
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      const arn = response.ARN ?? '';
      created.push(arn);
      remember(JSON.stringify(value));
      return arn;
    },
    async rotate(secretId, options = {}) {
      const token = options.token ?? randomUUID();
      // A retried rotation reuses its token: only entries logged by this call count.
      const before = (await rotationLog(secretId)).length;
      await sm.send(
        new RotateSecretCommand({
          SecretId: secretId,
          ClientRequestToken: token,
          RotationLambdaARN: options.functionArn ?? ROTATION_FUNCTION_ARN,
          RotationRules: { AutomaticallyAfterDays: 30 },
        }),
      );
      // RotateSecret answers before the steps run, as on AWS: wait for them to end, either way.
      await waitForRotation({
        sm,
        secretId,
        token,
        local: { endpointUrl: endpoint.url, region: REGION, account: ACCOUNT },
        timeoutMs: 120_000,
      });
      const log = await rotationLog(secretId);
      const versions = await sm.send(
        new ListSecretVersionIdsCommand({ SecretId: secretId, IncludeDeprecated: true }),
      );
      for (const version of versions.Versions ?? []) {
        const got = await sm
          .send(new GetSecretValueCommand({ SecretId: secretId, VersionId: version.VersionId }))
          .catch(() => undefined); // the empty AWSPENDING placeholder of a failed createSecret
        remember(got?.SecretString);
      }
      const output = `${printed.text()}\n${JSON.stringify(log)}`;
      // JSON log lines escape quotes and backslashes, so look for the escaped form too.
      const leaked = [...passwords].some(
        (password) => output.includes(password) || output.includes(JSON.stringify(password).slice(1, -1)),
      );
      if (leaked) {
        throw new Error(
          `A password of a test secret appeared in the rotation function's output or the rotation log (rotating ${secretId}); the value is not shown.`,
        );
      }
      const steps = log.slice(before).filter((entry) => entry.clientRequestToken === token);
      const failure = steps.find((entry) => entry.outcome === 'failed');
      return { token, steps, ...(failure ? { failure } : {}) };
    },
    async valueAt(secretId, stage) {
      const response = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
      return JSON.parse(response.SecretString ?? '{}') as Record<string, unknown>;
    },
    async stages(secretId) {
      return (await sm.send(new DescribeSecretCommand({ SecretId: secretId }))).VersionIdsToStages ?? {};
    },
    registerFunction(wrap, options = {}) {
      const name = `test-rotation-${randomUUID().slice(0, 8)}`;
      const handler = createHandler({
        secretsManager: new SecretsManagerClient({
          endpoint: endpoint.url,
          region: REGION,
          credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' },
        }),
        ...(options.generatePassword ? { generatePassword: options.generatePassword } : {}),
      });
      endpoint.lambdas.register(name, async (payload) => {
        await wrap(handler, payload as { Step: string });
        return null;
      });
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
    },
    async close() {
      for (const arn of created) {
        await sm
          .send(new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }))
          .catch(() => undefined);
      }
      sm.destroy();
      await endpoint.close();
      printed.restore();
      logger.setLogLevel(level);
    },
  };
};

/** The string field of a secret value (tests compare passwords without printing them). */
export const field = (value: Record<string, unknown>, name: string): string => {
  const found = value[name];
  if (typeof found !== 'string') throw new Error(`secret value has no string field ${name}`);
  return found;
};

/**
 * A TCP forwarder in front of a real server, which a test can shut to make the database
 * refuse connections mid-rotation and open again on the same port.
 */
export interface TcpProxy {
  readonly port: number;
  /** Stops accepting and drops open connections: connecting now gets ECONNREFUSED. */
  refuse(): Promise<void>;
  /** Accepts connections again on the same port. */
  accept(): Promise<void>;
  close(): Promise<void>;
}

export const startTcpProxy = async (targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> => {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    const next = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      sockets.add(client);
      sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => resolve());
    });
    const address = next.address();
    port = typeof address === 'object' && address ? address.port : port;
    server = next;
  };
  const stop = async () => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  await listen();
  return {
    get port() {
      return port;
    },
    refuse: stop,
    async accept() {
      if (!server) await listen();
    },
    close: stop,
  };
};

/** What the shared retry scenarios need from one engine's test file. */
export interface RetryScenarioOptions {
  /** Prefix of the secrets' names, e.g. `pg`. */
  readonly prefix: string;
  readonly strategy: string;
  readonly alternating: boolean;
  /** The harness, started in the file's `beforeAll`. */
  readonly harness: () => RotationHarness;
  /** Creates a user with a known password and its secret (`extra` fields merged in). */
  readonly makeSecret: (
    label: string,
    extra?: Record<string, unknown>,
  ) => Promise<{ user: string; arn: string }>;
  /** Whether a secret value's credentials log in (at `port`, default the server's). */
  readonly login: (value: Record<string, unknown>, port?: number) => Promise<boolean>;
  /** The server's port, for the proxy that refuses connections mid-rotation. */
  readonly serverPort: () => number;
  /** Whether AWSCURRENT still logs in right after a rotation stopped after `lastStep`. */
  readonly currentWorksWhenInterruptedAfter: (lastStep: string) => boolean;
}

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];

/**
 * The scenarios every engine and strategy must pass in the same way: each step run twice, a
 * rotation interrupted after each step and completed by the next RotateSecret, and a server
 * that refuses connections mid-rotation. Call inside a `describe`.
 */
export const retryScenarios = (o: RetryScenarioOptions): void => {
  it('completes when every step runs twice', async () => {
    const harness = o.harness();
    const { arn } = await o.makeSecret(`${o.prefix}-twice-${o.strategy}`);
    const twice = harness.registerFunction(async (handler, event) => {
      await handler(event);
      await handler(event);
    });

    const result = await harness.rotate(arn, { functionArn: twice });

    expect(result.failure).toBeUndefined();
    expect(await o.login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
    expect(await o.login(await harness.valueAt(arn, 'AWSPREVIOUS'))).toBe(o.alternating);
  });

  it.each(['createSecret', 'setSecret', 'testSecret'])(
    'is completed by the next RotateSecret after being interrupted after %s',
    async (lastStep) => {
      const harness = o.harness();
      const { arn } = await o.makeSecret(`${o.prefix}-interrupt-${o.strategy}`);
      const interrupted = harness.registerFunction(async (handler, event) => {
        if (STEPS.indexOf(event.Step) > STEPS.indexOf(lastStep)) throw new Error('interrupted by the test');
        await handler(event);
      });

      const first = await harness.rotate(arn, { functionArn: interrupted });
      expect(first.failure?.step).toBe(STEPS[STEPS.indexOf(lastStep) + 1]);
      if (o.currentWorksWhenInterruptedAfter(lastStep)) {
        expect(await o.login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
      }

      const second = await harness.rotate(arn, { token: first.token });

      expect(second.failure).toBeUndefined();
      expect(await o.login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
      expect((await harness.stages(arn))[first.token]).toEqual(['AWSCURRENT']);
    },
  );

  it('fails with a clear cause when the server refuses connections mid-rotation, and AWSCURRENT still logs in', async () => {
    const harness = o.harness();
    const proxy = await startTcpProxy(o.serverPort());
    try {
      const { arn } = await o.makeSecret(`${o.prefix}-refused-${o.strategy}`, { port: proxy.port });
      const refusing = harness.registerFunction(async (handler, event) => {
        await handler(event);
        if (event.Step === 'createSecret') await proxy.refuse();
      });

      const result = await harness.rotate(arn, { functionArn: refusing });

      expect(result.failure?.step).toBe('setSecret');
      expect(result.failure?.errorType).toBe('DatabaseLoginError');
      expect(result.failure?.message).toContain(`127.0.0.1:${proxy.port}`);
      expect(result.failure?.message).toContain('ECONNREFUSED');
      await proxy.accept();
      expect(await o.login(await harness.valueAt(arn, 'AWSCURRENT'), proxy.port)).toBe(true);
    } finally {
      await proxy.close();
    }
  });
};
