import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  DescribeSecretCommand,
  type DescribeSecretCommandInput,
  GetSecretValueCommand,
  type GetSecretValueCommandInput,
  InvalidParameterException,
  PutSecretValueCommand,
  type PutSecretValueCommandInput,
  ResourceExistsException,
  ResourceNotFoundException,
  UpdateSecretVersionStageCommand,
  type UpdateSecretVersionStageCommandInput,
} from '@aws-sdk/client-secrets-manager';
import type { AwsStub } from 'aws-sdk-client-mock';
import { vi } from 'vitest';

type StepName = 'create' | 'set' | 'test' | 'finish';

/** Loads a sample event from events/ (the files `sam local invoke -e` takes), as a fresh copy. */
export const loadEvent = (step: StepName): Record<string, unknown> =>
  structuredClone(
    JSON.parse(
      readFileSync(new URL(`../../../events/secret-rotation-${step}.json`, import.meta.url), 'utf8'),
    ),
  ) as Record<string, unknown>;

const meta = { $metadata: {} };

interface Version {
  value?: string;
  stages: Set<string>;
}

/**
 * A small stand-in for one secret in Secrets Manager, following the API reference for the
 * four calls the protocol makes: labels sit on one version at a time, moving AWSCURRENT moves
 * AWSPREVIOUS, PutSecretValue with an existing token and different data is
 * ResourceExistsException, GetSecretValue of a version without a value is ResourceNotFound.
 */
export class FakeSecret {
  public readonly arn: string;
  public rotationEnabled = true;
  public tags: Record<string, string> = {};
  readonly #versions = new Map<string, Version>();

  public constructor(name: string) {
    this.arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;
  }

  /** Adds a version; `value` undefined makes the empty placeholder RotateSecret creates. */
  public addVersion(id: string, value: string | undefined, stages: string[]): this {
    for (const stage of stages) this.#detach(stage);
    this.#versions.set(id, { ...(value === undefined ? {} : { value }), stages: new Set(stages) });
    return this;
  }

  public stagesOf(id: string): string[] {
    return [...(this.#versions.get(id)?.stages ?? [])].sort();
  }

  public valueOf(id: string): string | undefined {
    return this.#versions.get(id)?.value;
  }

  public versionWith(stage: string): string | undefined {
    return [...this.#versions].find(([, v]) => v.stages.has(stage))?.[0];
  }

  /** Everything observable, for before/after comparisons. */
  public snapshot(): Record<string, { value: string | undefined; stages: string[] }> {
    return Object.fromEntries(
      [...this.#versions].map(([id, v]) => [id, { value: v.value, stages: [...v.stages].sort() }]),
    );
  }

  #detach(stage: string): string | undefined {
    for (const [id, v] of this.#versions) {
      if (v.stages.delete(stage)) return id;
    }
    return undefined;
  }

  #check(secretId: string | undefined) {
    if (secretId !== this.arn) {
      throw new ResourceNotFoundException({
        ...meta,
        message: "Secrets Manager can't find the specified secret.",
      });
    }
  }

  public describe(input: DescribeSecretCommandInput) {
    this.#check(input.SecretId);
    return {
      ARN: this.arn,
      Name: this.arn,
      RotationEnabled: this.rotationEnabled,
      VersionIdsToStages: Object.fromEntries(
        [...this.#versions].filter(([, v]) => v.stages.size > 0).map(([id, v]) => [id, [...v.stages]]),
      ),
      Tags: Object.entries(this.tags).map(([Key, Value]) => ({ Key, Value })),
    };
  }

  public get(input: GetSecretValueCommandInput) {
    this.#check(input.SecretId);
    const id = input.VersionId ?? this.versionWith(input.VersionStage ?? 'AWSCURRENT');
    const version = id === undefined ? undefined : this.#versions.get(id);
    if (
      !version ||
      version.value === undefined ||
      (input.VersionStage && !version.stages.has(input.VersionStage))
    ) {
      throw new ResourceNotFoundException({
        ...meta,
        message: "Secrets Manager can't find the specified secret value for VersionId or VersionStage.",
      });
    }
    return { ARN: this.arn, VersionId: id, SecretString: version.value, VersionStages: [...version.stages] };
  }

  public put(input: PutSecretValueCommandInput) {
    this.#check(input.SecretId);
    const id = input.ClientRequestToken ?? 'generated-token-0000000000000000000000';
    const existing = this.#versions.get(id);
    if (existing?.value !== undefined) {
      if (existing.value !== input.SecretString) {
        throw new ResourceExistsException({
          ...meta,
          message: 'You can’t modify an existing version, you can only create a new version.',
        });
      }
      return { ARN: this.arn, VersionId: id, VersionStages: [...existing.stages] };
    }
    const stages = input.VersionStages ?? ['AWSCURRENT'];
    const version: Version = existing ?? { stages: new Set() };
    version.value = input.SecretString ?? '';
    this.#versions.set(id, version);
    for (const stage of stages) {
      const from = this.#detach(stage);
      version.stages.add(stage);
      if (stage === 'AWSCURRENT' && from !== undefined && from !== id) this.#moveTo('AWSPREVIOUS', from);
    }
    return { ARN: this.arn, VersionId: id, VersionStages: [...version.stages] };
  }

  #moveTo(stage: string, id: string) {
    this.#detach(stage);
    this.#versions.get(id)?.stages.add(stage);
  }

  public updateStage(input: UpdateSecretVersionStageCommandInput) {
    this.#check(input.SecretId);
    const stage = input.VersionStage ?? '';
    const holder = this.versionWith(stage);
    if (input.MoveToVersionId !== undefined && holder !== undefined && holder !== input.MoveToVersionId) {
      if (input.RemoveFromVersionId !== holder) {
        throw new InvalidParameterException({
          ...meta,
          message: `The staging label ${stage} is currently attached to version ${holder}; specify it in RemoveFromVersionId.`,
        });
      }
    }
    if (input.RemoveFromVersionId !== undefined)
      this.#versions.get(input.RemoveFromVersionId)?.stages.delete(stage);
    if (input.MoveToVersionId !== undefined) {
      this.#versions.get(input.MoveToVersionId)?.stages.add(stage);
      if (stage === 'AWSCURRENT' && holder !== undefined && holder !== input.MoveToVersionId) {
        this.#moveTo('AWSPREVIOUS', holder);
      }
    }
    return { ARN: this.arn };
  }

  /** Routes the mocked client's four commands to this secret. */
  // biome-ignore lint/suspicious/noExplicitAny: aws-sdk-client-mock's stub type is generic over every client
  public attach(mock: AwsStub<any, any, any>): this {
    mock.on(DescribeSecretCommand).callsFake((input: DescribeSecretCommandInput) => this.describe(input));
    mock.on(GetSecretValueCommand).callsFake((input: GetSecretValueCommandInput) => this.get(input));
    mock.on(PutSecretValueCommand).callsFake((input: PutSecretValueCommandInput) => this.put(input));
    mock
      .on(UpdateSecretVersionStageCommand)
      .callsFake((input: UpdateSecretVersionStageCommandInput) => this.updateStage(input));
    return this;
  }
}

/** Captures everything the Powertools logger prints (it writes to process.stdout/stderr). */
export const captureLogs = () => {
  const lines: string[] = [];
  const record = (chunk: unknown) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(record);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(record);
  return {
    text: () => lines.join(''),
    entries: () =>
      lines
        .join('')
        .split('\n')
        .filter((line) => line.trim().startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
};

/** A logger at DEBUG level, so tests see every line the function could print. */
export const testLogger = () => new Logger({ serviceName: 'rekey-test', logLevel: 'DEBUG' });
