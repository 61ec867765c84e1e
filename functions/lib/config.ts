/** Raised when the function's configuration (its environment) is missing or malformed. */
export class ConfigurationError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** Reads an optional string variable; empty counts as unset. */
export const optionalString = (name: string, env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
};

/** Reads a required string variable, naming it when it is missing. */
export const requiredString = (name: string, why: string, env: NodeJS.ProcessEnv = process.env): string => {
  const value = optionalString(name, env);
  if (value === undefined) throw new ConfigurationError(`Environment variable ${name} is required: ${why}.`);
  return value;
};

/** Reads an integer variable within bounds, with a default when unset. */
export const integer = (
  name: string,
  fallback: number,
  bounds: { min: number; max: number },
  env: NodeJS.ProcessEnv = process.env,
): number => {
  const raw = optionalString(name, env);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new ConfigurationError(
      `Environment variable ${name} must be an integer from ${bounds.min} to ${bounds.max}; got '${raw}'.`,
    );
  }
  return value;
};
