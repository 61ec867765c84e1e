import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { expect, it } from 'vitest';
import { logger } from '../../../functions/lib/logger.js';
import { createHandler } from '../../../functions/secret-rotation/handler.js';
import type { PasswordPolicy } from '../../../functions/secret-rotation/rotators/types.js';
import { startTestEndpoint, type TestEndpoint, type TestEndpointOptions } from '../../helpers/endpoint.js';
import { readRotationLog as readLocalRotationLog, waitForRotation } from '../../helpers/rotation.js';
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
  readonly endpoint: TestEndpoint;
  readonly sm: SecretsManagerClient;
  createSecret(label: string, value: Record<string, unknown>, tags?: Record<string, string>): Promise<string>;
  /**
   * A new secret holding `secretId`'s AWSCURRENT value with `overrides` (e.g. the superuser
   * secret for the same server reached through a proxy port); returns its ARN.
   */
  copySecret(secretId: string, overrides: Record<string, unknown>): Promise<string>;
  /** RotateSecret; resolves when the rotation finished or failed (polling the rotation log, bounded). */
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

/**
 * The tag the deployed rotation role requires on a superuser secret before it reads it
 * (template.yaml, ReadTaggedSuperuserSecrets); the local endpoint enforces it as AWS does.
 */
export const SUPERUSER_TAGS = { 'rekey:superuser': 'true' } as const;

/** The local endpoint's record of the rotation function's step outcomes for a secret. */
export const readRotationLog = async (endpointUrl: string, secretId: string): Promise<RotationLogEntry[]> =>
  (await readLocalRotationLog({ endpointUrl, region: REGION, account: ACCOUNT }, secretId)).entries;

/** How long `rotate` waits for a rotation's steps to finish or fail. */
const ROTATION_WAIT_MS = 120_000;

/** Passwords shorter than this are too likely to occur in ordinary log text to be checked. */
const MIN_CHECKED_PASSWORD = 8;

