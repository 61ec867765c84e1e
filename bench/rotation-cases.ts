/** The secrets the rotation benchmark rotates: one per rotator. */
import type { RotationCase } from './secret-rotation.js';

export const rotationCases = async (): Promise<RotationCase[]> => [
  {
    name: 'generated (JSON field)',
    secretString: () => JSON.stringify({ username: 'app', password: 'initial-password-value' }),
    tags: [{ Key: 'rekey:rotator', Value: 'generated' }],
  },
  {
    name: 'generated (plain string)',
    secretString: () => 'initial-api-key-value',
    tags: [{ Key: 'rekey:rotator', Value: 'generated' }],
  },
];
