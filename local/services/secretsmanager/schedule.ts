import { invalidParameter } from '../../aws-error.js';
import { InputReader } from '../../core/input.js';

/** RotationRules as stored and returned by DescribeSecret. */
export interface RotationRules {
  AutomaticallyAfterDays?: number;
  Duration?: string;
  ScheduleExpression?: string;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const RATE = /^rate\((\d+) (hours?|days?)\)$/;
const CRON = /^cron\((.+)\)$/;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

type DayTest = (date: Date) => boolean;

interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  day: DayTest;
  months: Set<number>;
  years: Set<number> | undefined;
}

const fieldValues = (field: string, min: number, max: number, names: string[] = [], nameBase = min) => {
  const value = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const n = named >= 0 ? named + nameBase : Number(token);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${token} is outside ${min}-${max}`);
    return n;
  };
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step in ${part}`);
    let from = min;
    let to = max;
    if (range !== '*' && range !== '?') {
      const [a = '', b] = range.split('-');
      from = value(a);
      to = b === undefined ? (stepText === undefined ? from : max) : value(b);
    }
    for (let n = from; n <= to; n += step) out.add(n);
  }
  return out;
};

const lastDayOfMonth = (d: Date) =>
  new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();

const parseCron = (body: string): Cron => {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6)
    throw new Error('a cron expression has six fields: minutes hours day-of-month month day-of-week year');
  const [min = '', hour = '', dom = '', month = '', dow = '', year = ''] = fields;
  if ((dom === '?') === (dow === '?')) {
    throw new Error('exactly one of day-of-month and day-of-week must be ?');
  }
  let day: DayTest;
  if (dow === '?') {
    if (dom === 'L') day = (d) => d.getUTCDate() === lastDayOfMonth(d);
    else {
      const days = fieldValues(dom, 1, 31);
      day = (d) => days.has(d.getUTCDate());
    }
  } else {
    const nth = /^(\w+)#([1-5])$/.exec(dow);
    const last = /^(\w+)L$/.exec(dow);
    if (nth?.[1] && nth[2]) {
      const wd = [...fieldValues(nth[1], 1, 7, WEEKDAYS, 1)][0];
      const k = Number(nth[2]);
      day = (d) => d.getUTCDay() + 1 === wd && Math.ceil(d.getUTCDate() / 7) === k;
    } else if (last?.[1]) {
      const wd = [...fieldValues(last[1], 1, 7, WEEKDAYS, 1)][0];
      day = (d) => d.getUTCDay() + 1 === wd && d.getUTCDate() + 7 > lastDayOfMonth(d);
    } else {
      const days = fieldValues(dow, 1, 7, WEEKDAYS, 1);
      day = (d) => days.has(d.getUTCDay() + 1);
    }
  }
  return {
    minutes: fieldValues(min, 0, 59),
    hours: fieldValues(hour, 0, 23),
    day,
    months: fieldValues(month, 1, 12, MONTHS, 1),
    years: year === '*' ? undefined : fieldValues(year, 1970, 2199),
  };
};

/**
 * Checks RotationRules as the RotationRulesType reference describes them: AutomaticallyAfterDays
 * 1-1000 or a `rate()`/`cron()` ScheduleExpression (not both), and a Duration of `1h`-`24h`.
 * Throws InvalidParameterException naming the field; returns the rules to store.
 */
export const validateRotationRules = (input: unknown): RotationRules => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidParameter(
      'RotationRules must be an object with AutomaticallyAfterDays or ScheduleExpression.',
    );
  }
  const rules = new InputReader(input, 'InvalidParameterException', 'RotationRules.');
  if (rules.has('AutomaticallyAfterDays') && rules.has('ScheduleExpression')) {
    throw rules.error(
      'RotationRules: set AutomaticallyAfterDays or ScheduleExpression, not both (use ScheduleExpression for hours).',
    );
  }
  const days = rules.optInt('AutomaticallyAfterDays', 1, 1000);
  const expression = rules.optString('ScheduleExpression');
  if (expression !== undefined) checkExpression(expression);
  const duration = rules.optString('Duration', {
    pattern: /^0*([1-9]|1\d|2[0-4])h$/,
    hint: 'it must be a number of hours from 1h to 24h, for example 3h',
  });
  if (days === undefined && expression === undefined) {
    throw rules.error('RotationRules needs AutomaticallyAfterDays or ScheduleExpression.');
  }
  const out: RotationRules = {};
  if (days !== undefined) out.AutomaticallyAfterDays = days;
  if (expression !== undefined) out.ScheduleExpression = expression;
  if (duration !== undefined) out.Duration = duration;
  return out;
};

