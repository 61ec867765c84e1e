import type { ContextValue } from './policy.js';

const patterns = new Map<string, RegExp>();

/** `${*}` and `${?}` stand for literal `*` and `?`; carried through matching as private-use characters. */
const LITERAL: Record<string, string> = { '*': '\uE000', '?': '\uE001' };

/**
 * IAM's wildcard match: `*` is any run of characters (colons and slashes included), `?` exactly
 * one. Actions compare case-insensitively, resources and StringLike values case-sensitively
 * (IAM user guide, "IAM JSON policy elements: Action / Resource").
 */
export const wildcardMatch = (pattern: string, value: string, ignoreCase: boolean): boolean => {
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = patterns.get(cacheKey);
  if (regex === undefined) {
    const source = pattern
      .split('')
      .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    patterns.set(cacheKey, regex);
  }
  return regex.test(value);
};

/**
 * ArnLike / ArnEquals: both take wildcards; the ARN's six colon-separated parts are compared
 * part by part, so a `*` never spans the service or Region into the resource (IAM user guide,
 * "Amazon Resource Name (ARN) condition operators").
 */
export const arnMatch = (pattern: string, value: string): boolean => {
  const split = (arn: string): string[] | undefined => {
    const parts = arn.split(':');
    if (parts.length < 6) return undefined;
    return [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const p = split(pattern);
  const v = split(value);
  if (p === undefined || v === undefined) return pattern === '*' && value.length > 0;
  return p.every((part, index) => wildcardMatch(part, v[index] ?? '', false));
};

/**
 * Replaces policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, the escapes `${*}`,
 * `${?}`, `${$}` and defaults `${aws:username, 'none'}`) with values from the request. Returns
 * undefined when a variable has no value and no default: IAM then treats the element as not
 * matching (IAM user guide, "IAM policy elements: Variables and tags").
 */
export const substituteVariables = (
  text: string,
  lookup: (key: string) => ContextValue | undefined,
): string | undefined => {
  if (!text.includes('${')) return text;
  let missing = false;
  const replaced = text.replace(/\$\{([^}]*)\}/g, (_whole, inner: string) => {
    if (inner === '$') return '$';
    const literal = LITERAL[inner];
    if (literal !== undefined) return literal;
    const [rawKey, rawDefault] = inner.split(/,(.*)/s) as [string, string | undefined];
    const value = lookup(rawKey.trim());
    if (typeof value === 'string') return value;
    const fallback = rawDefault?.trim().match(/^'(.*)'$/s)?.[1];
    if (fallback !== undefined) return fallback;
    missing = true;
    return '';
  });
  return missing ? undefined : replaced;
};

/**
 * Matches a policy value that may hold policy variables against a request value. A value whose
 * variable is missing (and has no default) matches nothing.
 */
export const matchWithVariables = (
  pattern: string,
  value: string,
  ignoreCase: boolean,
  lookup: (key: string) => ContextValue | undefined,
  matcher: (pattern: string, value: string, ignoreCase: boolean) => boolean = wildcardMatch,
): boolean => {
  const substituted = substituteVariables(pattern, lookup);
  if (substituted === undefined) return false;
  if (!substituted.includes('\uE000') && !substituted.includes('\uE001')) {
    return matcher(substituted, value, ignoreCase);
  }
  return matcher(
    substituted,
    value.replace(/[*?]/g, (c) => LITERAL[c] ?? c),
    ignoreCase,
  );
};
