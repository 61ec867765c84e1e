/**
 * `rekey doctor`: an alternating-users secret names its superuser secret (`masterarn`), which
 * the deployed rotation role reads only when its owner tagged it `rekey:superuser=true`
 * (template.yaml, ReadTaggedSuperuserSecrets). Without the tag every rotation of the user
 * secret fails in setSecret with AccessDeniedException, on AWS and on `rekey local` alike.
 */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { messageOf } from '../../functions/lib/errors.js';
import { mapBounded } from '../../functions/lib/retry.js';
import type { SecretSnapshot } from '../../functions/secret-fleet/types.js';

/** The tag (key and value) the rotation role requires on a superuser secret. */
export const SUPERUSER_TAG = { key: 'rekey:superuser', value: 'true' } as const;

export interface UntaggedSuperuser {
  /** The alternating-users secret. */
  readonly secret: SecretSnapshot;
  /** Its superuser secret's ARN (or name), as `masterarn` gives it. */
  readonly superuser: string;
  /** The value the tag has now (undefined: absent). */
  readonly tagValue?: string;
}

/** The superuser secret an alternating-users secret names, without keeping any other field of the value. */
const masterArnOf = (secretString: string | undefined): string | undefined => {
  try {
    const value = JSON.parse(secretString ?? '') as { masterarn?: unknown };
    return typeof value?.masterarn === 'string' && value.masterarn !== '' ? value.masterarn : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The rotated secrets whose superuser secret lacks the tag. Each secret's value is read only to
 * find `masterarn` (and dropped at once); a superuser secret that cannot be described is a note.
 */
export const findUntaggedSuperusers = async (
  sm: SecretsManagerClient,
  secrets: readonly SecretSnapshot[],
  notes: string[],
): Promise<UntaggedSuperuser[]> => {
  const rotated = secrets.filter((s) => s.rotationLambdaArn !== undefined);
  const found = await mapBounded([...rotated], 5, async (secret): Promise<UntaggedSuperuser | undefined> => {
    let superuser: string | undefined;
    try {
      const value = await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }));
      superuser = masterArnOf(value.SecretString);
    } catch {
      // A value that may not be read is reported by the checks that need it (status, --probe).
      return undefined;
    }
    if (superuser === undefined) return undefined;
    try {
      const described = await sm.send(new DescribeSecretCommand({ SecretId: superuser }));
      const tag = described.Tags?.find((t) => t.Key === SUPERUSER_TAG.key);
      if (tag?.Value === SUPERUSER_TAG.value) return undefined;
      return { secret, superuser, ...(tag?.Value === undefined ? {} : { tagValue: tag.Value }) };
    } catch (error) {
      notes.push(
        `Could not describe ${superuser}, the superuser secret of ${secret.name}: ${messageOf(error)}`,
      );
      return undefined;
    }
  });
  return found.filter((f): f is UntaggedSuperuser => f !== undefined);
};
