/**
 * Input validation with valibot: schemas for events and task inputs, and one way to turn its
 * issues into an {@link InvalidInputError} whose message names each field.
 *
 * Why valibot: its functions are separate exports, so a bundle holds only the validators it uses
 * (import them by name: `import * as v` re-exported defeats tree-shaking and bundles all ~85 KB).
 * Measured with the functions' esbuild settings (ESM, minified, node22) on the same task-event
 * schema and error formatting: valibot 1.5.0 5,817 bytes (2,128 gzipped), zod 4.6.7 `zod/mini`
 * 18,493 bytes (6,273 gzipped).
 *
 * Messages never quote the value they refuse unless a schema's own message does so on purpose
 * (a task name, a Region): valibot's default messages echo the input, so this module replaces
 * them with `<field>: expected <type>`. Secret values never go through a schema: they have their
 * own parser (functions/secret-rotation/rotators/secret-format.ts) that never quotes content.
 */
import { type BaseIssue, custom, type GenericSchema, getDotPath, type InferOutput, safeParse } from 'valibot';
import { InvalidInputError } from './errors.js';

type AnySchema = GenericSchema;

/** The dotted path of an issue (`state.plan`, `options.filter.tag`), or `event` for the input itself. */
const fieldOf = (issue: BaseIssue<unknown>): string => getDotPath(issue) ?? 'event';

/** valibot's `expected` (`string`, `Object`, `"a" | "b"`, `!0`) in words. */
const describeExpected = (expected: string | null): string => {
  switch (expected) {
    case null:
      return 'a valid value';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'Object':
      return 'an object';
    case 'Array':
      return 'an array';
    case 'never':
      return 'no such field';
    default:
      return expected;
  }
};

/** The field a missing-key issue names (valibot's `expected` is the key, quoted). */
const missingKey = (issue: BaseIssue<unknown>): string | undefined =>
  issue.received === 'undefined' && issue.expected?.startsWith('"') ? issue.expected.slice(1, -1) : undefined;

/**
 * The message of an object's own issues: an unknown field (strict objects; listing `accepted`
 * when given, so a typo shows its fix), or a missing one, with the fix from `hints` when there is
 * one for that field.
 */
export const objectMessage =
  (hints: Readonly<Record<string, string>> = {}, accepted?: readonly string[]) =>
  (issue: BaseIssue<unknown>): string => {
    if (issue.expected === 'never')
      return accepted ? `unknown field; the accepted fields are ${accepted.join(', ')}` : 'unknown field';
    const key = missingKey(issue);
    if (key !== undefined) return hints[key] ?? 'is required';
    return `expected ${describeExpected(issue.expected)}`;
  };

/** The default message of an issue without its own: never the received value. */
const defaultMessage = objectMessage();

/** Every issue as `<field>: <message>`, joined. */
export const formatIssues = (issues: readonly BaseIssue<unknown>[]): string =>
  issues.map((issue) => `${fieldOf(issue)}: ${issue.message}`).join('; ');

/**
 * Validates `input` against `schema`; throws {@link InvalidInputError} naming every field that is
 * wrong (and, through the schema's own messages, the fix). `what` prefixes the message.
 */
export const parseInput = <S extends AnySchema>(schema: S, input: unknown, what: string): InferOutput<S> => {
  const result = safeParse(schema, input, { message: defaultMessage });
  if (!result.success) throw new InvalidInputError(`${what}: ${formatIssues(result.issues)}.`);
  return result.output;
};

/** A JSON object that is not an array or null (valibot's `object` takes arrays), kept as it is. */
export const jsonObject = (message: string) =>
  custom<Record<string, unknown>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    message,
  );
