import { randomUUID } from 'node:crypto';
import { AwsError, notFound } from '../../aws-error.js';
import { RegionalStore, scopeKey, scopeOfRequest } from '../../core/store.js';
import {
  type Authority,
  createAuthority,
  familyOf,
  issueFor,
  KeyCache,
  type KeyFamily,
} from './authority.js';
import { CERTIFICATE_ARN, type CertificateRecord, type Tag } from './model.js';
import { generateKeyPair, type KeyAlgorithm } from './x509.js';

/**
 * The records of the local ACM per account and Region, and the local CAs behind them: the
 * stand-ins for Amazon's public CAs (shared), one private CA per account, Region and key family,
 * and one seed key per key algorithm for Amazon-issued and private certificates seeded through
 * the admin routes. No HTTP and no input parsing here.
 */

/** ACM's default for expiry events (`DaysBeforeExpiry`, PutAccountConfiguration). */
export const DEFAULT_DAYS_BEFORE_EXPIRY = 45;
/** How long ACM remembers a PutAccountConfiguration idempotency token. */
const IDEMPOTENCY_TOKEN_MS = 3600 * 1000;

export interface Scope {
  readonly accountId: string;
  readonly region: string;
}

export interface RegionState {
  certificates: Map<string, CertificateRecord>;
  daysBeforeExpiry: number;
  /** PutAccountConfiguration idempotency tokens and when they expire (epoch ms, one hour after use). */
  idempotencyTokens: Record<string, number>;
  privateCas: Partial<Record<KeyFamily, Authority>>;
}

export interface AcmSnapshot {
  regions: Record<
    string,
    {
      certificates: CertificateRecord[];
      daysBeforeExpiry: number;
      idempotencyTokens: Record<string, number>;
      privateCas: Partial<Record<KeyFamily, Authority>>;
    }
  >;
  amazonCas: Partial<Record<KeyFamily, Authority>>;
  seedKeys: Partial<Record<KeyAlgorithm, string>>;
}

/** What an authorization check needs to know about one certificate (see `AcmModel.certificateForAuthorization`). */
export interface CertificateAuthorizationView {
  arn: string;
  tags: Tag[];
}

/** The key of one account and Region (request-rate limits are per account, Region and operation). */
export const regionKey = (scope: Scope): string => scopeKey(scopeOfRequest(scope));
export const certificateArn = (scope: Scope): string =>
  `arn:aws:acm:${scope.region}:${scope.accountId}:certificate/${randomUUID()}`;

