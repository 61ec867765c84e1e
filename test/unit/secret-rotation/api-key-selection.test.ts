import { describe, expect, it } from 'vitest';
import { FUNCTION_DEFAULT_POLICY } from '../../../functions/secret-rotation/password.js';
import { parseApiKeySecret } from '../../../functions/secret-rotation/rotators/api-key.js';
import { selectRotator } from '../../../functions/secret-rotation/rotators/index.js';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:unit/api-key-AbCdEf';
const input = (secretString: string, tags: Record<string, string> = {}) => ({
  secretArn: ARN,
  tags,
  current: { versionId: 'v1', secretString },
  passwordDefaults: FUNCTION_DEFAULT_POLICY,
});

describe('API-key rotator selection and secret checks', () => {
  it.each([
    ['provider, apiKey and keyId', '{"provider":"datadog","apiKey":"k","keyId":"i"}', {}, 'api-key'],
    ['the rekey:rotator=api-key tag', '{"provider":"datadog"}', { 'rekey:rotator': 'api-key' }, 'api-key'],
    ['only a "provider" field (a generated secret)', '{"provider":"stripe","password":"p"}', {}, 'generated'],
    [
      'provider fields but tagged generated',
      '{"provider":"datadog","apiKey":"k","keyId":"i"}',
      { 'rekey:rotator': 'generated' },
      'generated',
    ],
  ])('%s selects %s', async (_what, value, tags, expected) => {
    const rotator = await selectRotator(input(value, tags));
    expect(rotator.name).toBe(expected);
  });

  it.each([
    ['{"provider":"datadog","apiKey":"k","keyId":"i","baseUrl":"https://u:p@api.example.com"}', 'baseUrl'],
    [
      '{"provider":"datadog","apiKey":"k","keyId":"i","baseUrl":"https://api.example.com/?token=x"}',
      'baseUrl',
    ],
    ['{"provider":"datadog","apiKey":"k","keyId":"i","revokeAfterHours":-1}', 'revokeAfterHours'],
    ['{"provider":"datadog","apiKey":"k","keyId":"i","retiredKeys":[{"id":"a"}]}', 'retiredKeys'],
    [
      '{"provider":{"name":"x","baseUrl":"https://x.example","create":{},"test":{},"revoke":{}},"apiKey":"k","keyId":"i"}',
      'provider.create.method',
    ],
    [
      '{"provider":{"name":"x","baseUrl":"https://x.example","extra":1},"apiKey":"k","keyId":"i"}',
      'provider.extra',
    ],
  ])('refuses %s naming %s, without quoting the key', (value, field) => {
    expect(() =>
      parseApiKeySecret({ versionId: 'v1', secretString: value }, 'the AWSCURRENT version'),
    ).toThrow(expect.objectContaining({ name: 'SecretFormatError', field: expect.stringContaining(field) }));
    try {
      parseApiKeySecret({ versionId: 'v1', secretString: value }, 'the AWSCURRENT version');
    } catch (error) {
      expect((error as Error).message).not.toContain('u:p@');
      expect((error as Error).message).not.toContain('token=x');
    }
  });
});
