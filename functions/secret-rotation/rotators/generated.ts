import { SecretFormatError, SecretTestFailedError } from '../errors.js';
import { passwordPolicyFromTags } from '../password.js';
import {
  looksLikeJsonObject,
  parseJsonObject,
  replaceTopLevelField,
  requireStringField,
  tryParseJsonObject,
} from './secret-format.js';
import type { PasswordPolicy, Rotator, SecretVersion } from './types.js';

/** Tag naming the JSON field the generated rotator replaces (default `password`). */
export const FIELD_TAG = 'rekey:field';
export const DEFAULT_FIELD = 'password';

/** How a generated secret stores its credential. */
export type GeneratedShape = { readonly kind: 'plain' } | { readonly kind: 'json'; readonly field: string };

/**
 * Decides how the secret holds its credential:
 * - tag `rekey:field` set: the value must be a JSON object and that field is replaced;
 * - else a JSON object value: its `password` field is replaced;
 * - else (any other text): the whole SecretString is the credential.
 *
 * A value that starts with `{` but does not parse is refused rather than replaced whole,
 * since replacing it would silently destroy the fields its owner meant it to hold.
 */
export const shapeOf = (
  value: string,
  tags: Readonly<Record<string, string>>,
  what: string,
): GeneratedShape => {
  const taggedField = tags[FIELD_TAG];
  if (taggedField !== undefined) {
    const field = taggedField.trim();
    if (field === '') {
      throw new SecretFormatError(
        `Tag ${FIELD_TAG} is empty: set it to the name of the JSON field that holds the credential, or remove it to use "${DEFAULT_FIELD}".`,
      );
    }
    parseJsonObject(
      value,
      what,
      `Tag ${FIELD_TAG} says the secret is a JSON object holding the credential in "${field}": store valid JSON, or remove the tag to rotate the whole value as one string.`,
    );
    return { kind: 'json', field };
  }
  if (tryParseJsonObject(value)) return { kind: 'json', field: DEFAULT_FIELD };
  if (looksLikeJsonObject(value)) {
    throw new SecretFormatError(
      `The SecretString of ${what} starts with "{" but is not valid JSON. Fix the JSON (rotation replaces its "${DEFAULT_FIELD}" field, or the field named by tag ${FIELD_TAG}).`,
    );
  }
  const structured = structuredJsonKind(value);
  if (structured !== undefined) {
    throw new SecretFormatError(
      `The SecretString of ${what} is JSON ${structured}, which rotation never replaces whole (its other entries would be lost). Store the credential in a JSON object, {"${DEFAULT_FIELD}": "..."} (or the field named by tag ${FIELD_TAG}), or store it as plain text.`,
    );
  }
  return { kind: 'plain' };
};

/**
 * What kind of non-object JSON `value` is, when it is structured data rather than a plain
 * credential: an array (or text starting with `[` that fails to parse, as `{` is treated), a
 * quoted JSON string, `null`, `true` or `false`. Numbers are left alone: a PIN or a numeric key
 * is a plain credential whose text happens to parse as JSON.
 */
export const structuredJsonKind = (value: string): string | undefined => {
  const text = value.trim();
  if (text.startsWith('[')) return 'an array';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed === 'string') return 'a quoted string';
  if (parsed === null) return 'null';
  if (typeof parsed === 'boolean') return 'a boolean';
  return undefined;
};

const fieldFix = (field: string) =>
  `Store the credential as a string in "${field}", or set tag ${FIELD_TAG} to the field that holds it.`;

/** Reads the credential out of a version according to its shape. */
const credentialOf = (version: SecretVersion, shape: GeneratedShape, what: string): string => {
  if (shape.kind === 'plain') return version.secretString;
  const secret = parseJsonObject(version.secretString, what, fieldFix(shape.field));
  return requireStringField(secret, shape.field, what, fieldFix(shape.field));
};

const withoutField = (value: string, field: string): Record<string, unknown> => {
  const parsed = tryParseJsonObject(value) ?? {};
  const { [field]: _omitted, ...rest } = parsed;
  return rest;
};