/** A `rate()` within the documented range or a `cron()` this module can schedule. */
const checkExpression = (expression: string): void => {
  const rate = RATE.exec(expression);
  const cron = CRON.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const hours = rate[2]?.startsWith('hour') ?? false;
    if (hours ? n < 4 || n > 24 : n < 1 || n > 1000) {
      throw invalidParameter(
        `RotationRules.ScheduleExpression ${expression} is out of range: use rate(4 hours) to rate(24 hours) or rate(1 day) to rate(1000 days).`,
      );
    }
  } else if (cron?.[1]) {
    try {
      parseCron(cron[1]);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw invalidParameter(
        `RotationRules.ScheduleExpression ${expression} is not a valid cron expression: ${why}.`,
      );
    }
  } else {
    throw invalidParameter(
      'RotationRules.ScheduleExpression must be rate(N hours|days) or cron(minutes hours day-of-month month day-of-week year).',
    );
  }
};

/** Whether the rules schedule by cron() (windows fixed in the calendar, not counted from a rotation). */
export const isCron = (rules: RotationRules): boolean => CRON.test(rules.ScheduleExpression ?? '');

const dayStart = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/**
 * The end of the window that starts at `start`: `Duration` hours when set; otherwise one hour for
 * a schedule in hours and the end of the UTC day for a schedule in days (RotationRulesType).
 */
const windowEnd = (start: number, rules: RotationRules, inHours: boolean): number => {
  const hours = Number(/^(\d+)h$/.exec(rules.Duration ?? '')?.[1]);
  const end = hours ? start + hours * HOUR_MS : inHours ? start + HOUR_MS : dayStart(start) + DAY_MS;
  return end - 1000;
};

/**
 * NextRotationDate (epoch ms), as DescribeSecret reports it: the last second of the next rotation
 * window, the moment by which Secrets Manager will have started the rotation.
 *
 * - `AutomaticallyAfterDays N` and `rate(N days)`: the window is the UTC day N days after the day
 *   of the last rotation ("If you use a rate() expression, the rotation window starts at
 *   midnight"); a value stored by PutSecretValue or UpdateSecret counts as a rotation.
 *   Real DescribeSecret output shows the same: 30 days after a change on 3 February,
 *   `NextRotationDate` is 5 March 23:59:59 UTC.
 * - `rate(N hours)`: windows start at midnight UTC and every N hours after; the next is the one
 *   holding the moment N hours after the last rotation.
 * - `cron()`: the next window the expression opens after `now`.
 */
export const nextRotationDate = (
  rules: RotationRules,
  lastRotatedMs: number | undefined,
  now: number,
): number => {
  const base = lastRotatedMs ?? now;
  const expression = rules.ScheduleExpression ?? '';
  const rate = RATE.exec(expression);
  const days =
    rules.AutomaticallyAfterDays ?? (rate && !rate[2]?.startsWith('hour') ? Number(rate[1]) : undefined);
  if (days !== undefined) return windowEnd(dayStart(base) + days * DAY_MS, rules, false);
  if (rate) {
    const every = Number(rate[1]) * HOUR_MS;
    const due = base + every;
    const start = dayStart(due) + Math.floor((due - dayStart(due)) / every) * every;
    return windowEnd(start, rules, true);
  }
  const body = CRON.exec(expression)?.[1];
  if (!body) return base;
  const cron = parseCron(body);
  const inHours = cron.hours.size > 1;
  const start = Math.floor(now / 60_000) * 60_000 + 60_000;
  const startDay = dayStart(start);
  // Day by day, then the first matching minute of a matching day: at most ~five years of days.
  for (let dayMs = startDay; dayMs < startDay + 5 * 366 * DAY_MS; dayMs += DAY_MS) {
    const d = new Date(dayMs);
    if (cron.years && !cron.years.has(d.getUTCFullYear())) continue;
    if (!cron.months.has(d.getUTCMonth() + 1) || !cron.day(d)) continue;
    for (const h of [...cron.hours].sort((a, b) => a - b)) {
      for (const m of [...cron.minutes].sort((a, b) => a - b)) {
        const t = dayMs + h * HOUR_MS + m * 60_000;
        if (t >= start) return windowEnd(t, rules, inHours);
      }
    }
  }
  return base;
};
