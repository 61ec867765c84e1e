import { BlockList, isIP } from 'node:net';
import { PolicyDocumentError } from './errors.js';
import { arnMatch, matchWithVariables } from './match.js';
import type { ContextValue } from './policy.js';

type Lookup = (key: string) => ContextValue | undefined;

/** Compares one request value with one policy value. */
type Compare = (policyValue: string, requestValue: string, lookup: Lookup) => boolean;

// Plain decimal numbers only: `Number` would also read "0x10", "1e3" and "Infinity".
const toNumber = (text: string): number | undefined =>
  /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : undefined;

// Date operators take ISO 8601 dates or epoch seconds (IAM user guide, "Date condition operators").
const toTime = (text: string): number | undefined => {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
};

const numeric =
  (
    test: (request: number, policy: number) => boolean,
    parse: (text: string) => number | undefined,
  ): Compare =>
  (policyValue, requestValue) => {
    const p = parse(policyValue);
    const r = parse(requestValue);
    return p !== undefined && r !== undefined && test(r, p);
  };

const inCidr: Compare = (policyValue, requestValue) => {
  const family = isIP(requestValue);
  if (family === 0) return false;
  const [address, bits] = policyValue.split('/');
  const policyFamily = isIP(address ?? '');
  if (policyFamily !== family) return false;
  const list = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  list.addSubnet(address as string, bits === undefined ? (family === 4 ? 32 : 128) : Number(bits), type);
  return list.check(requestValue, type);
};

/**
 * The base operators (IAM user guide, "IAM JSON policy elements: Condition operators"). `negated`
 * operators are true when the request value matches none of the policy values, and when the key
 * is absent from the request.
 */
const OPERATORS: Record<string, { compare: Compare; negated: boolean }> = {
  StringEquals: {
    compare: (p, r, l) => matchWithVariables(p, r, false, l, (a, b) => a === b),
    negated: false,
  },
  StringNotEquals: {
    compare: (p, r, l) => matchWithVariables(p, r, false, l, (a, b) => a === b),
    negated: true,
  },
  StringEqualsIgnoreCase: {
    compare: (p, r, l) => matchWithVariables(p, r, true, l, (a, b) => a.toLowerCase() === b.toLowerCase()),
    negated: false,
  },
  StringNotEqualsIgnoreCase: {
    compare: (p, r, l) => matchWithVariables(p, r, true, l, (a, b) => a.toLowerCase() === b.toLowerCase()),
    negated: true,
  },
  StringLike: { compare: (p, r, l) => matchWithVariables(p, r, false, l), negated: false },
  StringNotLike: { compare: (p, r, l) => matchWithVariables(p, r, false, l), negated: true },
  NumericEquals: { compare: numeric((r, p) => r === p, toNumber), negated: false },
  NumericNotEquals: { compare: numeric((r, p) => r === p, toNumber), negated: true },
  NumericLessThan: { compare: numeric((r, p) => r < p, toNumber), negated: false },
  NumericLessThanEquals: { compare: numeric((r, p) => r <= p, toNumber), negated: false },
  NumericGreaterThan: { compare: numeric((r, p) => r > p, toNumber), negated: false },
  NumericGreaterThanEquals: { compare: numeric((r, p) => r >= p, toNumber), negated: false },
  DateEquals: { compare: numeric((r, p) => r === p, toTime), negated: false },
  DateNotEquals: { compare: numeric((r, p) => r === p, toTime), negated: true },
  DateLessThan: { compare: numeric((r, p) => r < p, toTime), negated: false },
  DateLessThanEquals: { compare: numeric((r, p) => r <= p, toTime), negated: false },
  DateGreaterThan: { compare: numeric((r, p) => r > p, toTime), negated: false },
  DateGreaterThanEquals: { compare: numeric((r, p) => r >= p, toTime), negated: false },
  Bool: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  BinaryEquals: { compare: (p, r) => p === r, negated: false },
  IpAddress: { compare: inCidr, negated: false },
  NotIpAddress: { compare: inCidr, negated: true },
  ArnEquals: { compare: (p, r, l) => matchWithVariables(p, r, false, l, arnMatch), negated: false },
  ArnLike: { compare: (p, r, l) => matchWithVariables(p, r, false, l, arnMatch), negated: false },
  ArnNotEquals: { compare: (p, r, l) => matchWithVariables(p, r, false, l, arnMatch), negated: true },
  ArnNotLike: { compare: (p, r, l) => matchWithVariables(p, r, false, l, arnMatch), negated: true },
};

const present = (value: ContextValue | undefined): value is ContextValue =>
  value !== undefined && (typeof value === 'string' || value.length > 0);

/**
 * Evaluates one `operator: {key: values}` entry. Keys within an operator, and operators within a
 * Condition, are ANDed; the values of one key are ORed (IAM user guide, "Creating a condition
 * with multiple context keys or values").
 */
const evaluateOperator = (
  operatorName: string,
  keys: Readonly<Record<string, readonly string[]>>,
  lookup: Lookup,
): boolean => {
  const [qualifier, rest] = operatorName.includes(':')
    ? (operatorName.split(':', 2) as [string, string])
    : [undefined, operatorName];
  if (qualifier !== undefined && qualifier !== 'ForAllValues' && qualifier !== 'ForAnyValue') {
    throw new PolicyDocumentError(
      `condition operator ${operatorName}: the set operator must be ForAllValues or ForAnyValue`,
    );
  }
  if (rest === 'Null') {
    // Null: "true" means the key must be absent, "false" that it must be present.
    return Object.entries(keys).every(([key, values]) =>
      values.some((v) => (v.toLowerCase() === 'true') === !present(lookup(key))),
    );
  }
  const ifExists = rest.endsWith('IfExists');
  const base = ifExists ? rest.slice(0, -'IfExists'.length) : rest;
  const operator = OPERATORS[base];
  if (operator === undefined) {
    throw new PolicyDocumentError(
      `unknown condition operator ${operatorName}; IAM's are ${Object.keys(OPERATORS).join(', ')}, Null, each with an optional IfExists suffix`,
    );
  }
  return Object.entries(keys).every(([key, policyValues]) => {
    const requestValue = lookup(key);
    // ForAllValues is true when the key is absent or empty; ForAnyValue is false
    // (IAM user guide, "Set operators for multivalued context keys").
    // ForAnyValue stays false even with IfExists: AWS denies ForAnyValue:StringEqualsIfExists on
    // aws:TagKeys for a call that has no tags (repost.aws QU9HFmDzP0QGuU-fd7rS6B7w).
    if (!present(requestValue)) {
      if (qualifier === 'ForAllValues') return true;
      if (qualifier === 'ForAnyValue') return false;
      return ifExists || operator.negated;
    }
    const requestValues = typeof requestValue === 'string' ? [requestValue] : requestValue;
    const valueMatches = (value: string): boolean => {
      const any = policyValues.some((policyValue) => operator.compare(policyValue, value, lookup));
      return operator.negated ? !any : any;
    };
    if (qualifier === 'ForAllValues') return requestValues.every(valueMatches);
    if (qualifier === 'ForAnyValue') return requestValues.some(valueMatches);
    // A single-valued operator on a key given several values: true when any of them matches
    // (all of them, for a negated operator), the reading least likely to grant by accident.
    return operator.negated ? requestValues.every(valueMatches) : requestValues.some(valueMatches);
  });
};

/** True when every operator of a statement's Condition holds for the request. */
export const conditionsHold = (
  condition: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> | undefined,
  lookup: Lookup,
): boolean =>
  condition === undefined ||
  Object.entries(condition).every(([operator, keys]) => evaluateOperator(operator, keys, lookup));