/**
 * The generated rotator: a password or API key that only the application reads, so there is
 * no target to update. createSecret generates a new credential under the secret's password
 * policy (see `passwordPolicyFromTags` for the `rekey:*` tags); setSecret has nothing to
 * apply; testSecret checks the pending value is well formed, holds a new credential and
 * keeps every other field of the current value. A pending value byte-identical to AWSCURRENT
 * is the temporary copy Secrets Manager tests with when rotation is configured with
 * RotateImmediately=false, and passes once it is well formed.
 */
export const createGeneratedRotator = (options: { readonly passwordDefaults: PasswordPolicy }): Rotator => ({
  name: 'generated',
  // setSecret applies nothing, so the protocol need not read AWSPREVIOUS for it.
  usesPreviousVersion: false,

  async createPending(current, ctx) {
    const shape = shapeOf(current.secretString, ctx.tags, 'the AWSCURRENT version');
    // Check the current value before generating, so a malformed secret fails without work.
    if (shape.kind === 'json') credentialOf(current, shape, 'the AWSCURRENT version');
    const policy = passwordPolicyFromTags(ctx.tags, options.passwordDefaults);
    let credential = await ctx.generatePassword(policy);
    if (shape.kind === 'plain') {
      // A plain credential that starts with "{" would later read as broken JSON and stop every
      // following rotation; draw again (the chance of ten in a row is negligible).
      const unusable = (text: string) => looksLikeJsonObject(text) || structuredJsonKind(text) !== undefined;
      for (let attempt = 0; attempt < 10 && unusable(credential); attempt++) {
        credential = await ctx.generatePassword(policy);
      }
      if (unusable(credential)) {
        throw new SecretFormatError(
          'Every generated credential started with "{" or "[" or read as JSON, which a plain-string secret cannot hold: add "{[" to the excluded characters (tag rekey:exclude-characters).',
        );
      }
      return credential;
    }
    const replaced = replaceTopLevelField(current.secretString, shape.field, credential);
    if (replaced === undefined) {
      // credentialOf above proved the field exists; this guards the scanner.
      throw new SecretFormatError(`Field "${shape.field}" of the AWSCURRENT version could not be replaced.`, {
        field: shape.field,
      });
    }
    return replaced;
  },

  async setSecret() {
    // Nothing to apply: the application reads the secret itself, so the new credential takes
    // effect when finishSecret moves AWSCURRENT.
  },

  async testSecret(versions, ctx) {
    const { pending, current } = versions;
    const pendingWhat = `the AWSPENDING version ${pending.versionId}`;
    // The secret's shape is the current version's: a plain pending value is never read as JSON.
    const shape = current
      ? shapeOf(current.secretString, ctx.tags, 'the AWSCURRENT version')
      : shapeOf(pending.secretString, ctx.tags, pendingWhat);
    const credential = credentialOf(pending, shape, pendingWhat);
    if (credential.length === 0) {
      throw new SecretTestFailedError(
        `The credential in ${pendingWhat} is empty; rotate again to generate one.`,
      );
    }
    if (!current) return;
    if (pending.secretString === current.secretString) {
      // RotateSecret with RotateImmediately=false tests the configuration by running only
      // testSecret on a temporary AWSPENDING version; that version holds a copy of AWSCURRENT
      // (our createPending never copies: it always draws a new credential). The value is
      // well formed, which is all there is to test then.
      ctx.logger.info(
        'Pending version is a copy of AWSCURRENT (rotation configuration test); it is well formed',
      );
      return;
    }
    const currentCredential = credentialOf(
      current,
      shapeOf(current.secretString, ctx.tags, 'the AWSCURRENT version'),
      'the AWSCURRENT version',
    );
    if (credential === currentCredential) {
      throw new SecretTestFailedError(
        `The credential in ${pendingWhat} is the same as in AWSCURRENT ${current.versionId}; a rotation must produce a new one. Remove the AWSPENDING label from that version and rotate again.`,
      );
    }
    if (shape.kind === 'json') {
      // Every other field must have kept its meaning; compare parsed values, not bytes.
      const before = JSON.stringify(withoutField(current.secretString, shape.field));
      const after = JSON.stringify(withoutField(pending.secretString, shape.field));
      if (before !== after) {
        throw new SecretTestFailedError(
          `The fields other than "${shape.field}" differ between ${pendingWhat} and AWSCURRENT ${current.versionId}; the pending value was not derived from the current one. Remove the AWSPENDING label from that version and rotate again.`,
        );
      }
    }
  },
});
