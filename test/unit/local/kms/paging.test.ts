import { describe, expect, it } from 'vitest';
import { Clock } from '../../../../local/server.js';
import { createKms } from '../../../../local/services/kms/index.js';
import type { RequestContext } from '../../../../local/types.js';

const ctx: RequestContext = {
  accountId: '111122223333',
  region: 'eu-west-1',
  accessKeyId: '111122223333',
  identityArn: 'arn:aws:iam::111122223333:user/111122223333',
  requestId: 'r',
  now: new Date(),
};

/**
 * ListKeyRotations and ListKeys once had two marker formats (a bare offset and an opaque token).
 * The API reference documents one contract for both: NextMarker is "the value to use for the
 * Marker parameter in a subsequent request", and a marker KMS did not give is refused with
 * InvalidMarkerException. Both now use the endpoint's one paging codec.
 */
describe('KMS Limit/Marker paging', () => {
  it('pages ListKeyRotations with NextMarker and refuses a marker it did not give', async () => {
    const kms = createKms({ clock: new Clock() });
    const { KeyMetadata } = (await kms.handle('CreateKey', {}, ctx)) as { KeyMetadata: { KeyId: string } };
    for (let i = 0; i < 3; i++) await kms.handle('RotateKeyOnDemand', { KeyId: KeyMetadata.KeyId }, ctx);

    const first = (await kms.handle('ListKeyRotations', { KeyId: KeyMetadata.KeyId, Limit: 2 }, ctx)) as {
      Rotations: unknown[];
      Truncated: boolean;
      NextMarker?: string;
    };
    expect(first.Rotations).toHaveLength(2);
    expect(first.Truncated).toBe(true);
    const second = (await kms.handle(
      'ListKeyRotations',
      { KeyId: KeyMetadata.KeyId, Limit: 2, Marker: first.NextMarker },
      ctx,
    )) as { Rotations: unknown[]; Truncated: boolean; NextMarker?: string };
    expect(second.Rotations).toHaveLength(1);
    expect(second).toMatchObject({ Truncated: false });
    expect(second.NextMarker).toBeUndefined();

    for (const operation of ['ListKeyRotations', 'ListKeys']) {
      await expect(
        kms.handle(operation, { KeyId: KeyMetadata.KeyId, Marker: '2' }, ctx),
      ).rejects.toMatchObject({
        type: 'InvalidMarkerException',
      });
    }
  });
});