export class AcmModel {
  readonly #store = new RegionalStore<RegionState>(() => ({
    certificates: new Map(),
    daysBeforeExpiry: DEFAULT_DAYS_BEFORE_EXPIRY,
    idempotencyTokens: {},
    privateCas: {},
  }));
  #amazonCas: Partial<Record<KeyFamily, Authority>> = {};
  #seedKeys: Partial<Record<KeyAlgorithm, string>> = {};
  readonly #keys = new KeyCache();

  public region(scope: Scope): RegionState {
    return this.#store.of(scope);
  }

  /** Finds a certificate by ARN: malformed → InvalidArnException; absent here → ResourceNotFoundException. */
  public find(scope: Scope, arn: unknown, field = 'CertificateArn'): CertificateRecord {
    if (typeof arn !== 'string' || arn.length < 20 || arn.length > 2048 || !CERTIFICATE_ARN.test(arn)) {
      throw new AwsError(
        'InvalidArnException',
        `${field} ${typeof arn === 'string' ? arn : String(arn)} is not a valid certificate ARN; expected arn:aws:acm:REGION:ACCOUNT:certificate/ID.`,
      );
    }
    const record = this.region(scope).certificates.get(arn);
    if (!record) {
      throw notFound(
        `Could not find certificate ${arn} in account ${scope.accountId} in Region ${scope.region}.`,
      );
    }
    return record;
  }

  public add(scope: Scope, record: CertificateRecord): void {
    this.region(scope).certificates.set(record.arn, record);
  }

  /** DeleteCertificate: a certificate in use by another AWS resource cannot be deleted. */
  public delete(scope: Scope, record: CertificateRecord): void {
    if (record.inUseBy.length > 0) {
      throw new AwsError(
        'ResourceInUseException',
        `Certificate ${record.arn} is in use by ${record.inUseBy.join(', ')}; remove those associations first.`,
      );
    }
    this.region(scope).certificates.delete(record.arn);
  }

  /**
   * The ARN and tags of a certificate in one account and Region, by its ARN or its ID (the part
   * after `certificate/`); undefined when there is none.
   */
  public certificateForAuthorization(
    account: string,
    region: string,
    id: string,
  ): CertificateAuthorizationView | undefined {
    const arn = id.startsWith('arn:') ? id : `arn:aws:acm:${region}:${account}:certificate/${id}`;
    const record = this.#store.peek(account, region)?.certificates.get(arn);
    return record ? { arn: record.arn, tags: record.tags.map((t) => ({ ...t })) } : undefined;
  }

  /**
   * PutAccountConfiguration: the same unexpired idempotency token is the same request, and ACM
   * returns the original result, changing nothing.
   */
  public putAccountConfiguration(scope: Scope, token: string, days: number | undefined, now: number): void {
    const state = this.region(scope);
    for (const [t, expiresAt] of Object.entries(state.idempotencyTokens))
      if (expiresAt < now) delete state.idempotencyTokens[t];
    if (state.idempotencyTokens[token] !== undefined) return;
    state.idempotencyTokens[token] = now + IDEMPOTENCY_TOKEN_MS;
    if (days !== undefined) state.daysBeforeExpiry = days;
  }

  /** The shared private key of seeded certificates of one key algorithm (made on first use). */
  public seedKey(algorithm: KeyAlgorithm): string {
    let pem = this.#seedKeys[algorithm];
    if (!pem) {
      pem = generateKeyPair(algorithm).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      this.#seedKeys[algorithm] = pem;
    }
    return pem;
  }

  /** The private key of a certificate: the imported one, or the seed key of its algorithm. */
  public privateKeyOf(record: CertificateRecord): string {
    return record.privateKeyPem ?? this.seedKey(record.keyAlgorithm);
  }

  public amazonCa(family: KeyFamily, now: Date): Authority {
    let ca = this.#amazonCas[family];
    if (!ca) {
      const commonName =
        family === 'RSA' ? 'Amazon RSA 2048 M01 (rekey local)' : 'Amazon ECDSA 256 M02 (rekey local)';
      ca = createAuthority({ commonName, organization: 'Amazon', country: 'US' }, family, now);
      this.#amazonCas[family] = ca;
    }
    return ca;
  }

  public privateCa(scope: Scope, family: KeyFamily, now: Date): Authority {
    const state = this.region(scope);
    let ca = state.privateCas[family];
    if (!ca) {
      const arn = `arn:aws:acm-pca:${scope.region}:${scope.accountId}:certificate-authority/${randomUUID()}`;
      ca = createAuthority(
        { commonName: `rekey local private CA (${family})`, organization: 'rekey' },
        family,
        now,
        arn,
      );
      state.privateCas[family] = ca;
    }
    return ca;
  }

  /** The CA that issued (or issues) a certificate. */
  public authorityOf(scope: Scope, record: CertificateRecord, now: Date): Authority {
    const family = familyOf(record.keyAlgorithm);
    if (record.type === 'PRIVATE') {
      const cas = Object.values(this.region(scope).privateCas);
      return (
        cas.find((ca) => ca.arn === record.certificateAuthorityArn) ?? this.privateCa(scope, family, now)
      );
    }
    return this.amazonCa(family, now);
  }

  /** (Re)issues the PEM of a seeded or renewed certificate from its record. */
  public issue(scope: Scope, record: CertificateRecord, now: Date): void {
    const authority = this.authorityOf(scope, record, now);
    record.certificatePem = issueFor(record, this.privateKeyOf(record), authority, this.#keys);
    record.chainPem = authority.certificatePem;
  }

  /** Builds a seeded certificate's PEM the first time it is needed (bulk seeds defer this). */
  public materialize(scope: Scope, record: CertificateRecord, now: Date): void {
    if (!record.certificatePem) this.issue(scope, record, now);
  }

  public snapshot(): AcmSnapshot {
    return {
      regions: this.#store.snapshot((state) => ({
        certificates: [...state.certificates.values()],
        daysBeforeExpiry: state.daysBeforeExpiry,
        idempotencyTokens: state.idempotencyTokens,
        privateCas: state.privateCas,
      })),
      amazonCas: this.#amazonCas,
      seedKeys: this.#seedKeys,
    };
  }

  /** Snapshots written before `local/core` keyed Regions `ACCOUNT:REGION`; both load. */
  public restore(state: unknown): void {
    const snapshot = structuredClone(state ?? {}) as Partial<AcmSnapshot>;
    this.#store.restore<AcmSnapshot['regions'][string]>(
      snapshot.regions,
      (r) => ({
        certificates: new Map(r.certificates.map((c) => [c.arn, c])),
        daysBeforeExpiry: r.daysBeforeExpiry,
        idempotencyTokens: r.idempotencyTokens,
        privateCas: r.privateCas,
      }),
      'ACM state in the state file',
    );
    this.#amazonCas = snapshot.amazonCas ?? {};
    this.#seedKeys = snapshot.seedKeys ?? {};
  }
}
