/**
 * GetRandomPassword on the wire. The generator is one shared implementation (used by the rotation
 * function too); this operation only hands it the request.
 */
import type { Operation } from './context.js';
import { generatePassword } from './password.js';

export const randomPasswordOperations: Record<string, Operation> = {
  GetRandomPassword: (input) => ({ RandomPassword: generatePassword(input.raw) }),
};
