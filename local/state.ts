/**
 * `--state FILE`: the local endpoint's durable state.
 *
 * - `FILE` is a snapshot: a header line, then one record per entity (a secret) or per service
 *   that is saved whole. It is only ever replaced atomically (temporary file, fsync, rename).
 * - `FILE.journal-N` is an append-only journal of the records changed since snapshot N. A write
 *   is appended and fsync'd *before* its response is sent, so an answered write survives
 *   `kill -9`; concurrent writes share one fsync (group commit). A record holds the entity as
 *   it is after the change, so replaying a record twice is harmless.
 * - When the journal outgrows the snapshot, a new journal is started and a new snapshot written
 *   in the background, in chunks; then the old journal is removed. Loading replays the snapshot,
 *   then every journal from its generation on.
 *
 * Every line carries a checksum. A torn last record of the newest journal (a crash mid-append)
 * is dropped on load; any other damaged line is refused, naming the file and line but never
 * quoting it (the files hold secret values in plain text, mode 0600).
 */
import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, truncate } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
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
/** Version 1 was one JSON document rewritten whole; it is still read, and rewritten as version 2. */
const LEGACY_VERSION = 1;
const VERSION = 2;
const CHECKSUM_CHARS = 16;
/** A journal is compacted once it is larger than this and than the last snapshot. */
const MIN_COMPACT_BYTES = 16 * 1024 * 1024;
const CHUNK_CHARS = 1024 * 1024;
/** Operations of services saved whole that change nothing (the rest save the service). */
const READ_ONLY = /^(Describe|Get|List|Verify|Decrypt|Encrypt|Sign|Generate)/;

interface Header {
  format: typeof FORMAT;
  version: number;
  generation: number;
}

/** One record: an entity of a journaled service (`k`, `v`, `null` when removed) or a whole service. */
interface Entry {
  s: string;
  k?: string;
  v?: unknown;
  full?: unknown;
}

const checksum = (json: string): string =>
  createHash('sha256').update(json).digest('hex').slice(0, CHECKSUM_CHARS);

const line = (value: unknown): string => {
  const json = JSON.stringify(value);
  return `${checksum(json)}${json}\n`;
};

const journalPrefix = (file: string) => `${basename(file)}.journal-`;
const journalPath = (file: string, generation: number) => `${file}.journal-${generation}`;

/**
 * Parses checksummed lines. `tornTailAllowed`: the file is the newest journal, whose last record
 * may have been cut short by a crash; it is dropped (its write was never acknowledged).
 */
