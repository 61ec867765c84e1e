/** The AWS exception type (`AwsError.type`) `run` throws, or undefined when it returns normally. */
export const errorType = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return (error as { type?: string }).type ?? String(error);
  }
  return undefined;
};