export const startRotationHarness = async (
  /** Endpoint options besides account, Region and functions (a Redis for ElastiCache users, ...). */
  endpointOptions: Pick<TestEndpointOptions, 'redisFor' | 'cacheModifyingMs' | 'templateParameters'> = {},
): Promise<RotationHarness> => {
  // The project's own rotation function (its logs captured below) serves ROTATION_FUNCTION_ARN.
  const endpoint = await startTestEndpoint({
    ...endpointOptions,
    account: ACCOUNT,
    region: REGION,
    defaultFunctions: true,
  });
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
  const sm = new SecretsManagerClient(endpoint.clientConfig);
  const created: string[] = [];

  const rotationLog = (secretId: string) => readRotationLog(endpoint.url, secretId);

  const harness: RotationHarness = {
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
    async copySecret(secretId, overrides) {
      const response = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
      const value = JSON.parse(response.SecretString ?? '{}') as Record<string, unknown>;
      // The copy keeps the tags (a superuser secret's copy is a superuser secret too).
      const { Tags = [] } = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
      const tags = Object.fromEntries(Tags.map((t) => [t.Key ?? '', t.Value ?? '']));
      return harness.createSecret('copy', { ...value, ...overrides }, tags);
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
        timeoutMs: ROTATION_WAIT_MS,
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
        secretsManager: new SecretsManagerClient(endpoint.clientConfig),
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
  return harness;
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
  /**
   * Drops open connections, then accepts new ones but never answers nor forwards them: a host
   * that cannot be reached (packets dropped), as far as a client can tell. `accept()` ends it.
   */
  hold(): Promise<void>;
  close(): Promise<void>;
}

export const startTcpProxy = async (targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> => {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  let holding = false;
  const listen = async () => {
    const next = createServer((client) => {
      if (holding) {
        sockets.add(client);
        client.on('error', () => client.destroy());
        return;
      }
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
      if (holding) {
        holding = false;
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      }
      if (!server) await listen();
    },
    async hold() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      holding = true;
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
      expect((await harness.stages(arn))[first.token]).toContain('AWSCURRENT');
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

/** The rotation event a registered function receives. */
interface StepEvent {
  readonly Step: string;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
}

/**
 * Checks the state every rotation must end in once its faults are gone: exactly one version
 * carries AWSCURRENT and it logs in, AWSPENDING is absent or on that same version, and every
 * version that existed before is still there.
 */
export const expectConverged = async (
  harness: RotationHarness,
  arn: string,
  login: (value: Record<string, unknown>) => Promise<boolean>,
  versionsBefore: readonly string[],
): Promise<void> => {
  const stages = await harness.stages(arn);
  const current = Object.entries(stages).filter(([, labels]) => labels.includes('AWSCURRENT'));
  expect(current).toHaveLength(1);
  const pending = Object.entries(stages).filter(([, labels]) => labels.includes('AWSPENDING'));
  expect(pending.every(([id]) => id === current[0]?.[0])).toBe(true);
  expect(await login(await harness.valueAt(arn, 'AWSCURRENT'))).toBe(true);
  const listed = await harness.sm.send(
    new ListSecretVersionIdsCommand({ SecretId: arn, IncludeDeprecated: true }),
  );
  const ids = new Set((listed.Versions ?? []).map((version) => version.VersionId));
  for (const id of versionsBefore) expect(ids.has(id)).toBe(true);
};

/** Every version id of the secret, labelled or not. */
export const versionIds = async (harness: RotationHarness, arn: string): Promise<string[]> => {
  const listed = await harness.sm.send(
    new ListSecretVersionIdsCommand({ SecretId: arn, IncludeDeprecated: true }),
  );
  return (listed.Versions ?? []).flatMap((version) => (version.VersionId ? [version.VersionId] : []));
};

/** Abandons the rotation in progress the way the docs say: remove AWSPENDING from its version. */
export const abandonRotation = async (harness: RotationHarness, arn: string): Promise<void> => {
  const stages = await harness.stages(arn);
  const pending = Object.entries(stages).find(([, labels]) => labels.includes('AWSPENDING'))?.[0];
  if (pending === undefined) return;
  await harness.sm.send(
    new UpdateSecretVersionStageCommand({
      SecretId: arn,
      VersionStage: 'AWSPENDING',
      RemoveFromVersionId: pending,
    }),
  );
};

/** What the single-user safety scenarios need from one engine's test file. */
export interface SingleUserScenarioOptions {
  readonly prefix: string;
  readonly harness: () => RotationHarness;
  /** Creates a user with a known password and its single-user secret. */
  readonly makeSecret: (label: string) => Promise<{ user: string; arn: string }>;
  readonly login: (value: Record<string, unknown>) => Promise<boolean>;
  /**
   * Limits the user to `limit` connections at once (`undefined` lifts it): the session that
   * changed the password then holds the only one, so logging in with the new password fails
   * after the change. Absent for engines without such a limit (Redis, which keeps the old
   * password until finishSecret anyway).
   */
  readonly limitConnections?: (user: string, limit: number | undefined) => Promise<void>;
}

/**
 * Single-user rotation is all-or-nothing inside setSecret (issue 9 §3): a pending version whose
 * connection settings do not reach the server changes nothing; a new password that does not
 * log in after the change is undone on the session still open. Call inside a `describe`.
 */
export const singleUserScenarios = (o: SingleUserScenarioOptions): void => {
  it('refuses, before changing the password, a pending version whose TLS settings do not reach the server; converges once it is abandoned', async () => {
    const harness = o.harness();
    const { arn } = await o.makeSecret(`${o.prefix}-pending-tls`);
    const before = await versionIds(harness, arn);
    const current = await harness.valueAt(arn, 'AWSCURRENT');
    // Another tool made the pending version, asking for a verified TLS the server cannot give.
    const otherTool = harness.registerFunction(async (handler, event) => {
      const { SecretId, ClientRequestToken, Step } = event as StepEvent;
      if (Step !== 'createSecret') return handler(event);
      await harness.sm.send(
        new PutSecretValueCommand({
          SecretId,
          ClientRequestToken,
          SecretString: JSON.stringify({
            ...current,
            password: `tls-${randomUUID()}`,
            ssl: { mode: 'verify-full' },
          }),
          VersionStages: ['AWSPENDING'],
        }),
      );
    });

    const result = await harness.rotate(arn, { functionArn: otherTool });

    expect(result.failure?.step).toBe('setSecret');
    expect(result.failure?.errorType).toBe('DatabaseLoginError');
    expect(result.failure?.message).toContain('verify-full');
    expect(result.failure?.message).toContain('nothing was changed');
    expect(await o.login(current)).toBe(true);

    await abandonRotation(harness, arn);
    const next = await harness.rotate(arn);
    expect(next.failure).toBeUndefined();
    await expectConverged(harness, arn, o.login, before);
  });

  if (o.limitConnections) {
    const limitConnections = o.limitConnections;
    it('restores the old password when the new one does not log in after the change; the same rotation completes once the fault is gone', async () => {
      const harness = o.harness();
      const { user, arn } = await o.makeSecret(`${o.prefix}-restore`);
      const before = await versionIds(harness, arn);
      const current = await harness.valueAt(arn, 'AWSCURRENT');
      await limitConnections(user, 1);

      const result = await harness.rotate(arn);

      expect(result.failure?.step).toBe('setSecret');
      expect(result.failure?.errorType).toBe('DatabaseLoginError');
      expect(result.failure?.message).toContain('restored');
      expect(await o.login(current)).toBe(true);
      expect(await o.login(await harness.valueAt(arn, 'AWSPENDING'))).toBe(false);

      await limitConnections(user, undefined);
      const retried = await harness.rotate(arn, { token: result.token });
      expect(retried.failure).toBeUndefined();
      expect((await harness.stages(arn))[result.token]).toContain('AWSCURRENT');
      await expectConverged(harness, arn, o.login, before);
      expect(await o.login(current)).toBe(false);
    });
  }
};

/** What the fault scenarios need besides the retry scenarios' options. */
export interface FaultScenarioOptions extends RetryScenarioOptions {
  /** Takes away (`false`) or gives back (`true`) the right of `user` to log in. */
  readonly allowLogin: (user: string, allowed: boolean) => Promise<void>;
  /** Whether finishSecret talks to the server (Redis single user removes the old password). */
  readonly finishUsesServer: boolean;
  /**
   * Takes away (`false`) or gives back (`true`) the superuser's rights (not its login), where
   * the test file has a superuser of its own to spare.
   */
  readonly allowSuperuser?: (allowed: boolean) => Promise<void>;
  /**
   * For servers whose TLS a test may switch (the private PostgreSQL): the secret fields that
   * require TLS, and how to switch it off and on again.
   */
  readonly tls?: {
    readonly secretFields: Record<string, unknown>;
    readonly switchTo: (on: boolean) => Promise<void>;
  };
}

const FAULT_STEPS = ['setSecret', 'testSecret', 'finishSecret'] as const;

/**
 * Each step made to fail (issue 9 §7): the server stopped, the user's right to log in revoked,
 * the host unreachable, the server's TLS switched off under a secret that requires it (where
 * the test can switch it: the private PostgreSQL), another writer changing the secret. Every
 * rotation either completes or fails at the faulted step, and once the fault is gone (and the
 * rotation retried with its token) the secret converges: one AWSCURRENT that logs in, no
 * version lost. A pending version asking for TLS the server cannot give is in the single-user
 * scenarios. Call inside a `describe`.
 */
export const faultScenarios = (o: FaultScenarioOptions): void => {
  const needsServer = (step: string) => step !== 'finishSecret' || o.finishUsesServer;

  /** Runs a rotation whose function calls `fault` once, just before `step`; retries it after `heal`. */
  const rotateThroughFault = async (
    arn: string,
    step: string,
    fault: () => Promise<void>,
    heal: () => Promise<void>,
    expectFailure: boolean,
  ) => {
    const harness = o.harness();
    let faulted = false;
    const faulty = harness.registerFunction(async (handler, event) => {
      if (event.Step === step && !faulted) {
        faulted = true;
        await fault();
      }
      await handler(event);
    });
    const first = await harness.rotate(arn, { functionArn: faulty });
    expect(faulted).toBe(true);
    expect(first.failure?.step).toBe(expectFailure ? step : undefined);
    await heal();
    if (first.failure) {
      const retried = await harness.rotate(arn, { token: first.token });
      expect(retried.failure).toBeUndefined();
    }
    expect((await harness.stages(arn))[first.token]).toContain('AWSCURRENT');
    return first;
  };

  /** Faults a proxy in front of the server plays: stopped at each step, unreachable at setSecret. */
  const proxyFaults = [
    ...FAULT_STEPS.map((step) => ({
      fault: 'server stopped',
      step,
      act: (proxy: TcpProxy) => proxy.refuse(),
      cause: /ECONNREFUSED/,
    })),
    {
      fault: 'host unreachable (connections accepted, never answered)',
      step: 'setSecret',
      act: (proxy: TcpProxy) => proxy.hold(),
      cause: /could not be reached|stalled|timeout|timed out/i,
    },
  ];

  it.each(proxyFaults)('$fault before $step: fails saying so, converges once it is back', async (c) => {
    const harness = o.harness();
    const proxy = await startTcpProxy(o.serverPort());
    try {
      const { arn } = await o.makeSecret(`${o.prefix}-proxy-${o.strategy}`, { port: proxy.port });
      const before = await versionIds(harness, arn);
      const first = await rotateThroughFault(
        arn,
        c.step,
        () => c.act(proxy),
        () => proxy.accept(),
        needsServer(c.step),
      );
      if (first.failure) expect(first.failure.message).toMatch(c.cause);
      await expectConverged(harness, arn, (value) => o.login(value, proxy.port), before);
    } finally {
      await proxy.close();
    }
  });

  const allowSuperuser = o.allowSuperuser;
  if (o.alternating && allowSuperuser) {
    it("the superuser's rights revoked before setSecret: fails saying what was refused, converges once they are back", async () => {
      const harness = o.harness();
      const { arn } = await o.makeSecret(`${o.prefix}-superuser-revoked`);
      const before = await versionIds(harness, arn);
      try {
        const first = await rotateThroughFault(
          arn,
          'setSecret',
          () => allowSuperuser(false),
          () => allowSuperuser(true),
          true,
        );
        expect(first.failure?.errorType).toBe('DatabaseStatementError');
        expect(first.failure?.message).toContain('prepare the alternate user');
      } finally {
        await allowSuperuser(true);
      }
      await expectConverged(harness, arn, (value) => o.login(value), before);
      expect(await o.login(await harness.valueAt(arn, 'AWSPREVIOUS'))).toBe(true);
    });
  }

  const tls = o.tls;
  if (tls) {
    it.each(FAULT_STEPS)(
      'TLS switched off on the server before %s (the secret requires it): converges once it is back',
      async (step) => {
        const harness = o.harness();
        const { arn } = await o.makeSecret(`${o.prefix}-tls-off-${o.strategy}`, tls.secretFields);
        const before = await versionIds(harness, arn);
        try {
          const first = await rotateThroughFault(
            arn,
            step,
            () => tls.switchTo(false),
            () => tls.switchTo(true),
            needsServer(step),
          );
          if (first.failure) expect(first.failure.message).toMatch(/does not support SSL|does not offer TLS/);
        } finally {
          await tls.switchTo(true);
        }
        await expectConverged(harness, arn, (value) => o.login(value), before);
      },
    );
  }

  it.each(FAULT_STEPS)(
    "the user's login revoked before %s: converges once it is given back",
    async (step) => {
      const harness = o.harness();
      const { user, arn } = await o.makeSecret(`${o.prefix}-revoked-${o.strategy}`);
      const before = await versionIds(harness, arn);
      // The user whose credential the step logs in with: the current one in setSecret, the
      // pending one after it.
      const target = step === 'setSecret' || !o.alternating ? user : `${user}_clone`;
      await rotateThroughFault(
        arn,
        step,
        () => o.allowLogin(target, false),
        () => o.allowLogin(target, true),
        needsServer(step),
      );
      await expectConverged(harness, arn, (value) => o.login(value), before);
    },
  );

  it.each(FAULT_STEPS)(
    'another writer puts a new AWSCURRENT (same credentials, another field) before %s: completes, and the writer version is kept',
    async (step) => {
      const harness = o.harness();
      const { arn } = await o.makeSecret(`${o.prefix}-writer-${o.strategy}`);
      const before = await versionIds(harness, arn);
      const current = await harness.valueAt(arn, 'AWSCURRENT');
      let written: string | undefined;
      await rotateThroughFault(
        arn,
        step,
        async () => {
          const put = await harness.sm.send(
            new PutSecretValueCommand({
              SecretId: arn,
              SecretString: JSON.stringify({ ...current, note: 'edited' }),
            }),
          );
          written = put.VersionId;
        },
        async () => undefined,
        false,
      );
      expect(written).toBeDefined();
      await expectConverged(harness, arn, (value) => o.login(value), [...before, written ?? '']);
    },
  );

  it('another writer stored a wrong password twice: setSecret finds the one the database has among older versions', async () => {
    const harness = o.harness();
    const { arn } = await o.makeSecret(`${o.prefix}-stale-${o.strategy}`);
    const before = await versionIds(harness, arn);
    const current = await harness.valueAt(arn, 'AWSCURRENT');
    const first = await rotateThroughFault(
      arn,
      'setSecret',
      async () => {
        for (const typo of ['typo-password-one', 'typo-password-two']) {
          await harness.sm.send(
            new PutSecretValueCommand({
              SecretId: arn,
              SecretString: JSON.stringify({ ...current, password: typo }),
            }),
          );
        }
      },
      async () => undefined,
      false,
    );
    expect(first.failure).toBeUndefined();
    await expectConverged(harness, arn, (value) => o.login(value), before);
  });
};

/** Everything one engine's test file gives to run all the shared scenarios for one strategy. */
export type DatabaseScenarioOptions = FaultScenarioOptions &
  Pick<SingleUserScenarioOptions, 'limitConnections'>;

/** The retry, fault and (for single user) all-or-nothing scenarios. Call inside a `describe`. */
export const databaseScenarios = (o: DatabaseScenarioOptions): void => {
  retryScenarios(o);
  faultScenarios(o);
  if (!o.alternating) singleUserScenarios(o);
};

/**
 * The superuser secret for a user secret with `extra` fields: `masterArn` itself, or, when the
 * user secret reaches the server through another port (a proxy), a copy for that port, since
 * the superuser must be for the same endpoint (the endpoint rule).
 */
export const superuserFor = async (
  harness: RotationHarness,
  masterArn: string,
  extra: Record<string, unknown>,
): Promise<string> =>
  extra.port === undefined ? masterArn : harness.copySecret(masterArn, { port: extra.port });
