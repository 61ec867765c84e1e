import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');

/**
 * Starts `rekey local --port 0 ...args` as its own process, as a user would, and resolves with
 * its URL once printed. `output()` is what it has printed so far.
 */
export const startRekeyLocalProcess = async (
  args: string[],
): Promise<{ child: ChildProcessWithoutNullStreams; url: string; output: () => string }> => {
  const child = spawn(process.execPath, [join(ROOT, 'bin/rekey.mjs'), 'local', '--port', '0', ...args], {
    cwd: ROOT,
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed; stderr: ${stderr}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /export AWS_ENDPOINT_URL=(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', () => reject(new Error(`exited early; stderr: ${stderr}`)));
  });
  return { child, url, output: () => stdout };
};
