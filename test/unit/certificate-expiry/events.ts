import { readFileSync } from 'node:fs';

/** Loads a sample event from events/ (the files `sam local invoke -e` takes) as a fresh copy. */
export const loadEvent = (name: string): Record<string, unknown> =>
  structuredClone(
    JSON.parse(readFileSync(new URL(`../../../events/${name}.json`, import.meta.url), 'utf8')),
  ) as Record<string, unknown>;
