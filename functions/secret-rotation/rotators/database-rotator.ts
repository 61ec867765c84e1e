import { RotationError, SecretFormatError } from '../errors.js';
import { passwordPolicyFromTags } from '../password.js';
import {
  type CredentialRole,
  DatabaseLoginError,
  DatabaseStatementError,
  describeDriverError,
  type LoginAttempt,
} from './database-errors.js';
import {
  alternateUsername,
  alternatingPair,
  type DatabaseSecret,
  databasePasswordDefaults,
  type EngineFamily,
  parseDatabaseSecret,
  pendingSecretString,
} from './database-secret.js';
import type { DatabaseRotatorOptions, RotationStrategy } from './index.js';
import type { Rotator, RotatorContext, SecretVersion } from './types.js';

/**
 * The flow shared by the database rotators (which credential logs in when, who changes which
 * password); the engine modules supply the statements through an {@link EngineAdapter}.
 */

/** Connect and statement timeouts, well inside a rotation function's timeout (30 s and up). */
export const CONNECT_TIMEOUT_MS = 5_000;
export const STATEMENT_TIMEOUT_MS = 10_000;

/** What an adapter needs to open a connection. */
export type ConnectTarget = Pick<
  DatabaseSecret,
  'engine' | 'host' | 'port' | 'username' | 'password' | 'dbname' | 'tls'
>;

/** Facts about the current user's account, read over its own session before the superuser acts. */
export type AccountInfo = Readonly<Record<string, string>>;

/** The engine-specific half of a database rotator. Methods throw driver errors as they come. */
export interface EngineAdapter<S> {
  readonly family: EngineFamily;
  /** Opens an authenticated session; rejects with the driver's error. Must not leak a connection. */
  open(target: ConnectTarget): Promise<S>;
  close(session: S): Promise<void>;
  /** A trivial query proving the session works (`SELECT 1`, `PING`). */
  ping(session: S): Promise<void>;
  /** Single-user: the logged-in `username` changes its own password from `oldPassword`. */
  changeOwnPassword(
    session: S,
    change: { username: string; oldPassword: string; newPassword: string },
  ): Promise<void>;
  /** As superuser: sets the password of an existing user (single-user rotation with `masterarn`). */
  setPasswordAsAdmin(
    admin: S,
    change: { username: string; newPassword: string; account: AccountInfo },
  ): Promise<void>;
  /** Reads what the superuser will need about the current user, over the current user's own session. */
  describeAccount(session: S, username: string): Promise<AccountInfo>;
  /**
   * As superuser: makes `target` a working copy of `template` (created if missing, with the same
   * rights) whose password is `password`. Idempotent.
   */
  ensureAlternateUser(
    admin: S,
    users: { template: string; target: string; password: string; account: AccountInfo },
  ): Promise<void>;
  /** Single-user finish: removes `oldPassword` once the new one is in use (Redis keeps both until then). */
  retireOldPassword?(
    session: S,
    change: { username: string; oldPassword: string; newPassword: string },
  ): Promise<void>;
}

/** Human label for messages (`postgres`, `mariadb`, ...): the secret's own engine value. */
const label = (target: ConnectTarget): string => target.engine;

interface Login<S> {
  readonly session: S;
  readonly credential: CredentialRole;
  readonly target: ConnectTarget;
}

/** Runs `work` with every secret of the rotation known, so failures can be redacted. */
class DatabaseRotation<S> {
  readonly #adapter: EngineAdapter<S>;
  readonly #ctx: RotatorContext;
  readonly #secrets: string[];

  public constructor(adapter: EngineAdapter<S>, ctx: RotatorContext, secrets: readonly DatabaseSecret[]) {
    this.#adapter = adapter;
    this.#ctx = ctx;
    this.#secrets = secrets.map((secret) => secret.password);
  }

  public addSecret(password: string): void {
    this.#secrets.push(password);
  }

