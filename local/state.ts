import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LocalService } from './types.js';

/** Raised when a state file exists but cannot be used; the message names the file. */
export class StateFileError extends Error {
  public readonly file: string;
  public constructor(file: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateFileError';
    this.file = file;
  }
}

const FORMAT = 'rekey-local-state';
const VERSION = 1;

interface StateFile {
  format: typeof FORMAT;
  version: number;
  /** Keyed by each service's `targetPrefix`. */
  services: Record<string, unknown>;
}

/**
 * Loads `file` into the services. A missing file is an empty state; a file that exists but is
 * not a state file (corrupt JSON, another format) is an error naming the file, never silently
 * replaced, so a typo in `--state` cannot wipe a state someone depends on.
 */
export const loadState = async (file: string, services: readonly LocalService[]): Promise<void> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StateFileError(file, `Cannot read the state file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let parsed: StateFile;
  try {
    parsed = JSON.parse(text) as StateFile;
  } catch (error) {
    // Only the position is kept: V8's SyntaxError message quotes the text around the fault,
    // and this file holds secret values in plain text. The error is not carried as `cause`.
    const at = /at position (\d+)/.exec((error as Error).message)?.[1];
    throw new StateFileError(
      file,
      `The state file ${file} is not valid JSON${at === undefined ? '' : ` (at character ${at})`}. Fix or move it away; it was left untouched.`,
    );
  }
  if (parsed?.format !== FORMAT || typeof parsed.services !== 'object' || parsed.services === null) {
    throw new StateFileError(
      file,
      `The file ${file} is not a rekey local state file (expected {"format":"${FORMAT}",...}). Choose another --state path; it was left untouched.`,
    );
  }
  if (parsed.version !== VERSION) {
    throw new StateFileError(
      file,
      `The state file ${file} has version ${parsed.version}; this rekey reads version ${VERSION}.`,
    );
  }
  for (const service of services) {
    const state = parsed.services[service.targetPrefix];
    if (state === undefined) continue;
    try {
      service.restore(state);
    } catch (error) {
      throw new StateFileError(
        file,
        `The state file ${file} holds an unreadable ${service.targetPrefix} state: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
};

/**
 * Writes every service's snapshot to `file` atomically: a temporary file in the same directory,
 * then a rename, so a crash mid-write leaves the previous state intact.
 *
 * The file holds secret values in plain text, so it is created with mode 0600 (owner only).
 */
export const saveState = async (file: string, services: readonly LocalService[]): Promise<void> => {
  const state: StateFile = {
    format: FORMAT,
    version: VERSION,
    services: Object.fromEntries(services.map((s) => [s.targetPrefix, s.snapshot()])),
  };
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new StateFileError(file, `Cannot write the state file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
};

/** Saves after mutations, debounced; `flush()` writes what is pending (used on close). */
export interface StatePersister {
  schedule(): void;
  flush(): Promise<void>;
}

/**
 * Debounces saves: many mutations in a burst cost one write, and writes never overlap.
 * `onError` receives a failed background save (the endpoint keeps serving).
 */
export const createStatePersister = (
  file: string,
  services: readonly LocalService[],
  options: { debounceMs?: number; onError?: (error: unknown) => void } = {},
): StatePersister => {
  const debounceMs = options.debounceMs ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  let writing: Promise<void> = Promise.resolve();

  const write = (): Promise<void> => {
    // Chained so two saves never write at once; each save snapshots the state when it runs.
    writing = writing.then(async () => {
      if (!dirty) return;
      dirty = false;
      await saveState(file, services);
    });
    return writing;
  };

  return {
    schedule() {
      dirty = true;
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        write().catch((error: unknown) => {
          dirty = true;
          writing = Promise.resolve();
          options.onError?.(error);
        });
      }, debounceMs);
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      // Wait for a write in progress (ignoring its failure: the final write below retries it).
      await writing.catch(() => undefined);
      writing = Promise.resolve();
      dirty = true;
      await write();
    },
  };
};
