import { defaultIo, type Io, note } from './io.js';

/**
 * Progress of long work on standard error: on a terminal one line rewritten in place (the step,
 * how many steps so far, elapsed time, and during a wait the time left and when it ends); piped
 * or redirected, one plain line per step and per wait, never a carriage return. `--quiet`
 * prints nothing.
 */
export interface Progress {
  /** A step began. */
  step(name: string): void;
  /** A wait of `seconds` began (as part of step `name`). */
  wait(name: string, seconds: number): void;
  /** The work ended: finish the line. */
  end(): void;
}

const clock = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** "7 d 0 h", "1 h 2 min", "3 min 5 s", "42 s". */
export const duration = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 86_400) return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${s} s`;
};

export const createProgress = (io: Io, options: { tty?: boolean; now?: () => number } = {}): Progress => {
  const tty = options.tty ?? (io === defaultIo && process.stderr.isTTY === true);
  const now = options.now ?? Date.now;
  const started = now();
  let steps = 0;
  let ticker: NodeJS.Timeout | undefined;
  let open = false;
  const elapsed = () => duration((now() - started) / 1000);
  const stopTicker = () => {
    if (ticker) clearInterval(ticker);
    ticker = undefined;
  };
  const line = (text: string) => {
    if (tty) {
      // \x1b[K clears what a longer previous line left behind.
      note(io, `\r${text}\x1b[K`);
      open = true;
    } else note(io, `${text}\n`);
  };
  return {
    step(name) {
      stopTicker();
      steps++;
      line(`  [${steps}] ${name} (${elapsed()} elapsed)`);
    },
    wait(name, seconds) {
      stopTicker();
      steps++;
      const end = now() + seconds * 1000;
      const show = () =>
        line(
          `  [${steps}] ${name}: ${duration((end - now()) / 1000)} left, until ${clock(new Date(end))} (${elapsed()} elapsed)`,
        );
      show();
      if (tty && seconds > 1) {
        ticker = setInterval(show, 1000);
        ticker.unref();
      }
    },
    end() {
      stopTicker();
      if (open) note(io, '\n');
      open = false;
    },
  };
};
