/**
 * Shared set-up of the key-rotation integration tests: a local endpoint, clients that act as
 * one account, key and alias factories, key-material import as a key owner does it, the
 * published events, and a runner for the real state machine with the real handler.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes, randomUUID } from 'node:crypto';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  type CreateKeyCommandInput,
  DescribeKeyCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  type KeyMetadata,
  KMSClient,
  ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll } from 'vitest';
import { createClients, type KeyRotationClients } from '../../../functions/key-rotation/clients.js';
import { createHandler } from '../../../functions/key-rotation/handler.js';
import {
  functionCredentials,
  LOCAL_STACK_NAME,
  TemplateIdentities,
} from '../../../local/core/iam/identities.js';
import { KEY_ROTATION_FUNCTION } from '../../../local/workflows.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import {
  type RunStateMachineOptions,
  runStateMachine,
  type WorkflowRun,
} from '../../helpers/state-machine.js';

export const ACCOUNT = '310987654321';
export const REGION = 'eu-central-1';
export const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rekey-key-rotation`;
/**
 * The handler signs as the key-rotation function's role, so the local endpoint enforces the
 * policies template.yaml gives that role, with the role ARN and the retiring-alias namespace of
 * the stack `rekey` (its REKEY_ROLE_ARN and REKEY_RETIRING_ALIAS_PREFIX).
 */
const functionIdentity = functionCredentials(KEY_ROTATION_FUNCTION, ACCOUNT);
export const ROLE_ARN = new TemplateIdentities().role(KEY_ROTATION_FUNCTION, ACCOUNT, REGION).roleArn;
export const RETIRING_PREFIX = `alias/rekey-retiring/${LOCAL_STACK_NAME}/`;
/** The stack's event bus (template.yaml EventBusName default), the only one the role may publish to. */
export const EVENT_BUS = 'rekey';

export interface Harness {
  endpoint: TestEndpoint;
  kms(region?: string): KMSClient;
  secrets: SecretsManagerClient;
  /** Clients of the rotation handler; `shiftClock(ms)` moves only the handler's notion of now. */
  clients: KeyRotationClients;
  shiftClock(ms: number): void;
  close(): Promise<void>;
}

export const startHarness = async (): Promise<Harness> => {
  const endpoint = await startTestEndpoint({
    account: ACCOUNT,
    region: REGION,
    secretAccessKey: 'local',
    defaultFunctions: true,
  });
  // The stack creates its bus; the handler publishes there.
  await new EventBridgeClient(endpoint.clientConfig).send(new CreateEventBusCommand({ Name: EVENT_BUS }));
  const kmsClients = new Map<string, KMSClient>();
  let offset = 0;
  return {
    endpoint,
    kms: (region = REGION) => {
      let client = kmsClients.get(region);
      if (!client) {
        client = new KMSClient(endpoint.configFor({ region }));
        kmsClients.set(region, client);
      }
      return client;
    },
    secrets: new SecretsManagerClient(endpoint.clientConfig),
    clients: createClients({
      region: REGION,
      endpoint: endpoint.url,
      credentials: functionIdentity,
      now: () => new Date(Date.now() + offset),
      // As deployed: the role is named in unproven successors' key policies, and retiring keys
      // get an alias in the stack's own namespace.
      access: { roleArn: ROLE_ARN, retiringAliasPrefix: RETIRING_PREFIX },
    }),
    shiftClock: (ms) => {
      offset += ms;
    },
    close: () => endpoint.close(),
  };
};

/**
 * Starts a harness for the calling test file: before its tests run, and closed after them. The
 * returned object forwards to that harness, so a file declares `const h = useHarness();` once
 * instead of repeating the beforeAll/afterAll pair.
 */
export const useHarness = (): Harness => {
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await startHarness();
  });
  afterAll(async () => {
    await started?.close();
  });
  const current = (): Harness => {
    if (!started) throw new Error('The key-rotation harness starts in beforeAll: use it inside a test.');
    return started;
  };
  return {
    get endpoint() {
      return current().endpoint;
    },
    kms: (region) => current().kms(region),
    get secrets() {
      return current().secrets;
    },
    get clients() {
      return current().clients;
    },
    shiftClock: (ms) => current().shiftClock(ms),
    close: () => current().close(),
  };
};

/** A fresh alias name, so tests never collide. */
/** Under the template's ManagedKeyAliasPattern default (alias/rekey/*): the keys the role may rotate. */
export const aliasName = (prefix: string): string => `alias/rekey/${prefix}-${randomUUID().slice(0, 8)}`;

