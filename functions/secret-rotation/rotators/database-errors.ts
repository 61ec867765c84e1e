import { RotationError } from '../errors.js';
import type { TlsMode } from './database-secret.js';

/**
 * Errors of the database rotators. They extend `RotationError`, so the protocol passes them
 * through unchanged and their `name` becomes the Lambda `errorType`. Messages say which
 * credential, host, port and server error code were involved; never a password. Driver
 * errors are not carried as `cause` as they are: mysql2 puts the whole statement (with the
 * password literal) in `error.sql`, so only a redacted copy of the message is carried.
 */

/** Which credential a login used. */
/** `older`: another version of the secret (a labelled one, or a recent unlabelled one). */
export type CredentialRole = 'current' | 'pending' | 'previous' | 'older' | 'superuser';

/** One failed login, as reported in logs and error messages (no password). */
export interface LoginAttempt {
  readonly credential: CredentialRole;
  readonly username: string;
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  /** Server error code (SQLSTATE, MySQL error name, Redis error prefix) or Node's error code. */
  readonly code: string;
  /** The server's or the network's message, redacted. */
  readonly message: string;
}

const describeAttempt = (attempt: LoginAttempt): string =>
  `the ${attempt.credential} credential (user ${JSON.stringify(attempt.username)}, TLS ${attempt.tls}) failed with ${attempt.code}: ${attempt.message}`;

/** Adds the fix for failures whose cause users most often misread. */
const hintFor = (attempt: LoginAttempt): string | undefined => {
  const text = `${attempt.code} ${attempt.message}`;
  if (
    /does not support (SSL|secure)|HANDSHAKE_NO_SSL|before secure TLS connection|wrong version number/i.test(
      text,
    )
  ) {
    return 'the server does not offer TLS: enable TLS on the server, or set "ssl": false in the secret if plaintext is really intended';
  }
  if (/CERT|certificate|self[- ]signed|altname|UNABLE_TO_VERIFY|Hostname\/IP/i.test(text)) {
    return 'the TLS certificate check failed: give the server\'s CA bundle in "ssl": {"mode": ..., "ca": "<PEM>"}, or make "host" match a name in the certificate (verify-full)';
  }
  if (attempt.tls !== 'disable' && /timeout|ECONNRESET|socket closed|disconnected/i.test(text)) {
    // A plaintext server answers a TLS handshake with silence or a reset, not with an error.
    return `TLS (${attempt.tls}) was required and the connection stalled or was reset: if the server does not offer TLS, enable it there, or set "ssl": false in the secret if plaintext is really intended; otherwise check host, port and network`;
  }
  if (/ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|timeout/i.test(text)) {
    return 'the server could not be reached: check host, port, security groups and that the function runs in a network that reaches the database';
  }
  return undefined;
};

/** No credential could log in. `attempts` lists each try in order. */
export class DatabaseLoginError extends RotationError {
  public readonly attempts: readonly LoginAttempt[];
  public constructor(engine: string, attempts: readonly LoginAttempt[], purpose: string) {
    const first = attempts[0];
    const where = first ? `${engine} at ${first.host}:${first.port}` : engine;
    const hints = [...new Set(attempts.map(hintFor).filter((hint) => hint !== undefined))];
    super(
      `Could not log in to ${where} to ${purpose}: ${attempts.map(describeAttempt).join('; ')}.${hints.length > 0 ? ` Hint: ${hints.join('; ')}.` : ''}`,
    );
    this.name = 'DatabaseLoginError';
    this.attempts = attempts;
  }
}

/** A statement failed after a successful login (permission missing, user absent, ...). */
export class DatabaseStatementError extends RotationError {
  public readonly code: string;
  public constructor(
    what: string,
    where: { engine: string; host: string; port: number; username: string },
    failure: { code: string; message: string },
  ) {
    super(
      `Could not ${what} on ${where.engine} at ${where.host}:${where.port} as user ${JSON.stringify(where.username)}: ${failure.code}: ${failure.message}`,
      { cause: Object.assign(new Error(failure.message), { code: failure.code }) },
    );
    this.name = 'DatabaseStatementError';
    this.code = failure.code;
  }
}

/** The database is not in the state the rotation needs (e.g. the user to clone does not exist). */
export class DatabaseStateError extends RotationError {
  public constructor(message: string) {
    super(message);
    this.name = 'DatabaseStateError';
  }
}

const WINDOW = 8;

/**
 * Removes every secret from `text`. With `partial` (for failures of statements that carried
 * a password), a server message may quote a truncated part of the statement (MySQL's
 * "near '...'"), so when any 8-character piece of a secret remains, the whole message is
 * withheld rather than risk printing part of a password. Login failures do not quote
 * statements, and there the check would hide useful messages for passwords made of words.
 */
export const redact = (text: string, secrets: readonly string[], partial = false): string => {
  let result = text;
  for (const secret of secrets) {
    if (secret.length > 0) result = result.split(secret).join('[redacted]');
  }
  if (!partial) return result;
  for (const secret of secrets) {
    for (let i = 0; i + WINDOW <= secret.length; i += 1) {
      if (result.includes(secret.slice(i, i + WINDOW))) {
        return '(server message withheld: it quoted part of a password)';
      }
    }
  }
  return result;
};

/**
 * The code and message of a driver or network error, redacted. Handles Node's
 * AggregateError (connecting to every address of a host failed), whose own message is empty.
 */
export const describeDriverError = (
  error: unknown,
  secrets: readonly string[],
  partial = false,
): { code: string; message: string } => {
  if (!(error instanceof Error)) return { code: 'UNKNOWN', message: redact(String(error), secrets, partial) };
  const withCode = error as Error & { code?: unknown; errors?: unknown };
  let message = error.message;
  if (message === '' && Array.isArray(withCode.errors)) {
    message = withCode.errors
      .map((inner: unknown) => (inner instanceof Error ? inner.message : String(inner)))
      .join('; ');
  }
  let code = typeof withCode.code === 'string' && withCode.code !== '' ? withCode.code : undefined;
  const { errno, sqlState } = error as { errno?: unknown; sqlState?: unknown };
  if (typeof errno === 'number' && typeof sqlState === 'string') {
    // mysql2 names errors by MySQL's numbering; from 1900 on MariaDB numbers differently (its
    // 4151 "account is locked" is MySQL's ER_BULK_PARSER_...), so the name is shown only below.
    code =
      errno < 1900 && code ? `${code} (${errno}, SQLSTATE ${sqlState})` : `${errno} (SQLSTATE ${sqlState})`;
  }
  if (code === undefined) {
    // Redis replies carry their code as the first word: "WRONGPASS invalid username-password pair".
    const prefix = /^([A-Z][A-Z_]{2,})\s/.exec(message)?.[1];
    code = prefix ?? (error.name === 'Error' ? 'CLIENT_ERROR' : error.name);
  }
  return { code, message: redact(message, secrets, partial) || '(no message)' };
};

/**
 * The superuser secret is for another server than the one the rotated secret's credentials
 * log in to, or the current credentials logged in as another user than the one being rotated.
 * Raised before any statement runs, so neither server is changed. Names the hosts, never a value.
 */
export class SuperuserEndpointError extends RotationError {
  public constructor(message: string) {
    super(message);
    this.name = 'SuperuserEndpointError';
  }
}

/**
 * A credential logged in, but the server says the session is another user than the secret
 * names (a MySQL anonymous account accepts any user name with its own password). Nothing was
 * changed: such a login does not prove the password of the user being rotated.
 */
export class LoginIdentityError extends RotationError {
  public constructor(message: string) {
    super(message);
    this.name = 'LoginIdentityError';
  }
}
