import { SecretFormatError } from '../errors.js';
import type { JsonObject } from './secret-format.js';

/**
 * Declarative descriptions of third-party API-key providers: how to create, test and revoke
 * a key over HTTP. A new provider needs no code, only a description, given inline in the
 * secret's `provider` field or by the name of one shipped here. See docs/api-keys.md.
 *
 * Placeholders (`{{...}}`) in header values and body strings:
 * - `{{key}}`, `{{keyId}}`: the key making the request (AWSCURRENT's to create and revoke,
 *   the new one to test) and its id; `{{basicAuth}}` is base64(`keyId:key`);
 * - `{{id}}`: the key the request is about (the new key to test, the retired key to revoke);
 * - `{{name}}`: `rekey-<version id>`, a name for the new key so an operator can find it;
 * - `{{secret.FIELD}}`: a string field of the AWSCURRENT secret (e.g. an application key).
 * Paths take `{{id}}` only (URL-encoded): secrets never go into URLs.
 */

export interface ProviderRequest {
  readonly method: string;
  /** Path below `baseUrl`, may hold `{{id}}`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON body; strings inside may hold placeholders. */
  readonly body?: unknown;
  /** Statuses meaning success (default: any 2xx). */
  readonly expectStatus?: readonly number[];
}

export interface ProviderDescription {
  readonly name: string;
  /** `https://` origin (and optional base path); the secret's `baseUrl` field overrides it. */
  readonly baseUrl: string;
  /** Where the documentation of these endpoints is. */
  readonly documentation?: string;
  readonly create: ProviderRequest & {
    /** Dotted path of the new key in the JSON response, e.g. `data.attributes.key`. */
    readonly keyPath: string;
    /** Dotted path of the new key's id in the JSON response. */
    readonly idPath: string;
  };
  readonly test: ProviderRequest & {
    /** Optional check of the JSON response: the value at `path` must equal `equals`. */
    readonly expect?: { readonly path: string; readonly equals: string | number | boolean };
  };
  readonly revoke: ProviderRequest & {
    /** Statuses meaning "no such key any more", i.e. already revoked (default [404]). */
    readonly goneStatus?: readonly number[];
  };
  /** Per-request time limit in ms (default 10000, at most 30000). */
  readonly timeoutMs?: number;
}