const parseLines = (
  file: string,
  text: string,
  tornTailAllowed: boolean,
): { values: unknown[]; validBytes: number } => {
  const lines = text.split('\n');
  // The text after the last newline is an unfinished record (or '' when the file ends cleanly).
  const tail = lines.pop() ?? '';
  const values: unknown[] = [];
  let validBytes = 0;
  for (const [index, raw] of lines.entries()) {
    const json = raw.slice(CHECKSUM_CHARS);
    let value: unknown;
    let ok = raw.length > CHECKSUM_CHARS && checksum(json) === raw.slice(0, CHECKSUM_CHARS);
    if (ok) {
      try {
        value = JSON.parse(json);
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      if (tornTailAllowed && index === lines.length - 1 && tail === '') return { values, validBytes };
      // Never quote the line: it may hold a secret value.
      throw new StateFileError(
        file,
        `The state file ${file} is damaged at line ${index + 1} (its checksum does not match). It was left untouched: restore it from a backup or move it away to start empty.`,
      );
    }
    values.push(value);
    validBytes += Buffer.byteLength(raw) + 1;
  }
  if (tail !== '' && !tornTailAllowed) {
    throw new StateFileError(
      file,
      `The state file ${file} ends in an unfinished line. It was left untouched: restore it from a backup or move it away to start empty.`,
    );
  }
  return { values, validBytes };
};

const readIfExists = async (file: string): Promise<string | undefined> => {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(file, `Cannot read the state file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
};

const notStateFile = (file: string) =>
  new StateFileError(
    file,
    `The file ${file} is not a rekey local state file (expected a "${FORMAT}" header). Choose another --state path; it was left untouched.`,
  );

const restoreService = (file: string, service: LocalService, state: unknown) => {
  try {
    service.restore(state);
  } catch (error) {
    throw new StateFileError(
      file,
      `The state file ${file} holds an unreadable ${service.targetPrefix} state: ${(error as Error).message}`,
      { cause: error },
    );
  }
};

/** Version 1: one JSON document `{format, version: 1, services}`. */
const loadLegacy = (file: string, text: string, services: readonly LocalService[]) => {
  let parsed: { format?: unknown; version?: unknown; services?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
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
    throw notStateFile(file);
  }
  if (parsed.version !== LEGACY_VERSION) {
    throw new StateFileError(
      file,
      `The state file ${file} has version ${String(parsed.version)}; this rekey reads versions ${LEGACY_VERSION} and ${VERSION}.`,
    );
  }
  const byService = parsed.services as Record<string, unknown>;
  for (const service of services) {
    if (byService[service.targetPrefix] !== undefined)
      restoreService(file, service, byService[service.targetPrefix]);
  }
};

const applyEntries = (file: string, entries: unknown[], byPrefix: Map<string, LocalService>) => {
  for (const raw of entries) {
    const entry = raw as Entry;
    const service = typeof entry?.s === 'string' ? byPrefix.get(entry.s) : undefined;
    if (!service) {
      throw new StateFileError(file, `The state file ${file} holds a record of an unknown service.`);
    }
    if (entry.full !== undefined) restoreService(file, service, entry.full);
    else if (typeof entry.k === 'string' && service.journal)
      service.journal.applyRecord(entry.k, entry.v ?? null);
    else throw new StateFileError(file, `The state file ${file} holds a malformed ${entry.s} record.`);
  }
};

/** Loads the snapshot and the journals after it; returns the generation the next journal takes. */
const load = async (file: string, services: readonly LocalService[]): Promise<number> => {
  const byPrefix = new Map(services.map((s) => [s.targetPrefix, s]));
  const text = await readIfExists(file);
  let generation = 0;
  if (text?.trimStart().startsWith('{')) {
    loadLegacy(file, text, services);
  } else if (text !== undefined) {
    const { values } = parseLines(file, text, false);
    const header = values[0] as Partial<Header> | undefined;
    if (header?.format !== FORMAT) throw notStateFile(file);
    if (header.version !== VERSION || typeof header.generation !== 'number') {
      throw new StateFileError(
        file,
        `The state file ${file} has version ${String(header.version)}; this rekey reads versions ${LEGACY_VERSION} and ${VERSION}.`,
      );
    }
    generation = header.generation;
    applyEntries(file, values.slice(1), byPrefix);
  }
  const journals = await listJournals(file);
  const replay = journals.filter((n) => n >= generation);
  for (const [i, n] of replay.entries()) {
    const path = journalPath(file, n);
    const journal = (await readIfExists(path)) ?? '';
    const newest = i === replay.length - 1;
    const { values, validBytes } = parseLines(path, journal, newest);
    applyEntries(path, values, byPrefix);
    // The torn tail of a crashed append is cut off, so the next append starts on a line of its own.
    if (newest && validBytes < Buffer.byteLength(journal)) await truncate(path, validBytes);
  }
  return Math.max(generation, ...journals) + 1;
};

const listJournals = async (file: string): Promise<number[]> => {
  const prefix = journalPrefix(file);
  const names = await readdir(dirname(file)).catch(() => [] as string[]);
  return names
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map((name) => Number(name.slice(prefix.length)))
    .sort((a, b) => a - b);
};

const syncDirectory = async (dir: string) => {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};

/**
 * Writes a snapshot of every service as generation `generation`, in chunks (requests go on being
 * served meanwhile; what they change is in the journal of the same generation, replayed on top).
 */
const writeSnapshot = async (
  file: string,
  services: readonly LocalService[],
  generation: number,
): Promise<number> => {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let handle: FileHandle | undefined;
  let bytes = 0;
  try {
    handle = await open(temp, 'w', 0o600);
    let chunk = line({ format: FORMAT, version: VERSION, generation } satisfies Header);
    const flush = async () => {
      bytes += Buffer.byteLength(chunk);
      await handle?.write(chunk);
      chunk = '';
    };
    for (const service of services) {
      if (service.journal) {
        for (const [k, v] of service.journal.entries()) {
          chunk += line({ s: service.targetPrefix, k, v } satisfies Entry);
          if (chunk.length > CHUNK_CHARS) await flush();
        }
      } else {
        chunk += line({ s: service.targetPrefix, full: service.snapshot() } satisfies Entry);
      }
    }
    await flush();
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, file);
    await syncDirectory(dirname(file));
    return bytes;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw new StateFileError(file, `Cannot write the state file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
};

/** The durable state behind `--state FILE`. */
export interface StateStore {
  /**
   * Journals what `operation` of `service` changed (or what background work changed, when
   * `service` is undefined); resolves once it is on disk. Undefined when nothing changed.
   */
  record(service?: LocalService, operation?: string): Promise<void> | undefined;
  /** Writes what is pending, compacts into one snapshot and removes the journal. */
  close(): Promise<void>;
}

/**
 * Loads `file` (a missing file is an empty state; a damaged or foreign one is refused, untouched)
 * and returns the store that journals every later change. Loading ends with a compaction, so the
 * endpoint starts from one snapshot and an empty journal.
 *
 * `onError` receives a failed background compaction (the endpoint keeps serving from the journal).
 */
export const openStateStore = async (
  file: string,
  services: readonly LocalService[],
  options: { onError?: (error: unknown) => void } = {},
): Promise<StateStore> => {
  await mkdir(dirname(file), { recursive: true });
  let generation = await load(file, services);
  let snapshotBytes = await writeSnapshot(file, services, generation);
  for (const n of await listJournals(file)) await rm(journalPath(file, n), { force: true });
  let journal = await open(journalPath(file, generation), 'a', 0o600);
  let journalBytes = 0;

  let pending: string[] = [];
  let waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  let writing: Promise<void> | undefined;
  let compacting: Promise<void> | undefined;

  /** Starts a new journal generation and writes the snapshot it starts from, in the background. */
  const startCompaction = async () => {
    const old = journal;
    const oldGeneration = generation;
    generation += 1;
    journal = await open(journalPath(file, generation), 'a', 0o600);
    journalBytes = 0;
    await old.close();
    compacting = (async () => {
      snapshotBytes = await writeSnapshot(file, services, generation);
      for (const n of await listJournals(file)) {
        if (n <= oldGeneration) await rm(journalPath(file, n), { force: true });
      }
    })()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        compacting = undefined;
      });
  };

  /** Group commit: whatever queued while the previous fsync ran is written and fsync'd together. */
  const writeLoop = async () => {
    while (pending.length) {
      const batch = pending.join('');
      const batchWaiters = waiters;
      pending = [];
      waiters = [];
      try {
        await journal.write(batch);
        await journal.datasync();
        journalBytes += Buffer.byteLength(batch);
        for (const w of batchWaiters) w.resolve();
      } catch (error) {
        const failure = new StateFileError(
          file,
          `Cannot write the state journal of ${file}: ${(error as Error).message}. The change is in memory but not on disk.`,
          { cause: error },
        );
        for (const w of batchWaiters) w.reject(failure);
      }
      if (!compacting && journalBytes > Math.max(MIN_COMPACT_BYTES, 2 * snapshotBytes))
        await startCompaction();
    }
    writing = undefined;
  };

  const append = (text: string): Promise<void> => {
    pending.push(text);
    const done = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
    writing ??= writeLoop();
    return done;
  };

  const changesOf = (service: LocalService | undefined, operation: string | undefined): string => {
    let text = '';
    // Journaled services are drained every time: background work may have changed them too.
    for (const s of services) {
      if (!s.journal) continue;
      for (const [k, v] of s.journal.drainChanges())
        text += line({ s: s.targetPrefix, k, v } satisfies Entry);
    }
    if (service && !service.journal && !(operation && READ_ONLY.test(operation))) {
      text += line({ s: service.targetPrefix, full: service.snapshot() } satisfies Entry);
    }
    return text;
  };

  let closed = false;
  return {
    record(service, operation) {
      if (closed) return undefined;
      const text = changesOf(service, operation);
      return text ? append(text) : undefined;
    },
    async close() {
      if (closed) return;
      const text = changesOf(undefined, undefined);
      if (text) await append(text);
      closed = true;
      while (writing || compacting) await Promise.all([writing, compacting]);
      generation += 1;
      await writeSnapshot(file, services, generation);
      await journal.close();
      for (const n of await listJournals(file)) await rm(journalPath(file, n), { force: true });
    },
  };
};
