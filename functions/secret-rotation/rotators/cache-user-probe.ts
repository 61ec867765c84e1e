/**
 * testSecret's command: one the user's access string allows, so a successful reply proves both
 * the password and that the user can work. The access string is Redis ACL rules (ElastiCache
 * and MemoryDB pass it to the engine as `ACL SETUSER` would): the last rule naming a command or
 * one of its categories decides, and a user starts with no commands.
 */

interface Candidate {
  readonly command: string;
  readonly categories: readonly string[];
  readonly needsKey: boolean;
}

/** Harmless probes: PING, else a read of a key no one uses, inside the user's key pattern. */
const CANDIDATES: readonly Candidate[] = [
  { command: 'ping', categories: ['fast', 'connection'], needsKey: false },
  { command: 'exists', categories: ['keyspace', 'read', 'fast'], needsKey: true },
  { command: 'get', categories: ['read', 'string', 'fast'], needsKey: true },
];

const allows = (rules: readonly string[], candidate: Candidate): boolean => {
  let allowed = false;
  for (const rule of rules.map((r) => r.toLowerCase())) {
    if (rule === '+@all' || rule === 'allcommands') allowed = true;
    else if (rule === '-@all' || rule === 'nocommands') allowed = false;
    else if (rule === `+${candidate.command}`) allowed = true;
    else if (rule === `-${candidate.command}`) allowed = false;
    else if (rule.startsWith('+@') && candidate.categories.includes(rule.slice(2))) allowed = true;
    else if (rule.startsWith('-@') && candidate.categories.includes(rule.slice(2))) allowed = false;
  }
  return allowed;
};

/** A key the first readable key pattern matches: glob wildcards and classes become letters. */
const keyFor = (rules: readonly string[]): string | undefined => {
  for (const rule of rules) {
    if (rule === 'allkeys') return 'rekey-probe';
    const pattern = /^(?:%R?W?)?~(.+)$/i.exec(rule)?.[1];
    if (rule.startsWith('%W~') || pattern === undefined) continue;
    return pattern
      .replace(/\[[^\]]*\]/g, 'x')
      .replace(/\\(.)/g, '$1')
      .replace(/[*?]/g, 'rekey-probe');
  }
  return undefined;
};

/** The command testSecret runs after AUTH, as RESP arguments; PING when the rules allow nothing we know. */
export const probeCommand = (accessString: string): { args: string[]; allowed: boolean } => {
  // Rules inside selectors "(...)" are left out: the root rules decide.
  const rules = accessString
    .replace(/\([^)]*\)/g, ' ')
    .split(/\s+/)
    .filter((rule) => rule !== '');
  for (const candidate of CANDIDATES) {
    if (!allows(rules, candidate)) continue;
    if (!candidate.needsKey) return { args: [candidate.command.toUpperCase()], allowed: true };
    const key = keyFor(rules);
    if (key !== undefined) return { args: [candidate.command.toUpperCase(), key], allowed: true };
  }
  return { args: ['PING'], allowed: false };
};