const REQUEST_NAMES = ['create', 'test', 'revoke'] as const;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const TOP_FIELDS = new Set(['name', 'baseUrl', 'documentation', 'create', 'test', 'revoke', 'timeoutMs']);
const REQUEST_FIELDS: Record<(typeof REQUEST_NAMES)[number], Set<string>> = {
  create: new Set(['method', 'path', 'headers', 'body', 'expectStatus', 'keyPath', 'idPath']),
  test: new Set(['method', 'path', 'headers', 'body', 'expectStatus', 'expect']),
  revoke: new Set(['method', 'path', 'headers', 'body', 'expectStatus', 'goneStatus']),
};
export const MAX_TIMEOUT_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Datadog API keys. Create: POST /api/v2/api_keys (needs an application key whose user has
 * `api_keys_write` and, to revoke, `api_keys_delete`, kept in the secret's `applicationKey`); response `data.id`,
 * `data.attributes.key`. Test: GET /api/v1/validate with the new key → `{"valid": true}`.
 * Revoke: DELETE /api/v2/api_keys/{api_key_id}.
 */
export const DATADOG: ProviderDescription = {
  name: 'datadog',
  baseUrl: 'https://api.datadoghq.com',
  documentation: 'https://docs.datadoghq.com/api/latest/key-management/',
  create: {
    method: 'POST',
    path: '/api/v2/api_keys',
    headers: { 'DD-API-KEY': '{{key}}', 'DD-APPLICATION-KEY': '{{secret.applicationKey}}' },
    body: { data: { type: 'api_keys', attributes: { name: '{{name}}' } } },
    keyPath: 'data.attributes.key',
    idPath: 'data.id',
  },
  test: {
    method: 'GET',
    path: '/api/v1/validate',
    headers: { 'DD-API-KEY': '{{key}}' },
    expect: { path: 'valid', equals: true },
  },
  revoke: {
    method: 'DELETE',
    path: '/api/v2/api_keys/{{id}}',
    headers: { 'DD-API-KEY': '{{key}}', 'DD-APPLICATION-KEY': '{{secret.applicationKey}}' },
  },
};

/**
 * Confluent Cloud API keys (IAM v2), rotating a Cloud API key with itself: HTTP Basic with
 * key id and secret. Create: POST /iam/v2/api-keys with `spec.owner.id` and
 * `spec.resource.id` from the secret's `ownerId` and `resourceId`; response `id`,
 * `spec.secret`. Test: GET /iam/v2/api-keys/{id} as the new key. Revoke: DELETE
 * /iam/v2/api-keys/{id}.
 */
export const CONFLUENT_CLOUD: ProviderDescription = {
  name: 'confluent-cloud',
  baseUrl: 'https://api.confluent.cloud',
  documentation: 'https://docs.confluent.io/cloud/current/ccloud/api-keys-iam-v-2/',
  create: {
    method: 'POST',
    path: '/iam/v2/api-keys',
    headers: { Authorization: 'Basic {{basicAuth}}' },
    body: {
      spec: {
        display_name: '{{name}}',
        description: 'Created by rekey rotation',
        owner: { id: '{{secret.ownerId}}' },
        resource: { id: '{{secret.resourceId}}' },
      },
    },
    keyPath: 'spec.secret',
    idPath: 'id',
  },
  test: {
    method: 'GET',
    path: '/iam/v2/api-keys/{{id}}',
    headers: { Authorization: 'Basic {{basicAuth}}' },
  },
  revoke: {
    method: 'DELETE',
    path: '/iam/v2/api-keys/{{id}}',
    headers: { Authorization: 'Basic {{basicAuth}}' },
  },
};

/** Descriptions shipped with rekey, by name (the secret's `provider` may name one). */
export const BUILT_IN_PROVIDERS: Readonly<Record<string, ProviderDescription>> = {
  datadog: DATADOG,
  'confluent-cloud': CONFLUENT_CLOUD,
};

const fail = (field: string, problem: string): never => {
  throw new SecretFormatError(
    `Field "provider.${field}" ${problem} See docs/api-keys.md for the provider description format.`,
    { field: `provider.${field}` },
  );
};

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const checkStatuses = (value: unknown, field: string): void => {
  if (value === undefined) return;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)
  ) {
    fail(field, 'must be a non-empty array of HTTP status codes.');
  }
};

const checkRequest = (value: unknown, which: (typeof REQUEST_NAMES)[number]): void => {
  if (!isObject(value)) {
    fail(which, 'must be an object describing the request.');
    return;
  }
  for (const key of Object.keys(value)) {
    if (!REQUEST_FIELDS[which].has(key)) {
      fail(`${which}.${key}`, `is not a known field; allowed: ${[...REQUEST_FIELDS[which]].join(', ')}.`);
    }
  }
  if (typeof value.method !== 'string' || !METHODS.has(value.method)) {
    fail(`${which}.method`, `must be one of ${[...METHODS].join(', ')}.`);
  }
  if (typeof value.path !== 'string' || !value.path.startsWith('/')) {
    fail(`${which}.path`, 'must be a string starting with "/".');
  }
  const placeholders = String(value.path).match(/\{\{[^}]*\}\}/g) ?? [];
  if (placeholders.some((p) => p !== '{{id}}')) {
    fail(`${which}.path`, 'may hold only the {{id}} placeholder: keys and secret fields never go into URLs.');
  }
  if (value.headers !== undefined) {
    if (!isObject(value.headers) || !Object.values(value.headers).every((h) => typeof h === 'string')) {
      fail(`${which}.headers`, 'must be an object of string header values.');
    }
  }
  checkStatuses(value.expectStatus, `${which}.expectStatus`);
  if (which === 'create') {
    for (const path of ['keyPath', 'idPath'] as const) {
      if (typeof value[path] !== 'string' || value[path] === '') {
        fail(`create.${path}`, 'must name, as a dotted path, where the response JSON holds it.');
      }
    }
  }
  if (which === 'revoke') checkStatuses(value.goneStatus, 'revoke.goneStatus');
  if (which === 'test' && value.expect !== undefined) {
    const expect = value.expect;
    if (
      !isObject(expect) ||
      typeof expect.path !== 'string' ||
      !['string', 'number', 'boolean'].includes(typeof expect.equals)
    ) {
      fail('test.expect', 'must be {"path": "dotted.path", "equals": <string|number|boolean>}.');
    }
  }
};

