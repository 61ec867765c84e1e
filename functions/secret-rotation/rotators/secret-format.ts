import { SecretFormatError } from '../errors.js';

/**
 * Parsing helpers shared by the rotators. None of them lets a secret value reach an error
 * message: Node's `SyntaxError` from `JSON.parse` quotes the text it failed on, so it is
 * replaced by a `SecretFormatError` that names the problem and is not carried as `cause`.
 */

export type JsonObject = Record<string, unknown>;

const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value parsed as a JSON object, or `undefined` when it is not one (never throws). */
export const tryParseJsonObject = (text: string): JsonObject | undefined => {
  try {
    const value: unknown = JSON.parse(text);
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
};

/** Whether the text looks like it was meant to be a JSON object (its first non-blank character is `{`). */
export const looksLikeJsonObject = (text: string): boolean => text.trimStart().startsWith('{');

/**
 * Parses a secret value that must be a JSON object. `what` names the version for the
 * message (e.g. `the AWSCURRENT version`); `fix` says what the user should do.
 */
export const parseJsonObject = (text: string, what: string, fix: string): JsonObject => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SecretFormatError(`The SecretString of ${what} is not valid JSON. ${fix}`);
  }
  if (!isJsonObject(value)) {
    const kind = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    throw new SecretFormatError(`The SecretString of ${what} is JSON ${kind}, not an object. ${fix}`);
  }
  return value;
};

/** Reads a string field of a parsed secret; throws a `SecretFormatError` naming the field when it is missing or not a string. */
export const requireStringField = (secret: JsonObject, field: string, what: string, fix: string): string => {
  const value = secret[field];
  if (value === undefined) {
    throw new SecretFormatError(`The SecretString of ${what} has no field "${field}". ${fix}`, { field });
  }
  if (typeof value !== 'string') {
    const kind = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    throw new SecretFormatError(`Field "${field}" of ${what} must be a string; it is ${kind}. ${fix}`, {
      field,
    });
  }
  return value;
};

/**
 * Replaces the value of one top-level field of a JSON object text, leaving every other byte
 * as it was: key order, whitespace, number spellings (a 20-digit port or id survives, where
 * `JSON.parse` + `JSON.stringify` would round it) and unknown fields. With duplicate keys
 * the last one is replaced, the one `JSON.parse` reads. Returns `undefined` when the field
 * is absent. The text must already be known to parse as a JSON object.
 */
export const replaceTopLevelField = (text: string, field: string, newValue: string): string | undefined => {
  const span = findTopLevelValue(text, field);
  if (!span) return undefined;
  return `${text.slice(0, span.start)}${JSON.stringify(newValue)}${text.slice(span.end)}`;
};

const isWhitespace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Where the value of the last top-level `field` sits in a valid JSON object text. */
const findTopLevelValue = (text: string, field: string): { start: number; end: number } | undefined => {
  let i = 0;
  const skipWhitespace = () => {
    while (isWhitespace(text[i])) i++;
  };
  // Returns the index just past a string token starting at `from` (which is a quote).
  const endOfString = (from: number): number => {
    let j = from + 1;
    while (j < text.length) {
      const c = text[j];
      if (c === '\\') j += 2;
      else if (c === '"') return j + 1;
      else j++;
    }
    return j;
  };
  // Returns the index just past the value starting at `from`.
  const endOfValue = (from: number): number => {
    const c = text[from];
    if (c === '"') return endOfString(from);
    if (c === '{' || c === '[') {
      let depth = 0;
      let j = from;
      while (j < text.length) {
        const d = text[j];
        if (d === '"') {
          j = endOfString(j);
          continue;
        }
        if (d === '{' || d === '[') depth++;
        else if (d === '}' || d === ']') {
          depth--;
          if (depth === 0) return j + 1;
        }
        j++;
      }
      return j;
    }
    // Number, true, false or null: runs to the next delimiter.
    let j = from;
    while (j < text.length && !isWhitespace(text[j]) && text[j] !== ',' && text[j] !== '}' && text[j] !== ']')
      j++;
    return j;
  };

  skipWhitespace();
  if (text[i] !== '{') return undefined;
  i++;
  let found: { start: number; end: number } | undefined;
  for (;;) {
    skipWhitespace();
    if (text[i] !== '"') return found;
    const keyEnd = endOfString(i);
    const key: unknown = JSON.parse(text.slice(i, keyEnd));
    i = keyEnd;
    skipWhitespace();
    i++; // the colon
    skipWhitespace();
    const start = i;
    i = endOfValue(i);
    if (key === field) found = { start, end: i };
    skipWhitespace();
    if (text[i] !== ',') return found;
    i++;
  }
};
