/**
 * Where the project's state machine definitions (ASL) are. This module sits one folder below the
 * project, like the CLI's bundled chunks in dist/, so `../statemachines/` from it finds the same
 * files whether the sources run or the build does (see scripts/build.ts): keep it here.
 */
import { fileURLToPath } from 'node:url';

/** statemachines/key-rotation.asl.json */
export const KEY_ROTATION_ASL = fileURLToPath(
  new URL('../statemachines/key-rotation.asl.json', import.meta.url),
);

/** statemachines/secret-fleet-rotation.asl.json */
export const SECRET_FLEET_ASL = fileURLToPath(
  new URL('../statemachines/secret-fleet-rotation.asl.json', import.meta.url),
);
