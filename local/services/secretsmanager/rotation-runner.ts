/**
 * Runs rotations as AWS does: RotateSecret answers at once and the function's four steps run
 * after the response ("RotateSecret ... returns immediately; the rotation runs asynchronously"),
 * or before it with `syncRotation`. A secret runs one rotation at a time. Failures are reported
 * out of band, as on AWS, in a per-secret rotation log (`/_rekey/secretsmanager/rotations`).
 */
import { randomUUID } from 'node:crypto';
import { AwsError } from '../../aws-error.js';
import { FunctionInvocationError, type LambdaRegistry } from '../../lambdas.js';
import type { Clock } from '../../server.js';
import type { RequestContext } from '../../types.js';
import type { SecretsModel } from './model.js';
import { CURRENT, compact, PENDING, type RotationLogEntry, type SecretRecord } from './records.js';
import { nextRotationDate } from './schedule.js';
import { attachStage, holderOf, versionById } from './versions.js';

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
const MAX_ROTATION_LOG = 100;

const errorTypeOf = (error: unknown): string =>
  error instanceof FunctionInvocationError
    ? error.errorType
    : error instanceof AwsError
      ? error.type
      : error instanceof Error
        ? error.name
        : 'Error';

export class RotationRunner {
  /** Rotations running after their RotateSecret answered, by secret. */
  readonly #inFlight = new Map<SecretRecord, Promise<void>>();

  public constructor(
    private readonly deps: {
      model: SecretsModel;
      lambdas: LambdaRegistry;
      clock: Clock;
      /** Run the steps before answering RotateSecret. */
      syncRotation?: boolean;
      /** Called when a rotation changed state after its response. */
      onBackgroundChange?: () => void;
    },
  ) {}

  public inProgress(secret: SecretRecord): boolean {
    return this.#inFlight.has(secret);
  }

  /** Resolves once every running rotation has finished (or failed). */
  public async finish(): Promise<void> {
    while (this.#inFlight.size) await Promise.all(this.#inFlight.values());
  }

  /** Runs the four steps with `token`; a failed step ends the rotation (AWSPENDING stays behind). */
  public rotate(secret: SecretRecord, lambdaArn: string, token: string, ctx: RequestContext): Promise<void> {
    return this.#start(secret, async () => {
      for (const step of STEPS) {
        if (!(await this.#runStep(secret, lambdaArn, step, token, ctx))) return;
      }
      const finished = versionById(secret, token);
      if (finished?.stages.includes(CURRENT)) {
        const done = this.deps.clock.now().getTime();
        secret.lastRotatedMs = done;
        if (secret.rotationRules) secret.nextRotationMs = nextRotationDate(secret.rotationRules, done, done);
        this.deps.model.markChanged(secret);
      } else {
        this.#log(secret, {
          clientRequestToken: token,
          step: 'finishSecret',
          outcome: 'failed',
          errorType: 'RotationIncompleteError',
          message: `The function finished every step but version ${token} is not AWSCURRENT; the rotation is not complete.`,
        });
      }
    });
  }

  /**
   * RotateImmediately false: AWS tests the configuration by running only testSecret: "The test
   * creates an AWSPENDING version of the secret and then removes it." The test version carries
   * the current value, so the function can read and test it exactly as in a rotation.
   */
  public testConfiguration(
    secret: SecretRecord,
    lambdaArn: string,
    now: number,
    ctx: RequestContext,
  ): Promise<void> {
    return this.#start(secret, async () => {
      const current = holderOf(secret, CURRENT);
      const testToken = randomUUID();
      if (!current) {
        this.#log(secret, {
          clientRequestToken: testToken,
          step: 'testSecret',
          outcome: 'failed',
          errorType: 'ResourceNotFoundException',
          message: 'The secret has no AWSCURRENT version to test rotation with.',
        });
        return;
      }
      const previousPending = holderOf(secret, PENDING);
      secret.versions.push({
        versionId: testToken,
        ...compact({ secretString: current.secretString, secretBinary: current.secretBinary }),
        stages: [],
        createdMs: now,
      });
      const test = versionById(secret, testToken);
      if (test) attachStage(secret, test, PENDING);
      await this.#runStep(secret, lambdaArn, 'testSecret', testToken, ctx);
      secret.versions = secret.versions.filter((v) => v.versionId !== testToken);
      if (previousPending && versionById(secret, previousPending.versionId)) {
        attachStage(secret, previousPending, PENDING);
      }
    });
  }

  #log(secret: SecretRecord, entry: Omit<RotationLogEntry, 'time'>): void {
    secret.rotationLog.push({ ...entry, time: this.deps.clock.now().getTime() / 1000 });
    this.deps.model.markChanged(secret);
    if (secret.rotationLog.length > MAX_ROTATION_LOG)
      secret.rotationLog.splice(0, secret.rotationLog.length - MAX_ROTATION_LOG);
  }

  /** Invokes one rotation step; returns false (after logging it) when the step failed. */
  async #runStep(
    secret: SecretRecord,
    arn: string,
    step: string,
    token: string,
    ctx: RequestContext,
  ): Promise<boolean> {
    const payload = {
      Step: step,
      SecretId: secret.arn,
      ClientRequestToken: token,
      RotationToken: randomUUID(),
    };
    try {
      await this.deps.lambdas.invoke(arn, payload, ctx);
      this.#log(secret, { clientRequestToken: token, step, outcome: 'succeeded' });
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#log(secret, {
        clientRequestToken: token,
        step,
        outcome: 'failed',
        errorType: errorTypeOf(error),
        message,
      });
      return false;
    }
  }

  /** Runs `work` after the response (or before it with `syncRotation`), one rotation per secret. */
  async #start(secret: SecretRecord, work: () => Promise<void>): Promise<void> {
    const running = work()
      .catch((error: unknown) => {
        // #runStep catches what a function throws; this is an emulator fault. Logged, never thrown.
        this.#log(secret, {
          clientRequestToken: '-',
          step: 'rotation',
          outcome: 'failed',
          errorType: 'InternalFailure',
          message: error instanceof Error ? error.message : String(error),
        });
      })
      .finally(() => {
        this.#inFlight.delete(secret);
        this.deps.model.markChanged(secret);
        this.deps.onBackgroundChange?.();
      });
    this.#inFlight.set(secret, running);
    if (this.deps.syncRotation) await running;
  }
}
