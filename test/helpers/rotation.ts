/** The tests wait for rotations with the same helper as the scripts and benchmarks. */

export { type RotationLogEntry, readRotationLog } from '../../local/core/admin-client.js';
export {
  type LocalRotationLog,
  type RotationOutcome,
  waitForRotation,
} from '../../local/rotation-wait.js';
