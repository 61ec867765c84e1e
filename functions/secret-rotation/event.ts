import { InvalidInputError } from '../lib/errors.js';

/** The four steps of the Secrets Manager rotation protocol, in the order Secrets Manager runs them. */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** A rotation invocation, parsed and checked. `rotationToken` is sensitive: never log it. */
export interface RotationEvent {
  readonly step: RotationStep;
  readonly secretId: string;
  /** The ClientRequestToken: the id of the version being rotated in (the pending version). */
  readonly token: string;
  /** Present when Secrets Manager sends one; passed back on PutSecretValue. */
  readonly rotationToken?: string;
}

const isStep = (value: unknown): value is RotationStep =>
  typeof value === 'string' && (ROTATION_STEPS as readonly string[]).includes(value);

// Bounds from the Secrets Manager API reference: SecretId 1-2048 characters, ClientRequestToken 32-64.
const SECRET_ID_MAX = 2048;
const TOKEN_MIN = 32;
const TOKEN_MAX = 64;

const describeType = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;

/**
 * Parses the event Secrets Manager sends to a rotation function:
 * `{ Step, SecretId, ClientRequestToken, RotationToken? }`.
 *
 * Unknown keys are accepted, since AWS may add keys to the event without notice; the known
 * keys are checked. Throws `InvalidInputError` naming the field and the fix. Messages never
 * repeat the RotationToken.
 */
export const parseRotationEvent = (event: unknown): RotationEvent => {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InvalidInputError(
      `The rotation event must be a JSON object {Step, SecretId, ClientRequestToken}; got ${describeType(event)}.`,
    );
  }
  const input = event as Record<string, unknown>;
  const { Step, SecretId, ClientRequestToken, RotationToken } = input;
  if (!isStep(Step)) {
    const shown = JSON.stringify(Step) ?? String(Step);
    const got =
      Step === undefined ? 'it is missing' : `got ${shown.length > 60 ? `${shown.slice(0, 60)}...` : shown}`;
    throw new InvalidInputError(
      `Field Step must be one of ${ROTATION_STEPS.join(', ')}; ${got}. Secrets Manager sends these values itself; check the event if you invoked the function by hand.`,
    );
  }
  if (typeof SecretId !== 'string' || SecretId.length === 0 || SecretId.length > SECRET_ID_MAX) {
    throw new InvalidInputError(
      `Field SecretId must be the secret's ARN or name (a string of 1 to ${SECRET_ID_MAX} characters); ${SecretId === undefined ? 'it is missing' : `got ${describeType(SecretId)}${typeof SecretId === 'string' ? ` of length ${SecretId.length}` : ''}`}.`,
    );
  }
  if (
    typeof ClientRequestToken !== 'string' ||
    ClientRequestToken.length < TOKEN_MIN ||
    ClientRequestToken.length > TOKEN_MAX
  ) {
    throw new InvalidInputError(
      `Field ClientRequestToken must be the id of the version being rotated (a string of ${TOKEN_MIN} to ${TOKEN_MAX} characters, usually a UUID); ${ClientRequestToken === undefined ? 'it is missing' : `got ${describeType(ClientRequestToken)}${typeof ClientRequestToken === 'string' ? ` of length ${ClientRequestToken.length}` : ''}`}.`,
    );
  }
  if (RotationToken !== undefined && (typeof RotationToken !== 'string' || RotationToken.length === 0)) {
    // The value itself is a credential: say what is wrong with it without repeating it.
    throw new InvalidInputError(
      `Field RotationToken, when present, must be a non-empty string as Secrets Manager sends it; got ${describeType(RotationToken)}${typeof RotationToken === 'string' ? ' that is empty' : ''}.`,
    );
  }
  return {
    step: Step,
    secretId: SecretId,
    token: ClientRequestToken,
    ...(RotationToken === undefined ? {} : { rotationToken: RotationToken }),
  };
};