  /** Tries one login; returns the failure instead of throwing it, logged without the password. */
  public async tryLogin(target: ConnectTarget, credential: CredentialRole): Promise<Login<S> | LoginAttempt> {
    try {
      const session = await this.#adapter.open(target);
      return { session, credential, target };
    } catch (error) {
      const { code, message } = describeDriverError(error, this.#secrets);
      const attempt: LoginAttempt = {
        credential,
        username: target.username,
        host: target.host,
        port: target.port,
        tls: target.tls.mode,
        code,
        message,
      };
      // Info, not warn: trying the pending credential first and failing is the normal path of a
      // first setSecret. A step that runs out of credentials fails with all attempts in its error.
      // (`message` is reserved by the logger, hence `serverMessage`.)
      const { message: serverMessage, ...rest } = attempt;
      this.#ctx.logger.info('Database login attempt failed', {
        engine: label(target),
        ...rest,
        serverMessage,
      });
      return attempt;
    }
  }

  /** Logs in or throws `DatabaseLoginError` saying why. */
  public async login(target: ConnectTarget, credential: CredentialRole, purpose: string): Promise<Login<S>> {
    const result = await this.tryLogin(target, credential);
    if ('session' in result) return result;
    throw new DatabaseLoginError(label(target), [result], purpose);
  }

  /** Runs `work` on a session and always closes it. Statement failures become `DatabaseStatementError`. */
  public async within<T>(login: Login<S>, what: string, work: (session: S) => Promise<T>): Promise<T> {
    try {
      return await work(login.session);
    } catch (error) {
      // Errors raised on purpose (a missing user, a malformed superuser secret) already explain themselves.
      if (error instanceof RotationError) throw error;
      throw new DatabaseStatementError(
        what,
        {
          engine: label(login.target),
          host: login.target.host,
          port: login.target.port,
          username: login.target.username,
        },
        describeDriverError(error, this.#secrets, true),
      );
    } finally {
      await this.#adapter.close(login.session).catch((error: unknown) => {
        this.#ctx.logger.warn('Closing the database connection failed', {
          cause: describeDriverError(error, this.#secrets).message,
        });
      });
    }
  }
}

const sameServer = (current: DatabaseSecret, pending: DatabaseSecret): void => {
  for (const field of ['host', 'port', 'engine'] as const) {
    if (current[field] !== pending[field]) {
      throw new SecretFormatError(
        `Field ${field} of the AWSPENDING version differs from the AWSCURRENT version: a rotation changes the credential, not the server. Cancel the rotation (remove AWSPENDING) and change the server with PutSecretValue instead.`,
        { field },
      );
    }
  }
};

const parseVersion = (version: SecretVersion, label: string, family: EngineFamily): DatabaseSecret =>
  parseDatabaseSecret(version.secretString, `the ${label} version (${version.versionId})`, family);

/**
 * A rotator for one engine family and strategy. The registry (`index.ts`) picks the strategy
 * from the secret and its tags and passes the function's password defaults.
 */
