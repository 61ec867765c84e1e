import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore, StateFileError } from '../../../local/state.js';

// A state file holds secret values in plain text; a corrupt one must not echo them back.
const SECRET = 'horse-battery-staple-0451';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rekey-state-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openStateStore', () => {
  it('refuses a corrupt file naming it and the position, without quoting its content', async () => {
    // Prepare: an unquoted value makes V8's SyntaxError quote the text around it.
    const file = join(dir, 'corrupt.json');
    const text = `{"format":"rekey-local-state","version":1,"services":{"secretsmanager":{"v":${SECRET}}}}`;
    await writeFile(file, text);

    // Act
    const error = await openStateStore(file, []).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(StateFileError);
    const failure = error as StateFileError;
    expect(failure.message).toContain(file);
    expect(failure.message).toContain('is not valid JSON');
    expect(failure.message).not.toContain(SECRET.slice(0, 8));
    expect(failure.cause).toBeUndefined();
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});