/**
 * The provider of an API-key secret: its `provider` field, a shipped description's name or
 * an inline description. Throws `SecretFormatError` naming the field at fault.
 */
export const providerOf = (secret: JsonObject): ProviderDescription => {
  const value = secret.provider;
  if (typeof value === 'string') {
    const known = Object.hasOwn(BUILT_IN_PROVIDERS, value) ? BUILT_IN_PROVIDERS[value] : undefined;
    if (!known) {
      throw new SecretFormatError(
        `Field "provider" names '${value}', which rekey does not ship; known: ${Object.keys(BUILT_IN_PROVIDERS).join(', ')}. Name one of them or give an inline description (docs/api-keys.md).`,
        { field: 'provider' },
      );
    }
    return known;
  }
  if (!isObject(value)) {
    throw new SecretFormatError(
      `Field "provider" is missing: set it to a shipped provider (${Object.keys(BUILT_IN_PROVIDERS).join(', ')}) or an inline description (docs/api-keys.md).`,
      { field: 'provider' },
    );
  }
  for (const key of Object.keys(value)) {
    if (!TOP_FIELDS.has(key)) fail(key, `is not a known field; allowed: ${[...TOP_FIELDS].join(', ')}.`);
  }
  if (typeof value.name !== 'string' || value.name === '') fail('name', 'must be a non-empty string.');
  if (typeof value.baseUrl !== 'string') fail('baseUrl', "must be the provider API's https:// address.");
  for (const which of REQUEST_NAMES) checkRequest(value[which], which);
  if (
    value.timeoutMs !== undefined &&
    (!Number.isInteger(value.timeoutMs) ||
      Number(value.timeoutMs) < 1 ||
      Number(value.timeoutMs) > MAX_TIMEOUT_MS)
  ) {
    fail('timeoutMs', `must be an integer from 1 to ${MAX_TIMEOUT_MS}.`);
  }
  return value as unknown as ProviderDescription;
};

/** What placeholders stand for in one request. Never logged. */
export interface TemplateValues {
  readonly key: string;
  readonly keyId: string;
  readonly id: string;
  readonly name: string;
  readonly secret: JsonObject;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;

/** Replaces placeholders in one string; an unknown one or a missing secret field fails, naming it. */
export const renderString = (template: string, values: TemplateValues, where: string): string =>
  template.replace(PLACEHOLDER, (_match, name: string) => {
    if (name === 'key') return values.key;
    if (name === 'keyId') return values.keyId;
    if (name === 'id') return values.id;
    if (name === 'name') return values.name;
    if (name === 'basicAuth') return Buffer.from(`${values.keyId}:${values.key}`).toString('base64');
    if (name.startsWith('secret.')) {
      const field = name.slice('secret.'.length);
      const found = Object.hasOwn(values.secret, field) ? values.secret[field] : undefined;
      if (typeof found !== 'string') {
        throw new SecretFormatError(
          `${where} uses {{${name}}}, but the secret has no string field "${field}". Add it to the secret.`,
          { field },
        );
      }
      return found;
    }
    throw new SecretFormatError(
      `${where} uses the unknown placeholder {{${name}}}; known: key, keyId, id, name, basicAuth, secret.FIELD.`,
      { field: where },
    );
  });

/** Renders every string inside a JSON body. */
export const renderJson = (value: unknown, values: TemplateValues, where: string): unknown => {
  if (typeof value === 'string') return renderString(value, values, where);
  if (Array.isArray(value)) return value.map((item) => renderJson(item, values, where));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v, values, where)]));
  }
  return value;
};

/** The value at a dotted path of parsed JSON, or undefined. */
export const valueAt = (value: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, part) => {
    if (Array.isArray(node) && /^\d+$/.test(part)) return node[Number(part)];
    return isObject(node) && Object.hasOwn(node, part) ? node[part] : undefined;
  }, value);