export const createDatabaseRotator = <S>(
  adapter: EngineAdapter<S>,
  options: Pick<DatabaseRotatorOptions, 'strategy' | 'passwordDefaults'>,
): Rotator => {
  const family = adapter.family;
  const strategy: RotationStrategy = options.strategy;
  const passwordDefaults = databasePasswordDefaults(family, options.passwordDefaults);

  const requireMasterArn = (secret: DatabaseSecret): string => {
    if (secret.masterarn === undefined) {
      throw new SecretFormatError(
        'Field masterarn is required for alternating-users rotation: set it to the ARN of the superuser secret that may create the second user, or tag the secret rekey:strategy=single-user.',
        { field: 'masterarn' },
      );
    }
    return secret.masterarn;
  };

  const readSuperuser = async (secret: DatabaseSecret, ctx: RotatorContext): Promise<DatabaseSecret> => {
    const arn = requireMasterArn(secret);
    const master = await ctx.getSecretValue(arn);
    return parseDatabaseSecret(
      master.secretString,
      `the superuser secret named by masterarn (${arn})`,
      family,
    );
  };

  return {
    name: `${family}-${strategy}`,
    // Only single-user rotation falls back to AWSPREVIOUS; skipping it saves a GetSecretValue call.
    usesPreviousVersion: strategy === 'single-user',

    async createPending(current, ctx) {
      const secret = parseVersion(current, 'AWSCURRENT', family);
      let username = secret.username;
      if (strategy === 'alternating-users') {
        requireMasterArn(secret);
        username = alternateUsername(secret.username, secret.engine);
      }
      const password = await ctx.generatePassword(passwordPolicyFromTags(ctx.tags, passwordDefaults));
      return pendingSecretString(secret, { username, password });
    },

    async setSecret(versions, ctx) {
      const current = parseVersion(versions.current, 'AWSCURRENT', family);
      const pending = parseVersion(versions.pending, 'AWSPENDING', family);
      sameServer(current, pending);
      let previous: DatabaseSecret | undefined;
      if (versions.previous) {
        try {
          previous = parseVersion(versions.previous, 'AWSPREVIOUS', family);
        } catch (error) {
          // An old, malformed AWSPREVIOUS must not block rotation; it is only a fallback login.
          ctx.logger.warn('Ignoring AWSPREVIOUS: it is not a valid database secret', {
            field: error instanceof SecretFormatError ? error.field : undefined,
          });
        }
      }
      const rotation = new DatabaseRotation(adapter, ctx, [
        current,
        pending,
        ...(previous ? [previous] : []),
      ]);

      if (strategy === 'single-user') {
        if (pending.username !== current.username) {
          throw new SecretFormatError(
            'Field username of the AWSPENDING version differs from the AWSCURRENT version, but single-user rotation keeps the user: cancel this rotation, or tag the secret rekey:strategy=alternating-users.',
            { field: 'username' },
          );
        }
        const already = await rotation.tryLogin(pending, 'pending');
        if ('session' in already) {
          await rotation.within(already, 'check the pending credential', (session) => adapter.ping(session));
          ctx.logger.info('The pending password already works; setSecret has nothing to do', {
            engine: pending.engine,
          });
          return;
        }
        // AWS's templates try the current credential, then the previous one (for a database
        // whose password was rolled back to AWSPREVIOUS by hand).
        const attempts: LoginAttempt[] = [already];
        const candidates: [DatabaseSecret, CredentialRole][] = [[current, 'current']];
        if (previous && previous.username === current.username && previous.password !== current.password) {
          candidates.push([previous, 'previous']);
        }
        for (const [credential, role] of candidates) {
          const login = await rotation.tryLogin(credential, role);
          if (!('session' in login)) {
            attempts.push(login);
            continue;
          }
          if (current.masterarn === undefined) {
            await rotation.within(login, "change the user's own password", (session) =>
              adapter.changeOwnPassword(session, {
                username: credential.username,
                oldPassword: credential.password,
                newPassword: pending.password,
              }),
            );
          } else {
            // The user proved it holds a working password; the superuser makes the change
            // (for users without the right to change their own password, e.g. Redis ACL users).
            const account = await rotation.within(login, 'read the account', (session) =>
              adapter.describeAccount(session, credential.username),
            );
            const master = await readSuperuser(current, ctx);
            rotation.addSecret(master.password);
            const admin = await rotation.login(master, 'superuser', "set the user's password");
            await rotation.within(admin, "set the user's password as superuser", (session) =>
              adapter.setPasswordAsAdmin(session, {
                username: pending.username,
                newPassword: pending.password,
                account,
              }),
            );
          }
          ctx.logger.info('Set the pending password', { engine: pending.engine, credential: role });
          return;
        }
        throw new DatabaseLoginError(pending.engine, attempts, 'set the pending password');
      }

      // Alternating users. The current credential must work first: the superuser secret
      // alone must not be enough to mint a user.
      const pair = alternatingPair(current.username);
      const expected = current.username === pair.base ? pair.clone : pair.base;
      if (pending.username !== expected) {
        throw new SecretFormatError(
          'Field username of the AWSPENDING version is not the other user of the alternating pair (user and user_clone): cancel this rotation so createSecret makes a new pending version.',
          { field: 'username' },
        );
      }
      const own = await rotation.login(
        current,
        'current',
        'prove the current credential before acting as superuser',
      );
      const account = await rotation.within(own, 'read the current account', (session) =>
        adapter.describeAccount(session, current.username),
      );
      const already = await rotation.tryLogin(pending, 'pending');
      if ('session' in already) {
        await rotation.within(already, 'check the pending credential', (session) => adapter.ping(session));
        ctx.logger.info(
          'The pending user already logs in with the pending password; setSecret has nothing to do',
          {
            engine: pending.engine,
          },
        );
        return;
      }
      const master = await readSuperuser(current, ctx);
      rotation.addSecret(master.password);
      const admin = await rotation.login(master, 'superuser', 'prepare the alternate user');
      await rotation.within(
        admin,
        `prepare the alternate user ${JSON.stringify(pending.username)}`,
        (session) =>
          adapter.ensureAlternateUser(session, {
            template: pair.base,
            target: pending.username,
            password: pending.password,
            account,
          }),
      );
      ctx.logger.info('Prepared the alternate user with the pending password', { engine: pending.engine });
    },

    async testSecret(versions, ctx) {
      const pending = parseVersion(versions.pending, 'AWSPENDING', family);
      const rotation = new DatabaseRotation(adapter, ctx, [pending]);
      const login = await rotation.login(pending, 'pending', 'test the pending credential');
      await rotation.within(login, 'run a test query with the pending credential', (session) =>
        adapter.ping(session),
      );
    },

    ...(adapter.retireOldPassword === undefined || strategy !== 'single-user'
      ? {}
      : {
          async finishSecret(versions, ctx) {
            const retire = adapter.retireOldPassword;
            if (retire === undefined) return;
            const current = parseVersion(versions.current, 'AWSCURRENT', family);
            const pending = parseVersion(versions.pending, 'AWSPENDING', family);
            if (current.password === pending.password) return;
            const rotation = new DatabaseRotation(adapter, ctx, [current, pending]);
            const change = {
              username: pending.username,
              oldPassword: current.password,
              newPassword: pending.password,
            };
            if (current.masterarn === undefined) {
              const login = await rotation.login(pending, 'pending', 'remove the old password');
              await rotation.within(login, 'remove the old password', (session) =>
                retire.call(adapter, session, change),
              );
            } else {
              const master = await readSuperuser(current, ctx);
              rotation.addSecret(master.password);
              const admin = await rotation.login(master, 'superuser', 'remove the old password');
              await rotation.within(admin, 'remove the old password as superuser', (session) =>
                retire.call(adapter, session, change),
              );
            }
            ctx.logger.info('Removed the old password', { engine: pending.engine });
          },
        }),
  };
};
