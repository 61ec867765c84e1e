/**
 * Progress on standard error: rewritten in place on a terminal (step count, elapsed, the time
 * left in a wait and when it ends), plain lines when piped, nothing with --quiet.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configureOutput } from '../../../cli/io.js';
import { createProgress, duration } from '../../../cli/progress.js';
import { captureIo } from '../../helpers/cli-io.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');

afterEach(() => {
  vi.useRealTimers();
  configureOutput({ quiet: false, verbose: false });
});

describe('progress', () => {
  it('piped: one plain line per step and per wait, with the wait end time, no carriage return', () => {
    let now = T0;
    const printed = captureIo();
    const progress = createProgress(printed.io, { tty: false, now: () => now });

    progress.step('Plan Rotation');
    now += 2_000;
    progress.wait('Wait Grace Period', 90);
    progress.end();

    expect(printed.stderr).toBe(
      '  [1] Plan Rotation (0 s elapsed)\n' +
        '  [2] Wait Grace Period: 1 min 30 s left, until 2026-03-01T10:01:32Z (2 s elapsed)\n',
    );
  });

  it('on a terminal: one line rewritten each second with the time left, ended by a newline', () => {
    vi.useFakeTimers({ now: T0 });
    const printed = captureIo();
    const progress = createProgress(printed.io, { tty: true });

    progress.wait('Wait Retention Period', 5);
    vi.advanceTimersByTime(2_000);
    progress.step('Schedule Predecessor Deletion');
    progress.end();

    const frames = printed.stderr.split('\r').filter(Boolean);
    expect(frames[0]).toBe(
      '  [1] Wait Retention Period: 5 s left, until 2026-03-01T10:00:05Z (0 s elapsed)\x1b[K',
    );
    expect(frames[2]).toBe(
      '  [1] Wait Retention Period: 3 s left, until 2026-03-01T10:00:05Z (2 s elapsed)\x1b[K',
    );
    expect(frames.at(-1)).toBe('  [2] Schedule Predecessor Deletion (2 s elapsed)\x1b[K\n');
    expect(printed.stderr.split('\n')).toHaveLength(2);
  });

  it('--quiet prints nothing', () => {
    configureOutput({ quiet: true, verbose: false });
    const printed = captureIo();
    const progress = createProgress(printed.io, { tty: true });
    progress.step('Plan Rotation');
    progress.wait('Wait Grace Period', 3);
    progress.end();
    expect(printed.stderr).toBe('');
  });

  it.each([
    [42, '42 s'],
    [185, '3 min 5 s'],
    [3700, '1 h 1 min'],
    [7 * 86_400 + 3600, '7 d 1 h'],
  ])('duration(%i) is %s', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });
});
