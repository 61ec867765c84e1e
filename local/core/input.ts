/**
 * Reading the JSON input of an operation: typed getters that check one field each and throw the
 * AWS-shaped error the service uses for malformed input (`ValidationException` for KMS, ACM and
 * EventBridge, `InvalidParameterException` for Secrets Manager), with a message that names the
 * field and says what would be valid, as AWS does.
 *
 * A field that is absent or `null` is "not given" (the SDKs drop undefined members; null comes
 * only from hand-written requests). `req*` getters also treat an empty string as not given.
 */
import { AwsError } from '../aws-error.js';

/** The decoded JSON body of one request. */
export type Input = Record<string, unknown>;

/** Checks of a string field beyond its type. */
export interface StringRule {
  /** Fewest characters (default 0; `req*` getters refuse '' anyway). */
  min?: number;
  /** Most characters (default: no limit). */
  max?: number;
  /** A pattern the whole value must match, with `hint` saying in words what it allows. */
  pattern?: RegExp;
  hint?: string;
}

/** Checks of a list field. */
export interface ListRule {
  minItems?: number;
  maxItems?: number;
  /** Most characters of each string in a list of strings. */
  itemMax?: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const given = (value: unknown): boolean => value !== undefined && value !== null;

/**
 * Typed getters over one request's input. Construct one per request with the exception type the
 * service raises for bad input: `new InputReader(input, 'InvalidParameterException')`.
 */
export class InputReader {
  public readonly raw: Input;
  public readonly errorType: string;
  /** Put before every field name in messages: `Tags[2].` for the items of a list. */
  public readonly path: string;

  public constructor(input: unknown, errorType = 'ValidationException', path = '') {
    this.raw = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Input) : {};
    this.errorType = errorType;
    this.path = path;
  }

  /** The field's name as messages show it (with the path of a list item). */
  public name(field: string): string {
    return `${this.path}${field}`;
  }

  /** The service's bad-input error with `message` (use it for checks no getter covers). */
  public error(message: string): AwsError {
    return new AwsError(this.errorType, message);
  }

  public fail(message: string): never {
    throw this.error(message);
  }

  /** Whether `field` is given (present and not null). */
  public has(field: string): boolean {
    return given(this.raw[field]);
  }

  public optString(field: string, rule: StringRule = {}): string | undefined {
    const value = this.raw[field];
    if (!given(value)) return undefined;
    if (typeof value !== 'string') this.fail(`${this.name(field)} must be a string.`);
    if (rule.max !== undefined && value.length > rule.max) {
      this.fail(`${this.name(field)} must be at most ${rule.max} characters long (got ${value.length}).`);
    }
    if (rule.min !== undefined && value.length < rule.min) {
      this.fail(`${this.name(field)} must be at least ${rule.min} characters long.`);
    }
    if (rule.pattern && !rule.pattern.test(value)) {
      this.fail(`${this.name(field)} is not valid: ${rule.hint ?? `it must match ${rule.pattern.source}`}.`);
    }
    return value;
  }

  /** A string that must be given and not empty. */
  public reqString(field: string, rule: StringRule = {}): string {
    const value = this.optString(field, rule);
    if (value === undefined || value === '') this.fail(`${this.name(field)} is required.`);
    return value;
  }

  public optBool(field: string): boolean | undefined {
    const value = this.raw[field];
    if (!given(value)) return undefined;
    if (typeof value !== 'boolean') this.fail(`${this.name(field)} must be a boolean (true or false).`);
    return value;
  }

  public optInt(field: string, min: number, max: number): number | undefined {
    const value = this.raw[field];
    if (!given(value)) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(`${this.name(field)} must be an integer from ${min} to ${max}.`);
    }
    return value;
  }

  public optEnum<T extends string>(field: string, allowed: readonly T[]): T | undefined {
    const value = this.optString(field);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(`${this.name(field)} '${value}' is not valid; use one of: ${allowed.join(', ')}.`);
    }
    return value as T;
  }

  /** A list of strings, each at most `itemMax` characters and not empty when `itemMax` is set. */
  public optStringList(field: string, rule: ListRule = {}): string[] | undefined {
    const value = this.raw[field];
    if (!given(value)) return undefined;
    const min = rule.minItems ?? 0;
    const max = rule.maxItems ?? Number.POSITIVE_INFINITY;
    const itemMax = rule.itemMax;
    if (
      !Array.isArray(value) ||
      value.length < min ||
      value.length > max ||
      !value.every(
        (v) => typeof v === 'string' && (itemMax === undefined || (v.length >= 1 && v.length <= itemMax)),
      )
    ) {
      const count = max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
      const items = itemMax === undefined ? 'strings' : `strings of 1 to ${itemMax} characters`;
      this.fail(`${this.name(field)} must be a list of ${count} ${items}.`);
    }
    return value as string[];
  }

  /** A list of objects (each item is read with its own reader, naming it `Field[i]`). */
  public optObjectList(field: string, rule: ListRule = {}): InputReader[] | undefined {
    const value = this.raw[field];
    if (!given(value)) return undefined;
    const min = rule.minItems ?? 0;
    const max = rule.maxItems ?? Number.POSITIVE_INFINITY;
    if (!Array.isArray(value) || value.length < min || value.length > max) {
      const count = max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
      this.fail(`${this.name(field)} must be a list of ${count} objects.`);
    }
    return value.map((item, i) => new InputReader(item, this.errorType, `${this.name(field)}[${i}].`));
  }

  /** A blob: base64 in the JSON protocol, `min` to `max` bytes once decoded. */
  public optBlob(field: string, min: number, max: number): Buffer | undefined {
    const value = this.raw[field];
    if (!given(value)) return undefined;
    if (typeof value !== 'string' || !BASE64.test(value))
      this.fail(`${this.name(field)} must be base64-encoded bytes.`);
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length < min || bytes.length > max) {
      this.fail(`${this.name(field)} must be ${min} to ${max} bytes long (got ${bytes.length}).`);
    }
    return bytes;
  }

  public reqBlob(field: string, min: number, max: number): Buffer {
    const value = this.optBlob(field, min, max);
    if (value === undefined) this.fail(`${this.name(field)} is required.`);
    return value;
  }

  /** A timestamp as epoch milliseconds: the JSON protocol sends epoch seconds; ISO strings are accepted too. */
  public optTimestamp(field: string): number | undefined {
    const value = this.raw[field];
    if (!given(value)) return undefined;
    const ms =
      typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (!Number.isFinite(ms)) this.fail(`${this.name(field)} must be a timestamp (epoch seconds).`);
    return ms;
  }

  /** A map of string keys to string values (tags as a map, encryption contexts, ...). */
  public optStringMap(field: string): Record<string, string> | undefined {
    const value = this.raw[field];
    if (!given(value)) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.fail(`${this.name(field)} must be a map of string keys to string values.`);
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value as Input)) {
      if (typeof v !== 'string') this.fail(`${this.name(field)} value for '${k}' must be a string.`);
      out[k] = v;
    }
    return out;
  }
}