/** Creates a key with a description, a tag and an alias; returns its metadata. */
export const createAliasedKey = async (
  h: Harness,
  alias: string,
  input: CreateKeyCommandInput,
): Promise<KeyMetadata> => {
  const made = await h.kms().send(
    new CreateKeyCommand({
      Description: `rekey test ${alias}`,
      Tags: [{ TagKey: 'team', TagValue: 'payments' }],
      ...input,
    }),
  );
  const meta = made.KeyMetadata;
  if (!meta?.KeyId) throw new Error('CreateKey returned no key');
  if (input.Origin === 'EXTERNAL')
    await importKeyMaterial(h, meta.KeyId, meta.KeySpec ?? 'SYMMETRIC_DEFAULT');
  await h.kms().send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: meta.KeyId }));
  return meta;
};

/** What a key owner does for an EXTERNAL key: GetParametersForImport, wrap, ImportKeyMaterial. */
export const importKeyMaterial = async (h: Harness, keyId: string, keySpec: string, region = REGION) => {
  const kms = h.kms(region);
  const params = await kms.send(
    new GetParametersForImportCommand({
      KeyId: keyId,
      WrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      WrappingKeySpec: 'RSA_2048',
    }),
  );
  if (!params.PublicKey || !params.ImportToken)
    throw new Error('GetParametersForImport returned no parameters');
  // 32 bytes suits SYMMETRIC_DEFAULT and HMAC_256 (HMAC accepts its digest length and more).
  const material = randomBytes(keySpec === 'SYMMETRIC_DEFAULT' || keySpec === 'HMAC_256' ? 32 : 64);
  const wrapped = publicEncrypt(
    {
      key: createPublicKey({ key: Buffer.from(params.PublicKey), format: 'der', type: 'spki' }),
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
    },
    material,
  );
  await kms.send(
    new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: wrapped,
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    }),
  );
};

export const describeKey = async (h: Harness, keyId: string, region = REGION): Promise<KeyMetadata> => {
  const meta = (await h.kms(region).send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  if (!meta) throw new Error(`no key ${keyId}`);
  return meta;
};

export const tagsOf = async (h: Harness, keyId: string, region = REGION): Promise<Record<string, string>> => {
  const tags = (await h.kms(region).send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags ?? [];
  return Object.fromEntries(tags.map((t) => [t.TagKey ?? '', t.TagValue ?? '']));
};

export interface PublishedEvent {
  'detail-type': string;
  source: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** Events on the stack's bus in the test account, read through the local EventBridge's admin route. */
export const publishedEvents = async (h: Harness): Promise<PublishedEvent[]> =>
  (await h.endpoint.admin.readEvents({ eventBusName: EVENT_BUS })).events;

/** Events of one alias's rotations. */
export const eventsFor = async (h: Harness, alias: string): Promise<PublishedEvent[]> =>
  (await publishedEvents(h)).filter((e) => e.source === 'rekey' && e.detail.alias === alias);

/**
 * Runs statemachines/key-rotation.asl.json with every Task on the real handler (clients on the
 * local endpoint); `tasks` overrides single states by name, e.g. to inject a failure.
 */
export const rotate = (
  h: Harness,
  input: Record<string, unknown>,
  options: Partial<Pick<RunStateMachineOptions, 'tasks' | 'waitOverrides' | 'onEvent' | 'retryDelayMs'>> = {},
): Promise<WorkflowRun> => {
  const handler = createHandler(h.clients);
  return runStateMachine({
    aslPath: 'statemachines/key-rotation.asl.json',
    substitutions: { KeyRotationFunctionArn: FUNCTION_ARN, EventBusName: EVENT_BUS },
    tasks: { [FUNCTION_ARN]: handler, ...options.tasks },
    input: { gracePeriodSeconds: 0, retentionSeconds: 0, ...input },
    region: REGION,
    accountId: ACCOUNT,
    stateMachineName: 'rekey-key-rotation',
    ...(options.waitOverrides ? { waitOverrides: options.waitOverrides } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
  });
};

/** The real handler, for tests that wrap it. */
export const realHandler = (h: Harness) => createHandler(h.clients);

/** A failure a test injects into one state of the workflow (a Task override throws it). */
export class InjectedFailureError extends Error {
  public constructor(step: string) {
    super(`injected failure in ${step}`);
    this.name = 'InjectedFailureError';
  }
}
