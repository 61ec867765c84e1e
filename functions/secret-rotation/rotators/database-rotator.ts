import { RotationError, SecretFormatError } from '../errors.js';
import { passwordPolicyFromTags } from '../password.js';
import {
  type CredentialRole,
  DatabaseLoginError,
  DatabaseStateError,
  DatabaseStatementError,
  describeDriverError,
  type LoginAttempt,
  LoginIdentityError,
  SuperuserEndpointError,
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
  /**
   * The user name the server says this session logged in as (`session_user`, the user part of
   * `CURRENT_USER()`, `ACL WHOAMI`), which may differ from the name sent (a MySQL anonymous
   * account matches any name).
   */
  sessionUser(session: S): Promise<string>;
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
  /**
   * Single-user undo, on the session that changed the password (the user's own, or the
   * superuser's when `asSuperuser`): makes `restored` the user's password again after `failed`
   * was set and did not log in.
   */
  restorePassword(
    session: S,
    change: {
      username: string;
      restored: string;
      failed: string;
      asSuperuser: boolean;
      account?: AccountInfo;
    },
  ): Promise<void>;
  /** Single-user finish: removes `oldPassword` once the new one is in use (Redis keeps both until then). */
  retireOldPassword?(
    session: S,
    change: { username: string; oldPassword: string; newPassword: string },
  ): Promise<void>;
}

/** Human label for messages (`postgres`, `mariadb`, ...): the secret's own engine value. */
const label = (target: ConnectTarget): string => target.engine;

