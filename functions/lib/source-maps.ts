import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Readable stack traces from the minified, split bundles without `--enable-source-maps`.
 *
 * `--enable-source-maps` makes Node read and parse every chunk's source map while the chunk
 * loads, on every cold start, whether or not anything ever fails. Instead, the build writes each
 * chunk's map beside it (`chunk.mjs.map`, mappings only) and this hook maps a stack only when
 * something formats it: V8 calls `Error.prepareStackTrace` the first time an error's `stack` is
 * read (the logger reading it to log the failure, Lambda's runtime reporting it). A map is read
 * and parsed once, on its first use; a frame without a map beside its file stays as V8 wrote it.
 */

type CallSite = NodeJS.CallSite;
type PrepareStackTrace = (error: Error, frames: CallSite[]) => unknown;

const maps = new Map<string, SourceMap | null>();

/** The parsed map beside a bundle file, or null (not a bundle, no map, unreadable map). */
const mapFor = (fileName: string): SourceMap | null => {
  let map = maps.get(fileName);
  if (map !== undefined) return map;
  map = null;
  if (fileName.endsWith('.mjs')) {
    try {
      const path = fileName.startsWith('file:') ? fileURLToPath(fileName) : fileName;
      map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
    } catch {
      // No map beside this file (Node internals, unbundled code): keep the frame as it is.
    }
  }
  maps.set(fileName, map);
  return map;
};

interface Original {
  readonly where: string;
  /** The identifier at this position: the name the caller used for the function it called. */
  readonly name?: string;
}

/** A frame's original position, when a map beside its file covers it. */
const originalOf = (frame: CallSite | undefined): Original | undefined => {
  const fileName = frame?.getFileName();
  const line = frame?.getLineNumber();
  const column = frame?.getColumnNumber();
  if (!fileName || line == null || column == null) return undefined;
  const map = mapFor(fileName);
  // SourceMap lines and columns are 0-based; V8's are 1-based.
  const entry = map?.findEntry(line - 1, column - 1) as
    | Partial<{ originalSource: string; originalLine: number; originalColumn: number; name: string }>
    | undefined;
  if (entry?.originalSource === undefined || entry.originalLine === undefined) return undefined;
  return {
    where: `${entry.originalSource}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`,
    name: entry.name,
  };
};

/**
 * One frame, mapped to its original file, line and column when a map covers it. Its original
 * function name is the one its caller's mapped call site names (minified names are useless),
 * as Node's own source-map support does.
 */
export const formatFrame = (frame: CallSite, caller: CallSite | undefined): string => {
  const original = originalOf(frame);
  if (!original) return `    at ${String(frame)}`;
  const name = originalOf(caller)?.name ?? frame.getFunctionName();
  return name ? `    at ${name} (${original.where})` : `    at ${original.where}`;
};

/** The error's header line as V8 writes it (`Name: message`). */
const header = (error: Error): string => {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return 'Error';
  }
};

/**
 * Installs the mapping hook, unless Node already maps stacks (`--enable-source-maps`). A stack
 * with no frame in a mapped bundle is left to the hook installed before (Node's own).
 */
export const installSourceMappedStacks = (): void => {
  if (process.sourceMapsEnabled) return;
  const previous = Error.prepareStackTrace as PrepareStackTrace | undefined;
  Error.prepareStackTrace = (error: Error, frames: CallSite[]) => {
    const mapped = frames.some((frame) => {
      const fileName = frame.getFileName();
      return fileName ? mapFor(fileName) !== null : false;
    });
    if (!mapped && previous) return previous(error, frames);
    return [header(error), ...frames.map((frame, i) => formatFrame(frame, frames[i + 1]))].join('\n');
  };
};
