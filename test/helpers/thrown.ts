/** What `run` throws (synchronously), so a test can assert on its type and message; fails when nothing is thrown. */
export const thrown = <E = Error & { type?: string }>(run: () => unknown): E => {
  try {
    run();
  } catch (error) {
    return error as E;
  }
  throw new Error('Expected the call to throw, but it returned.');
};
