import type { Io } from '../../cli/io.js';

/** An `Io` for a CLI command's `run(argv, io)` that keeps what the command printed. */
export const captureIo = () => {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (text: string) => {
      stdout += text;
    },
    stderr: (text: string) => {
      stderr += text;
    },
  };
  return {
    io,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
};
