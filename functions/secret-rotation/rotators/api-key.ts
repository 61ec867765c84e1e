import { GetSecretValueCommand, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { SecretFormatError, SecretTestFailedError } from '../errors.js';
import { callProvider, checkProviderUrl, ProviderHttpError } from './api-key-http.js';
import {
  DEFAULT_TIMEOUT_MS,
  type ProviderDescription,
  type ProviderRequest,
  providerOf,
  renderJson,
  renderString,
  type TemplateValues,
  valueAt,
} from './api-key-provider.js';
import { type JsonObject, parseJsonObject } from './secret-format.js';
import type { Rotator, RotatorContext, SecretVersion } from './types.js';

/**
 * The API-key rotator: third-party keys that a provider issues over HTTP while the old key
 * still works. The secret is JSON:
 *
 * ```json
 * { "provider": "datadog", "apiKey": "...", "keyId": "...", "applicationKey": "...",
 *   "baseUrl": "https://api.datadoghq.eu", "revokeAfterHours": 0, "retiredKeys": [] }
 * ```
 *
 * - createSecret: if the AWSPENDING version already holds a value (a retry), returns it and
 *   issues nothing; else asks the provider for a new key (authenticated with AWSCURRENT's)
 *   and returns the current value with the new key and id, adding the current key's id to
 *   `retiredKeys`. Retired keys whose delay has passed are left out of the new value: they
 *   are revoked in finishSecret.
 * - setSecret: nothing (the provider made the key live when it issued it).
 * - testSecret: calls the provider's test request with the new key.
 * - finishSecret: revokes the retired keys the new value dropped, before AWSCURRENT moves.
 *   Those were retired by an earlier rotation, so the key they were replaced by has been
 *   AWSCURRENT since: a key is never revoked before its successor is current.
 */

export const API_KEY_ROTATOR = 'api-key';
const KEY_FIELD = 'apiKey';
const ID_FIELD = 'keyId';

interface RetiredKey {
  readonly id: string;
  readonly retiredAt: string;
}

interface ApiKeySecret {
  readonly raw: JsonObject;
  readonly provider: ProviderDescription;
  readonly key: string;
  readonly keyId: string;
  readonly baseUrl: URL;
  readonly revokeAfterHours: number;
  readonly retired: readonly RetiredKey[];
}

const FIX = 'See docs/api-keys.md for the API-key secret format.';

const requireString = (secret: JsonObject, field: string, what: string): string => {
  const value = secret[field];
  if (typeof value !== 'string' || value === '') {
    throw new SecretFormatError(`Field "${field}" of ${what} must be a non-empty string. ${FIX}`, { field });
  }
  return value;
};

/** Parses and checks an API-key secret; errors name the field, never the value. */
export const parseApiKeySecret = (version: SecretVersion, what: string): ApiKeySecret => {
  const raw = parseJsonObject(version.secretString, what, FIX);
  const provider = providerOf(raw);
  const key = requireString(raw, KEY_FIELD, what);
  const keyId = requireString(raw, ID_FIELD, what);
  const base = raw.baseUrl === undefined ? provider.baseUrl : raw.baseUrl;
  if (typeof base !== 'string') {
    throw new SecretFormatError(`Field "baseUrl" of ${what} must be a string URL. ${FIX}`, {
      field: 'baseUrl',
    });
  }
  let baseUrl: URL;
  try {
    baseUrl = new URL(base);
  } catch {
    throw new SecretFormatError(
      `Field "baseUrl" (or provider.baseUrl) of ${what} is not a valid URL. ${FIX}`,
      {
        field: 'baseUrl',
      },
    );
  }
  if (baseUrl.username !== '' || baseUrl.password !== '' || baseUrl.search !== '') {
    throw new SecretFormatError(
      `Field "baseUrl" of ${what} must not carry credentials or a query: secrets never go into URLs. ${FIX}`,
      { field: 'baseUrl' },
    );
  }
  try {
    checkProviderUrl(baseUrl, `Field "baseUrl" of ${what}`);
  } catch (error) {
    throw new SecretFormatError((error as Error).message, { field: 'baseUrl' });
  }
  const delay = raw.revokeAfterHours ?? 0;
  if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
    throw new SecretFormatError(
      `Field "revokeAfterHours" of ${what} must be a number of hours >= 0 (0: revoke at the next rotation). ${FIX}`,
      { field: 'revokeAfterHours' },
    );
  }
  const retiredRaw = raw.retiredKeys ?? [];
  if (
    !Array.isArray(retiredRaw) ||
    !retiredRaw.every(
      (r) =>
        typeof r === 'object' &&
        r !== null &&
        typeof r.id === 'string' &&
        typeof r.retiredAt === 'string' &&
        !Number.isNaN(Date.parse(r.retiredAt)),
    )
  ) {
    throw new SecretFormatError(
      `Field "retiredKeys" of ${what} must be an array of {"id": string, "retiredAt": ISO date}; rekey maintains it. ${FIX}`,
      { field: 'retiredKeys' },
    );
  }
  return {
    raw,
    provider,
    key,
    keyId,
    baseUrl,
    revokeAfterHours: delay,
    retired: retiredRaw as RetiredKey[],
  };
};

