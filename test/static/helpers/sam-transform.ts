import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../../..', import.meta.url).pathname;

type Json = Record<string, unknown>;

/** template.yaml after AWS's own SAM translator (sam-transform.py), as CloudFormation would see it. */
export interface SamTransformed {
  Parameters: Record<string, Json>;
  Conditions: Record<string, unknown>;
  Resources: Record<string, { Type: string; Properties?: Json; Condition?: string }>;
}

/** Runs sam-transform.py on the project's template.yaml with the given stack parameter values. */
export const samTransform = async (parameters: Record<string, string>): Promise<SamTransformed> => {
  const { stdout } = await run(
    'python3',
    [
      join(root, 'test/static/helpers/sam-transform.py'),
      join(root, 'template.yaml'),
      JSON.stringify(parameters),
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as SamTransformed;
};
