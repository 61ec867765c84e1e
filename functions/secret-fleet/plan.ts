import { classifyAll, compareKeys, isCandidate, sortKeyOf } from './assess.js';
import type { FleetClients } from './clients.js';
import { listSecrets } from './list.js';
import type {
  Assessment,
  Candidate,
  Classification,
  FleetOptions,
  FleetPlan,
  FleetProgress,
  SecretSnapshot,
  SortKey,
} from './types.js';

/** Candidates shown by name in the plan (a dry run prints them); the rest are counted. */
export const PREVIEW_LIMIT = 50;
/** Names of skipped secrets shown per classification. */
export const EXAMPLES_PER_CLASS = 3;

/** The selected candidates of a listing: their keys are after `cursor` and not after `cutoff`. */
export const inWindow = (key: SortKey, cursor: SortKey | null, cutoff: SortKey | null): boolean =>
  cutoff !== null && compareKeys(key, cutoff) <= 0 && (cursor === null || compareKeys(key, cursor) > 0);

/**
 * List everything, decide, then act: lists every matching secret (ListSecrets, pages of 100,
 * filtered server-side), classifies all of them, and selects at most `maxRotations` candidates,
 * oldest due first. Only counts, a bounded preview and the cutoff key leave the function, so the
 * state stays the same size for 10 or 100,000 secrets.
 */
export const planFleet = async (
  clients: FleetClients,
  options: FleetOptions,
): Promise<{ plan: FleetPlan; progress: FleetProgress }> => {
  const startedAt = clients.now().toISOString();
  const { secrets } = await listSecrets(clients, options.filter);
  const keyed = secrets.map((secret) => ({ secret, key: sortKeyOf(secret) }));
  const assessments = await classifyAll(
    clients,
    options,
    keyed.map((k) => k.secret),
  );
  const counts: FleetPlan['counts'] = {};
  const examples: FleetPlan['examples'] = {};
  const candidates: { candidate: Candidate; key: SortKey }[] = [];
  assessments.forEach((a, i) => {
    counts[a.classification] = (counts[a.classification] ?? 0) + 1;
    if (isCandidate(a)) candidates.push({ candidate: a, key: (keyed[i] as { key: SortKey }).key });
    else {
      const names = examples[a.classification] ?? [];
      if (names.length < EXAMPLES_PER_CLASS) examples[a.classification] = [...names, a.name];
    }
  });
  candidates.sort((a, b) => compareKeys(a.key, b.key));
  const selected = candidates.slice(0, options.maxRotations);
  const plan: FleetPlan = {
    matched: secrets.length,
    candidates: candidates.length,
    selected: selected.length,
    deferred: candidates.length - selected.length,
    counts,
    examples,
    preview: selected.slice(0, PREVIEW_LIMIT).map((s) => s.candidate),
  };
  const progress: FleetProgress = {
    startedAt,
    cutoff: selected.at(-1)?.key ?? null,
    cursor: null,
    started: 0,
    rotated: 0,
    failed: 0,
    cleared: 0,
    resumed: 0,
    remaining: selected.length,
    writes: 0,
    busySeconds: 0,
    batches: 0,
    inFlight: [],
    failures: [],
    failuresOmitted: 0,
    done: selected.length === 0,
  };
  return { plan, progress };
};

/**
 * The candidates a batch still has to start: lists again (secrets change while a run goes on),
 * keeps the keys inside the window, classifies only those, in rotation order. A secret the run
 * rotated has a later due date and leaves the window; one it failed keeps its key, which is at
 * or before the cursor.
 */
export const remainingCandidates = async (
  clients: FleetClients,
  options: FleetOptions,
  progress: Pick<FleetProgress, 'cursor' | 'cutoff'>,
): Promise<{ candidate: Candidate; key: SortKey }[]> => {
  if (progress.cutoff === null) return [];
  const { secrets } = await listSecrets(clients, options.filter);
  const inside: { secret: SecretSnapshot; key: SortKey }[] = [];
  for (const secret of secrets) {
    const key = sortKeyOf(secret);
    if (inWindow(key, progress.cursor, progress.cutoff)) inside.push({ secret, key });
  }
  inside.sort((a, b) => compareKeys(a.key, b.key));
  const assessed: (Assessment | Candidate)[] = await classifyAll(
    clients,
    options,
    inside.map((i) => i.secret),
  );
  const out: { candidate: Candidate; key: SortKey }[] = [];
  assessed.forEach((a, i) => {
    if (isCandidate(a)) out.push({ candidate: a, key: (inside[i] as { key: SortKey }).key });
  });
  return out;
};

export type { Classification };
