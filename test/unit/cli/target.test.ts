/**
 * One rule picks every command's target, the AWS CLI's: --endpoint-url, else AWS_ENDPOINT_URL,
 * else AWS; --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's, else
 * us-east-1; a profile must exist in the shared files.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closest } from '../../../cli/args.js';
import { applyProfile, resolveTarget, unreachableMessage } from '../../../cli/target.js';

let dir: string;
let files: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rekey-target-'));
  await writeFile(
    join(dir, 'config'),
    '[default]\nregion = us-west-2\n[profile audit]\nregion = eu-north-1\n[profile local-audit]\nregion = eu-north-1\n',
  );
  await writeFile(
    join(dir, 'credentials'),
    '[ci]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n[local-audit]\naws_access_key_id = 210987654321\naws_secret_access_key = local\n',
  );
  files = { AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials') };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveTarget', () => {
  it('--endpoint-url wins over AWS_ENDPOINT_URL; without either, AWS itself', () => {
    const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:1111' };
    expect(resolveTarget({ endpointUrl: 'http://127.0.0.1:2222' }, env).endpoint).toBe(
      'http://127.0.0.1:2222',
    );
    expect(resolveTarget({}, env).endpoint).toBe('http://127.0.0.1:1111');
    expect(resolveTarget({}, {}).endpoint).toBeUndefined();
  });

  it('--region wins over AWS_REGION, which wins over AWS_DEFAULT_REGION; us-east-1 last', () => {
    const env = { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'ap-south-1' };
    expect(resolveTarget({ region: 'ca-central-1' }, env).region).toBe('ca-central-1');
    expect(resolveTarget({}, env).region).toBe('eu-west-1');
    expect(resolveTarget({}, { AWS_DEFAULT_REGION: 'ap-south-1' }).region).toBe('ap-south-1');
    expect(resolveTarget({}, {}).region).toBe('us-east-1');
  });

  it('local credentials only against an endpoint with no credentials or profile in the environment', () => {
    const url = 'http://127.0.0.1:1111';
    expect(resolveTarget({ endpointUrl: url }, {}).credentials).toEqual({
      accessKeyId: '123456789012',
      secretAccessKey: 'local',
    });
    expect(resolveTarget({ endpointUrl: url }, { AWS_PROFILE: 'audit' }).credentials).toBeUndefined();
    expect(resolveTarget({}, {}).credentials).toBeUndefined();
    expect(resolveTarget({ endpointUrl: url }, { AWS_ACCESS_KEY_ID: '210987654321' }).accountId).toBe(
      '210987654321',
    );
  });

  it('a bad AWS_ENDPOINT_URL is a usage error naming the variable', () => {
    expect(() => resolveTarget({}, { AWS_ENDPOINT_URL: 'localhost:4566' })).toThrow(
      "AWS_ENDPOINT_URL must be an http(s) URL such as http://127.0.0.1:4566; got 'localhost:4566'.",
    );
  });
});

describe('applyProfile', () => {
  it("sets AWS_PROFILE and, when the environment has no Region, the profile's", () => {
    const env: NodeJS.ProcessEnv = { ...files };
    applyProfile('audit', env);
    expect(env).toMatchObject({ AWS_PROFILE: 'audit', AWS_REGION: 'eu-north-1' });

    const withRegion: NodeJS.ProcessEnv = { ...files, AWS_DEFAULT_REGION: 'ap-south-1' };
    applyProfile('audit', withRegion);
    expect(withRegion.AWS_REGION).toBeUndefined();
  });

  it("a profile's 12-digit access key id is the account a local workflow acts as", () => {
    const env: NodeJS.ProcessEnv = { ...files };
    applyProfile('local-audit', env);
    expect(resolveTarget({ endpointUrl: 'http://127.0.0.1:1111' }, env)).toMatchObject({
      accountId: '210987654321',
      region: 'eu-north-1',
    });
  });

  it('accepts a profile that is only in the credentials file', () => {
    const env: NodeJS.ProcessEnv = { ...files };
    applyProfile('ci', env);
    expect(env.AWS_PROFILE).toBe('ci');
  });

  it('refuses an unknown profile, naming the files and the closest profile', () => {
    expect(() => applyProfile('adit', { ...files })).toThrow(
      `--profile adit is not in ${files.AWS_CONFIG_FILE} or ${files.AWS_SHARED_CREDENTIALS_FILE}. Did you mean --profile audit?`,
    );
  });
});

describe('did-you-mean and the unreachable endpoint', () => {
  it.each([
    ['stauts', 'status'],
    ['rotate-ky', 'rotate-key'],
    ['sweep', 'sweep-certificates'],
    ['deploy', undefined],
  ])('closest(%s) is %s', (word, expected) => {
    expect(closest(word, ['status', 'doctor', 'rotate-key', 'rotate-secret', 'sweep-certificates'])).toBe(
      expected,
    );
  });

  it('names the address and how to start rekey local there', () => {
    expect(unreachableMessage('http://127.0.0.1:4566', 'connection refused', false)).toBe(
      'Cannot reach the endpoint http://127.0.0.1:4566 (connection refused).\n' +
        'Start the local endpoint in another shell: npx rekey local --port 4566\n' +
        'Or drop --endpoint-url to use AWS itself.\n',
    );
  });
});