type Step = 'create' | 'test' | 'revoke';

/** Sends one described request; returns status and parsed JSON (undefined when not JSON). */
const send = async (
  secret: ApiKeySecret,
  step: Step,
  request: ProviderRequest,
  values: TemplateValues,
): Promise<{ status: number; json: unknown; ok: boolean }> => {
  const where = `provider ${secret.provider.name} ${step} request`;
  const path = request.path.replace(/\{\{\s*id\s*\}\}/g, encodeURIComponent(values.id));
  const base = secret.baseUrl.href.replace(/\/$/, '');
  const url = new URL(`${base}${path}`);
  checkProviderUrl(url, where);
  const headers = Object.fromEntries(
    Object.entries(request.headers ?? {}).map(([name, value]) => [
      name,
      renderString(value, values, `${where} header ${name}`),
    ]),
  );
  const body =
    request.body === undefined
      ? undefined
      : JSON.stringify(renderJson(request.body, values, `${where} body`));
  const answer = await callProvider({
    url,
    method: request.method,
    headers,
    ...(body === undefined ? {} : { body }),
    timeoutMs: secret.provider.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  if (answer.status >= 300 && answer.status < 400) {
    throw new ProviderHttpError(
      `${where} answered a redirect (HTTP ${answer.status}); rekey never follows redirects with credentials. Set baseUrl to the address the provider redirects to.`,
    );
  }
  const ok = request.expectStatus
    ? request.expectStatus.includes(answer.status)
    : answer.status >= 200 && answer.status < 300;
  let json: unknown;
  try {
    json = answer.body === '' ? undefined : JSON.parse(answer.body);
  } catch {
    json = undefined;
  }
  return { status: answer.status, json, ok };
};

/**
 * Sends a request authenticated with `secret`'s own key about key `id`; transport failures
 * (time-out, redirect, oversized answer) are rethrown through `wrap`.
 */
const sendAs = async (
  secret: ApiKeySecret,
  step: Step,
  request: ProviderRequest,
  id: string,
  token: string,
  wrap: (message: string) => Error,
) => {
  try {
    return await send(secret, step, request, valuesFor(secret, secret.key, secret.keyId, id, token));
  } catch (error) {
    if (error instanceof ProviderHttpError) throw wrap(error.message);
    throw error;
  }
};

const valuesFor = (
  secret: ApiKeySecret,
  key: string,
  keyId: string,
  id: string,
  token: string,
): TemplateValues => ({
  key,
  keyId,
  id,
  name: `rekey-${token}`,
  secret: secret.raw,
});

/** The pending value if createSecret already stored one (a retry): never issue a second key. */
const storedPending = async (ctx: RotatorContext): Promise<string | undefined> => {
  try {
    const output = await ctx.secretsManager.send(
      new GetSecretValueCommand({
        SecretId: ctx.secretArn,
        VersionId: ctx.token,
        VersionStage: 'AWSPENDING',
      }),
    );
    return output.SecretString;
  } catch (error) {
    // Secrets Manager creates the AWSPENDING version without a value when a rotation starts.
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
};

const stringAt = (json: unknown, path: string): string | undefined => {
  const value = valueAt(json, path);
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
};

/** Builds the rotator; `now` is injectable so the revocation delay can be tested. */
export const createApiKeyRotator = (options: { readonly now?: () => Date } = {}): Rotator => {
  const now = options.now ?? (() => new Date());
  return {
    name: API_KEY_ROTATOR,
    usesPreviousVersion: false,

    async createPending(current, ctx) {
      const secret = parseApiKeySecret(current, 'the AWSCURRENT version');
      const stored = await storedPending(ctx);
      if (stored !== undefined) {
        ctx.logger.info(
          'AWSPENDING already holds a key from an earlier createSecret; reusing it, issuing none',
        );
        return stored;
      }
      const { provider } = secret;
      const orphan = `The provider may have issued a key named rekey-${ctx.token}: revoke it in the provider's console. AWSCURRENT is unchanged.`;
      // A time-out or a cut-off answer may come after the provider issued the key.
      const answer = await sendAs(
        secret,
        'create',
        provider.create,
        secret.keyId,
        ctx.token,
        (message) => new ProviderHttpError(`${message} ${orphan}`),
      );
      if (!answer.ok) {
        throw new ProviderHttpError(
          `provider ${provider.name} refused to create a key (HTTP ${answer.status}). Check that the current key may create keys; AWSCURRENT is unchanged.`,
        );
      }
      if (answer.json === undefined) {
        throw new ProviderHttpError(
          `provider ${provider.name} answered the create request with no JSON body. ${orphan}`,
        );
      }
      const newKey = stringAt(answer.json, provider.create.keyPath);
      const newId = stringAt(answer.json, provider.create.idPath);
      if (newKey === undefined || newId === undefined) {
        const missing =
          newKey === undefined
            ? `keyPath "${provider.create.keyPath}"`
            : `idPath "${provider.create.idPath}"`;
        throw new ProviderHttpError(
          `provider ${provider.name}'s create response has no string at ${missing}; fix the provider description. ${orphan}`,
        );
      }
      if (newKey === secret.key || newId === secret.keyId) {
        throw new ProviderHttpError(
          `provider ${provider.name} answered the create request with the current key or id, not a new one. AWSCURRENT is unchanged.`,
        );
      }
      const at = now();
      const delayMs = secret.revokeAfterHours * 3_600_000;
      // Keys retired long enough are left out here and revoked by finishSecret.
      const kept = secret.retired.filter(
        (r) => r.id !== secret.keyId && at.getTime() - Date.parse(r.retiredAt) < delayMs,
      );
      ctx.logger.info('Provider issued a new key', { provider: provider.name, newKeyId: newId });
      return JSON.stringify({
        ...secret.raw,
        [KEY_FIELD]: newKey,
        [ID_FIELD]: newId,
        retiredKeys: [...kept, { id: secret.keyId, retiredAt: at.toISOString() }],
      });
    },

    async setSecret() {
      // Nothing to apply: the provider made the new key live when it issued it.
    },

    async testSecret(versions, ctx) {
      const what = `the AWSPENDING version ${versions.pending.versionId}`;
      const pending = parseApiKeySecret(versions.pending, what);
      if (versions.current) {
        const current = parseApiKeySecret(versions.current, 'the AWSCURRENT version');
        if (pending.keyId === current.keyId && pending.key !== current.key) {
          throw new SecretTestFailedError(
            `${what} has the key id of AWSCURRENT with a different key; remove its AWSPENDING label and rotate again.`,
          );
        }
      }
      const { provider } = pending;
      const answer = await sendAs(
        pending,
        'test',
        provider.test,
        pending.keyId,
        ctx.token,
        (message) =>
          new SecretTestFailedError(`Testing the new key failed: ${message} AWSCURRENT is unchanged.`),
      );
      const expect = provider.test.expect;
      if (!answer.ok) {
        throw new SecretTestFailedError(
          `provider ${provider.name} did not accept the new key ${pending.keyId} (HTTP ${answer.status}); AWSCURRENT is unchanged and still works. Rotate again once the provider accepts new keys.`,
        );
      }
      if (expect && valueAt(answer.json, expect.path) !== expect.equals) {
        throw new SecretTestFailedError(
          `provider ${provider.name}'s test response for key ${pending.keyId} lacks ${expect.path} = ${JSON.stringify(expect.equals)}; AWSCURRENT is unchanged and still works.`,
        );
      }
      ctx.logger.info('Provider accepted the new key', { provider: provider.name, keyId: pending.keyId });
    },

    async finishSecret(versions, ctx) {
      const current = parseApiKeySecret(versions.current, 'the AWSCURRENT version');
      const pending = parseApiKeySecret(
        versions.pending,
        `the AWSPENDING version ${versions.pending.versionId}`,
      );
      const keep = new Set([...pending.retired.map((r) => r.id), pending.keyId, current.keyId]);
      const due = current.retired.filter((r) => !keep.has(r.id));
      for (const retired of due) {
        const request = current.provider.revoke;
        // Authenticated with AWSCURRENT's key, which is still valid until the next rotation.
        const answer = await sendAs(
          current,
          'revoke',
          request,
          retired.id,
          ctx.token,
          (message) => new ProviderHttpError(`${message} AWSCURRENT is unchanged; the rotation retries.`),
        );
        if ((request.goneStatus ?? [404]).includes(answer.status)) {
          ctx.logger.info('Retired key was already revoked', { keyId: retired.id });
          continue;
        }
        if (!answer.ok) {
          throw new ProviderHttpError(
            `provider ${current.provider.name} refused to revoke retired key ${retired.id} (HTTP ${answer.status}); AWSCURRENT is unchanged. The rotation retries.`,
          );
        }
        ctx.logger.info('Revoked retired key', { provider: current.provider.name, keyId: retired.id });
      }
    },
  };
};
