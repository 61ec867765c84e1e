import { describe, expect, it } from 'vitest';
import { FUNCTION_DEFAULT_POLICY } from '../../../functions/secret-rotation/password.js';
import { parseIamKeySecret } from '../../../functions/secret-rotation/rotators/iam-access-key.js';
import { selectRotator } from '../../../functions/secret-rotation/rotators/index.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:unit/iam-key-AbCdEf';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const input = (secretString: string, tags: Record<string, string> = {}) => ({
  secretArn: ARN,
  tags,
  current: { versionId: 'v1', secretString },
  passwordDefaults: FUNCTION_DEFAULT_POLICY,
});
const keySecret = (fields: Record<string, unknown>) =>
  JSON.stringify({
    UserName: 'app',
    AccessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    SecretAccessKey: SECRET,
    ...fields,
  });

describe('IAM access key rotator selection and secret checks', () => {
  it.each([
    ['UserName, AccessKeyId and SecretAccessKey', keySecret({}), {}, 'iam-access-key'],
    [
      'the rekey:rotator=iam-access-key tag',
      '{"UserName":"app"}',
      { 'rekey:rotator': 'iam-access-key' },
      'iam-access-key',
    ],
    [
      'a key without its secret (a generated secret)',
      '{"UserName":"app","AccessKeyId":"AKIA","password":"p"}',
      {},
      'generated',
    ],
    ['key fields but tagged generated', keySecret({}), { 'rekey:rotator': 'generated' }, 'generated'],
  ])('%s selects %s', async (_what, value, tags, expected) => {
    expect((await selectRotator(input(value, tags))).name).toBe(expected);
  });

  it.each([
    [keySecret({ UserName: undefined }), 'UserName'],
    [keySecret({ UserName: 'bad name/' }), 'UserName'],
    [keySecret({ AccessKeyId: 42 }), 'AccessKeyId'],
    [keySecret({ AccessKeyId: 'short' }), 'AccessKeyId'],
    [keySecret({ SecretAccessKey: '' }), 'SecretAccessKey'],
  ])('refuses %s naming %s, without quoting the secret key', (value, field) => {
    let caught: unknown;
    try {
      parseIamKeySecret(value, 'the AWSCURRENT version');
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ name: 'SecretFormatError', field });
    expect((caught as Error).message).toContain(`"${field}"`);
    expect((caught as Error).message).not.toContain(SECRET);
  });
});