/** A login attempt's identifying part, for failures found after the login itself succeeded. */
const attemptOf = (target: ConnectTarget, credential: CredentialRole) => ({
  credential,
  username: target.username,
  host: target.host,
  port: target.port,
  tls: target.tls.mode,
});

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

  /**
   * Refuses a session whose server-side user is not `secret.username`: the login must be the
   * user being rotated (a MySQL anonymous account would accept any name).
   */
  public async requireUser(session: S, secret: DatabaseSecret, credential: CredentialRole): Promise<void> {
    const user = await this.#adapter.sessionUser(session);
    if (user !== secret.username) {
      throw new LoginIdentityError(
        `Refused: the ${credential} credential for user ${JSON.stringify(secret.username)} logged in to ${label(secret)} at ${secret.host}:${secret.port} as user ${JSON.stringify(user)} instead, so it does not prove that user's password. Nothing was changed. Remove the account that accepted the login (for example a MySQL anonymous account) or fix the secret's username.`,
      );
    }
  }

  /** `true` when `secret` logs in as its own user and answers a query, else the failed attempt. */
  public async works(secret: DatabaseSecret): Promise<true | LoginAttempt> {
    const login = await this.tryLogin(secret, 'pending');
    if (!('session' in login)) return login;
    const user = await this.within(login, 'check the pending credential', async (session) => {
      await this.#adapter.ping(session);
      return this.#adapter.sessionUser(session);
    });
    return user === secret.username
      ? true
      : {
          ...attemptOf(secret, 'pending'),
          code: 'WRONG_USER',
          message: `logged in as ${JSON.stringify(user)}`,
        };
  }

  /**
   * After a password change: logs in with the pending credential. When that fails, runs
   * `restore` (on the session that made the change, still open) and fails the step with the
   * cause, so the password the change replaced keeps working.
   */
  public async confirmOrRestore(pending: DatabaseSecret, restore: () => Promise<void>): Promise<void> {
    const login = await this.tryLogin(pending, 'pending');
    let attempt: LoginAttempt;
    if ('session' in login) {
      try {
        await this.#adapter.ping(login.session);
        if ((await this.#adapter.sessionUser(login.session)) === pending.username) return;
        attempt = {
          ...attemptOf(pending, 'pending'),
          code: 'WRONG_USER',
          message: 'logged in as another user',
        };
      } catch (error) {
        attempt = { ...attemptOf(pending, 'pending'), ...describeDriverError(error, this.#secrets) };
      } finally {
        await this.#adapter.close(login.session).catch(() => undefined);
      }
    } else {
      attempt = login;
    }
    try {
      await restore();
    } catch (error) {
      const cause = describeDriverError(error, this.#secrets, true);
      throw new DatabaseStateError(
        `The new password was set on ${label(pending)} at ${pending.host}:${pending.port} for user ${JSON.stringify(pending.username)} but does not log in (${attempt.code}: ${attempt.message}), and restoring the password it replaced failed too (${cause.code}: ${cause.message}). The user's password is now the AWSPENDING one. Fix the login problem and retry the rotation with the same token, or set the password by hand.`,
      );
    }
    this.#ctx.logger.warn('The new password did not log in; restored the password it replaced', {
      engine: label(pending),
      code: attempt.code,
    });
    throw new DatabaseLoginError(
      label(pending),
      [attempt],
      'confirm the new password, so the password it replaced was restored and AWSCURRENT still logs in',
    );
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
  for (const field of ['host', 'port', 'engine', 'dbname'] as const) {
    if (current[field] !== pending[field]) {
      throw new SecretFormatError(
        `Field ${field} of the AWSPENDING version differs from the AWSCURRENT version: a rotation changes the credential, not the server. Cancel the rotation (remove AWSPENDING) and change the server with PutSecretValue instead.`,
        { field },
      );
    }
  }
};

/** The database a PostgreSQL login uses: the secret's `dbname`, else `postgres` (as AWS's templates do). */
const postgresDatabase = (secret: DatabaseSecret): string => secret.dbname ?? 'postgres';

const endpointText = (secret: DatabaseSecret, database: string | undefined): string =>
  `${secret.engine} at ${secret.host}:${secret.port}${database === undefined ? '' : `/${database}`}`;

/**
 * The endpoint rule: the superuser acts only on the endpoint where the rotated secret's own
 * current credentials log in. Engine family, host (exactly as written, no DNS: two spellings
 * of one server are refused rather than guessed equal), port and, for PostgreSQL, the
 * database must match. A superuser secret without `dbname` logs in to the rotated secret's
 * database, as AWS's templates do. Runs before any connection, so a refusal changes nothing.
 * Returns the superuser's connection target.
 */
export const superuserTarget = (
  current: DatabaseSecret,
  master: DatabaseSecret,
  masterArn: string,
): DatabaseSecret => {
  const postgres = current.family === 'postgres';
  const currentDatabase = postgres ? postgresDatabase(current) : undefined;
  const masterDatabase = postgres ? (master.dbname ?? currentDatabase) : undefined;
  const differ = [
    ...(master.family === current.family ? [] : ['engine family']),
    ...(master.host === current.host ? [] : ['host']),
    ...(master.port === current.port ? [] : ['port']),
    ...(masterDatabase === currentDatabase ? [] : ['database (dbname)']),
  ];
  if (differ.length > 0) {
    throw new SuperuserEndpointError(
      `Refused to act as superuser: the superuser secret named by masterarn (${masterArn}) is for ${endpointText(master, masterDatabase)}, but the secret being rotated is for ${endpointText(current, currentDatabase)}; their ${differ.join(', ')} differ. The superuser only acts where the rotated secret's own credentials log in (hosts are compared exactly as written, without DNS), so nothing was run on either server. Set masterarn to the superuser secret of ${current.host}:${current.port}, or correct the secret's host, port${postgres ? ' and dbname' : ''}.`,
    );
  }
  return postgres ? { ...master, dbname: masterDatabase ?? postgresDatabase(master) } : master;
};

/** Passwords of `user.username` in the secret's other versions (see `RotatorContext.otherVersions`). */
const olderPasswords = async (
  versions: { current: SecretVersion; pending: SecretVersion; previous?: SecretVersion },
  user: DatabaseSecret,
  ctx: RotatorContext,
): Promise<string[]> => {
  if (ctx.otherVersions === undefined) return [];
  const exclude = [versions.current, versions.pending, versions.previous].flatMap((v) =>
    v === undefined ? [] : [v.versionId],
  );
  const passwords: string[] = [];
  for (const version of await ctx.otherVersions(exclude)) {
    try {
      const secret = parseDatabaseSecret(version.secretString, `version ${version.versionId}`, user.family);
      if (secret.username === user.username && secret.password !== user.password) {
        passwords.push(secret.password);
      }
    } catch {
      // Not a database secret of this user (an old format, another user): not a candidate.
    }
  }
  return passwords;
};

/**
 * Alternating users: logs in as the current user on the current endpoint, with the AWSCURRENT
 * password or, when another writer stored a wrong one there, with that user's password from
 * another version (still a proof that the caller's secret holds a working password of that
 * user on that endpoint). Throws `DatabaseLoginError` listing every attempt.
 */
const proveCurrentUser = async <S>(
  rotation: DatabaseRotation<S>,
  versions: { current: SecretVersion; pending: SecretVersion; previous?: SecretVersion },
  current: DatabaseSecret,
  ctx: RotatorContext,
): Promise<Login<S>> => {
  const purpose = 'prove the current credential before acting as superuser';
  const first = await rotation.tryLogin(current, 'current');
  if ('session' in first) return first;
  const attempts: LoginAttempt[] = [first];
  for (const password of await olderPasswords(versions, current, ctx)) {
    rotation.addSecret(password);
    const login = await rotation.tryLogin({ ...current, password }, 'older');
    if ('session' in login) return login;
    attempts.push(login);
  }
  throw new DatabaseLoginError(current.engine, attempts, purpose);
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
      // The endpoint rule comes first: a superuser secret for another server is refused before
      // any connection is opened to either server.
      const superuser = async (): Promise<DatabaseSecret | undefined> => {
        if (current.masterarn === undefined) return undefined;
        const master = await readSuperuser(current, ctx);
        rotation.addSecret(master.password);
        return superuserTarget(current, master, current.masterarn);
      };

      if (strategy === 'single-user') {
        if (pending.username !== current.username) {
          throw new SecretFormatError(
            'Field username of the AWSPENDING version differs from the AWSCURRENT version, but single-user rotation keeps the user: cancel this rotation, or tag the secret rekey:strategy=alternating-users.',
            { field: 'username' },
          );
        }
        const adminTarget = await superuser();
        const already = await rotation.works(pending);
        if (already === true) {
          ctx.logger.info('The pending password already works; setSecret has nothing to do', {
            engine: pending.engine,
          });
          return;
        }
        // Every known password, each tried with the pending version's connection settings
        // (host, port, TLS mode, CA, database): a pending version the server cannot be reached
        // with fails here, before anything changes. AWS's templates try the current credential,
        // then the previous one (for a database whose password was rolled back by hand).
        const candidates: [string, CredentialRole][] = [[current.password, 'current']];
        if (previous && previous.username === current.username && previous.password !== current.password) {
          candidates.push([previous.password, 'previous']);
        }
        const attempts: LoginAttempt[] = [already];
        let searchedOtherVersions = false;
        for (let index = 0; index < candidates.length; index += 1) {
          const [password, role] = candidates[index] as [string, CredentialRole];
          const login = await rotation.tryLogin({ ...pending, password }, role);
          if (!('session' in login)) {
            attempts.push(login);
            if (index === candidates.length - 1 && !searchedOtherVersions) {
              // Other writers may have moved the labels: look among every labelled version
              // and the recent unlabelled ones for the password the database really has.
              searchedOtherVersions = true;
              const tried = new Set(candidates.map(([known]) => known));
              for (const other of await olderPasswords(versions, pending, ctx)) {
                if (tried.has(other)) continue;
                tried.add(other);
                rotation.addSecret(other);
                candidates.push([other, 'older']);
              }
            }
            continue;
          }
          const restore = { username: pending.username, restored: password, failed: pending.password };
          if (adminTarget === undefined) {
            await rotation.within(login, "change the user's own password", async (session) => {
              await rotation.requireUser(session, pending, role);
              await adapter.changeOwnPassword(session, {
                username: pending.username,
                oldPassword: password,
                newPassword: pending.password,
              });
              await rotation.confirmOrRestore(pending, () =>
                adapter.restorePassword(session, { ...restore, asSuperuser: false }),
              );
            });
          } else {
            // The user proved it holds a working password on the superuser's own endpoint; the
            // superuser makes the change (for users without the right to change their own
            // password, e.g. Redis ACL users).
            const account = await rotation.within(login, 'read the account', async (session) => {
              await rotation.requireUser(session, pending, role);
              return adapter.describeAccount(session, pending.username);
            });
            const admin = await rotation.login(adminTarget, 'superuser', "set the user's password");
            await rotation.within(admin, "set the user's password as superuser", async (session) => {
              await adapter.setPasswordAsAdmin(session, {
                username: pending.username,
                newPassword: pending.password,
                account,
              });
              await rotation.confirmOrRestore(pending, () =>
                adapter.restorePassword(session, { ...restore, asSuperuser: true, account }),
              );
            });
          }
          ctx.logger.info('Set the pending password and logged in with it', {
            engine: pending.engine,
            credential: role,
          });
          return;
        }
        throw new DatabaseLoginError(
          pending.engine,
          attempts,
          "set the pending password (each known password was tried with the AWSPENDING version's connection settings: host, port, TLS, CA, database; nothing was changed)",
        );
      }

      // Alternating users. The current credential must work first, on the superuser's own
      // endpoint and as the user being rotated: the superuser secret alone must not be enough
      // to mint a user.
      const pair = alternatingPair(current.username);
      const expected = current.username === pair.base ? pair.clone : pair.base;
      if (pending.username !== expected) {
        throw new SecretFormatError(
          'Field username of the AWSPENDING version is not the other user of the alternating pair (user and user_clone): cancel this rotation so createSecret makes a new pending version.',
          { field: 'username' },
        );
      }
      requireMasterArn(current);
      const adminTarget = await superuser();
      if (adminTarget === undefined) throw new Error('unreachable: masterarn was checked');
      const own = await proveCurrentUser(rotation, versions, current, ctx);
      const account = await rotation.within(own, 'read the current account', async (session) => {
        await rotation.requireUser(session, current, 'current');
        return adapter.describeAccount(session, current.username);
      });
      if ((await rotation.works(pending)) === true) {
        ctx.logger.info(
          'The pending user already logs in with the pending password; setSecret has nothing to do',
          { engine: pending.engine },
        );
        return;
      }
      const admin = await rotation.login(adminTarget, 'superuser', 'prepare the alternate user');
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
      await rotation.within(login, 'run a test query with the pending credential', async (session) => {
        await rotation.requireUser(session, pending, 'pending');
        await adapter.ping(session);
      });
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
              const target = superuserTarget(current, master, current.masterarn);
              const admin = await rotation.login(target, 'superuser', 'remove the old password');
              await rotation.within(admin, 'remove the old password as superuser', (session) =>
                retire.call(adapter, session, change),
              );
            }
            ctx.logger.info('Removed the old password', { engine: pending.engine });
          },
        }),
  };
};
