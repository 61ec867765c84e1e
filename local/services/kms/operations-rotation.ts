import { generateMaterial } from './crypto.js';
import { optInt, page } from './input.js';
import { keyFrom, type Operations, seconds } from './operation.js';
import {
  checkOnDemandRotation,
  ROTATION_PERIOD,
  requireRotatable,
  rotateOnDemand,
  rotationStatus,
  setRotation,
} from './rotation.js';

/** Wire-facing rotation operations; the rules are in `rotation.ts`. */

export const rotationOperations: Operations = {
  GetKeyRotationStatus(model, input, ctx) {
    const key = keyFrom(model, ctx, input, 'KeyId');
    const status = rotationStatus(model, key);
    if (!status.enabled) return { KeyRotationEnabled: false, KeyId: key.Arn };
    return {
      KeyRotationEnabled: true,
      KeyId: key.Arn,
      RotationPeriodInDays: status.periodInDays,
      NextRotationDate: seconds(status.nextRotation),
    };
  },

  async RotateKeyOnDemand(model, input, ctx) {
    const key = keyFrom(model, ctx, input, 'KeyId');
    checkOnDemandRotation(key);
    const material = await generateMaterial(key.KeySpec);
    rotateOnDemand(model, key, material, ctx.now.getTime());
    return { KeyId: key.KeyId };
  },

  ListKeyRotations(model, input, ctx) {
    const key = keyFrom(model, ctx, input, 'KeyId');
    requireRotatable(key);
    const { items, ...rest } = page(key.Rotations ?? [], input, 1000);
    return {
      Rotations: items.map((r) => ({
        KeyId: key.KeyId,
        RotationDate: seconds(r.RotationDate),
        RotationType: r.RotationType,
      })),
      ...rest,
    };
  },

  EnableKeyRotation(model, input, ctx) {
    const key = keyFrom(model, ctx, input, 'KeyId');
    setRotation(
      key,
      true,
      () => optInt(input, 'RotationPeriodInDays', ROTATION_PERIOD.min, ROTATION_PERIOD.max),
      ctx.now.getTime(),
    );
    return {};
  },

  DisableKeyRotation(model, input, ctx) {
    setRotation(keyFrom(model, ctx, input, 'KeyId'), false, () => undefined, ctx.now.getTime());
    return {};
  },
};
