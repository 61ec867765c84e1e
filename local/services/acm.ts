import { createHash, createPrivateKey, type KeyObject, randomUUID, X509Certificate } from 'node:crypto';
import { AwsError, notFound } from '../aws-error.js';
import type { Clock } from '../server.js';
import type { LocalService, RequestContext } from '../types.js';
import {
  type Authority,
  createAuthority,
  familyOf,
  issueFor,
  KeyCache,
  type KeyFamily,
} from './acm/authority.js';
import { acmAuthorization } from './acm/authorization.js';
import { CallCounter, OperationLimiter } from './acm/limits.js';
import {
  CERTIFICATE_ARN,
  CERTIFICATE_STATUSES,
  type CertificateRecord,
  type CertificateStatus,
  constraint,
  detailOf,
  effectiveStatus,
  exportable,
  FAILURE_REASONS,
  type FailureReason,
  optionalStringArray,
  RENEWAL_ELIGIBILITIES,
  RENEWAL_STATUSES,
  renewalEligibility,
  requireEnum,
  summaryOf,
  type Tag,
} from './acm/model.js';
import {
  describeCertificate,
  EXTENDED_KEY_USAGE_OIDS,
  type ExtendedKeyUsageName,
  generateKeyPair,
  KEY_ALGORITHMS,
  KEY_USAGE_BITS,
  type KeyAlgorithm,
  keyAlgorithmOf,
  pemBlocks,
  randomSerial,
} from './acm/x509.js';

export interface AcmOptions {
  clock: Clock;
}

interface RegionState {
  certificates: Map<string, CertificateRecord>;
  daysBeforeExpiry: number;
  /** PutAccountConfiguration idempotency tokens and when they expire (epoch ms, one hour after use). */
  idempotencyTokens: Record<string, number>;
  privateCas: Partial<Record<KeyFamily, Authority>>;
}

interface AcmSnapshot {
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

const DAY_MS = 24 * 3600 * 1000;
/** ACM's default for expiry events, and the documented bounds of `DaysBeforeExpiry`. */
const DEFAULT_DAYS_BEFORE_EXPIRY = 45;
/** ACM lists RSA_1024 and RSA_2048 certificates unless `Includes.keyTypes` says otherwise (API reference, Filters). */
const DEFAULT_KEY_TYPES: readonly KeyAlgorithm[] = ['RSA_1024', 'RSA_2048'];
const KEY_USAGE_FILTERS = [...KEY_USAGE_BITS, 'ANY', 'CUSTOM'] as const;
const EXTENDED_KEY_USAGE_FILTERS = [...Object.keys(EXTENDED_KEY_USAGE_OIDS), 'NONE', 'CUSTOM'] as const;
const MAX_TAGS = 50;
const TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const regionKey = (ctx: RequestContext): string => `${ctx.accountId}:${ctx.region}`;

const blobText = (input: Record<string, unknown>, field: string, maxBytes: number, required: boolean) => {
  const value = input[field];
  if (value === undefined || value === null) {
    if (required) throw constraint('null', field, 'Member must not be null');
    return undefined;
  }
  if (typeof value !== 'string')
    throw new AwsError('SerializationException', `${field} must be a base64-encoded blob.`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < 1 || bytes.length > maxBytes) {
    throw constraint(
      `${bytes.length} bytes`,
      field,
      `Member must have length between 1 and ${maxBytes} (${field} is the PEM text, base64-encoded on the wire)`,
    );
  }
  return bytes.toString('utf8');
};

const validateTags = (tags: unknown, field = 'Tags'): Tag[] => {
  if (!Array.isArray(tags) || tags.length < 1) {
    throw constraint(JSON.stringify(tags), field, 'Member must have length greater than or equal to 1');
  }
  return tags.map((tag, i) => {
    const key = (tag as Tag | null)?.Key;
    const value = (tag as Tag | null)?.Value;
    if (typeof key !== 'string' || key.length < 1 || key.length > 128) {
      throw constraint(key, `${field}.${i + 1}.member.key`, 'Member must have length between 1 and 128');
    }
    if (value !== undefined && (typeof value !== 'string' || value.length > 256)) {
      throw constraint(
        value,
        `${field}.${i + 1}.member.value`,
        'Member must have length less than or equal to 256',
      );
    }
    if (!TAG_PATTERN.test(key) || (value !== undefined && !TAG_PATTERN.test(value))) {
      throw new AwsError(
        'InvalidTagException',
        `Tag ${key} has characters outside [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@].`,
      );
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw new AwsError(
        'InvalidTagException',
        `Tag key ${key} is not valid: the aws: prefix is reserved for AWS use.`,
      );
    }
    return value === undefined ? { Key: key } : { Key: key, Value: value };
  });
};

const addTags = (existing: Tag[], added: Tag[]): Tag[] => {
  const merged = [...existing];
  for (const tag of added) {
    const at = merged.findIndex((t) => t.Key === tag.Key);
    if (at >= 0) merged[at] = tag;
    else merged.push(tag);
  }
  if (merged.length > MAX_TAGS) {
    throw new AwsError(
      'TooManyTagsException',
      `A certificate can carry at most ${MAX_TAGS} tags; this request would make ${merged.length}.`,
    );
  }
  return merged;
};

const iso = (date: Date): string => date.toISOString();
/** X.509 times have whole seconds; records keep the same precision so they match their PEM. */
const wholeSeconds = (date: Date): Date => new Date(Math.floor(date.getTime() / 1000) * 1000);

interface ParsedImport {
  certificatePem: string;
  chainPem?: string;
  privateKeyPem: string;
  info: ReturnType<typeof describeCertificate>;
  keyAlgorithm: KeyAlgorithm;
}

/**
 * Checks a certificate, key and chain the way ImportCertificate documents it: PEM, one
 * certificate, X.509 v3, an unencrypted key of at most 5,120 bytes that matches the
 * certificate, a supported key algorithm (the CA may sign with another algorithm family), a chain
 * that issued the certificate, and a validity period that includes now.
 */
const parseImport = (input: Record<string, unknown>, now: Date): ParsedImport => {
  const certificateText = blobText(input, 'Certificate', 32768, true) ?? '';
  const keyText = blobText(input, 'PrivateKey', 5120, true) ?? '';
  const chainText = blobText(input, 'CertificateChain', 2097152, false);
  const blocks = pemBlocks(certificateText);
  if (blocks.length === 0) {
    throw new AwsError(
      'ValidationException',
      'Could not parse the certificate: Certificate must be PEM-encoded (-----BEGIN CERTIFICATE-----).',
    );
  }
  if (blocks.length > 1) {
    throw new AwsError(
      'ValidationException',
      'The certificate field contains more than one certificate. You can specify only one certificate in this field; put the CA certificates in CertificateChain.',
    );
  }
  const certificatePem = blocks[0] ?? '';
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    throw new AwsError(
      'ValidationException',
      'Could not parse the certificate: the PEM block is not a valid X.509 certificate.',
    );
  }
  const info = describeCertificate(certificate);
  if (info.version !== 3) {
    throw new AwsError(
      'ValidationException',
      `The certificate is X.509 version ${info.version}; ACM imports only version 3 certificates.`,
    );
  }
  if (!info.issuer) throw new AwsError('ValidationException', 'The certificate has an empty Issuer field.');
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(keyText)) {
    throw new AwsError(
      'ValidationException',
      'The private key is encrypted. Import an unencrypted PEM private key.',
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyText);
  } catch {
    throw new AwsError(
      'ValidationException',
      'Could not parse the private key: PrivateKey must be an unencrypted PEM private key.',
    );
  }
  const keyAlgorithm = keyAlgorithmOf(certificate.publicKey);
  if (!keyAlgorithm) {
    throw new AwsError(
      'ValidationException',
      `The certificate's key algorithm is not supported. ACM imports ${KEY_ALGORITHMS.join(', ')} keys.`,
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new AwsError('ValidationException', "The private key does not match the certificate's public key.");
  }
  if (now < info.notBefore) {
    throw new AwsError(
      'ValidationException',
      `The certificate is not valid yet: NotBefore is ${iso(info.notBefore)}.`,
    );
  }
  if (now > info.notAfter) {
    throw new AwsError(
      'ValidationException',
      `The certificate is expired: NotAfter was ${iso(info.notAfter)}.`,
    );
  }
  let chainPem: string | undefined;
  if (chainText !== undefined) {
    const chainBlocks = pemBlocks(chainText);
    if (chainBlocks.length === 0) {
      throw new AwsError(
        'ValidationException',
        'Could not parse the certificate chain: CertificateChain must hold PEM certificates.',
      );
    }
    const chain = chainBlocks.map((block) => {
      try {
        return new X509Certificate(block);
      } catch {
        throw new AwsError(
          'ValidationException',
          'Could not parse the certificate chain: a block is not a valid X.509 certificate.',
        );
      }
    });
    if (chain.some((ca) => ca.fingerprint256 === certificate.fingerprint256)) {
      throw new AwsError(
        'ValidationException',
        'The certificate chain contains the certificate itself; include only the CA certificates.',
      );
    }
    if (!chain.some((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey))) {
      throw new AwsError(
        'ValidationException',
        'Could not validate the certificate with the certificate chain: no certificate in the chain issued it.',
      );
    }
    chainPem = `${chainBlocks.join('\n')}\n`;
  }
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return chainPem === undefined
    ? { certificatePem, privateKeyPem, info, keyAlgorithm }
    : { certificatePem, chainPem, privateKeyPem, info, keyAlgorithm };
};

const SEED_KEYS = new Set([
  'type',
  'domainName',
  'subjectAlternativeNames',
  'keyAlgorithm',
  'notBefore',
  'notAfter',
  'inUseBy',
  'renewalEligibility',
  'renewalStatus',
  'renewalStatusReason',
  'validationMethod',
  'status',
  'failureReason',
  'exported',
  'export',
  'tags',
]);

const optionalDate = (value: unknown, field: string): Date | undefined => {
  if (value === undefined || value === null) return undefined;
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new AwsError(
      'ValidationException',
      `${field} must be an ISO 8601 date-time string, e.g. 2030-01-31T00:00:00Z.`,
    );
  }
  return date;
};

const rejectUnknown = (body: Record<string, unknown>, allowed: ReadonlySet<string>, route: string) => {
  const unknown = Object.keys(body).filter((k) => !allowed.has(k));
  if (unknown.length > 0) {
    throw new AwsError(
      'ValidationException',
      `Unknown field(s) ${unknown.join(', ')} for ${route}; allowed: ${[...allowed].join(', ')}.`,
    );
  }
};

/**
 * The local ACM (`CertificateManager`, JSON 1.1). Certificates live per account and Region;
 * imported ones are parsed for real, Amazon-issued and private ones are created through the
 * admin routes and backed by real certificates from local CAs.
 *
 * Admin routes (POST JSON to `/_rekey/CertificateManager/<route>`; account and Region from a
 * SigV4 header or `?region=...&account=...`), outside the AWS API surface:
 * - `seed` `{ type: 'AMAZON_ISSUED'|'PRIVATE', domainName, notAfter (ISO), subjectAlternativeNames?,
 *   keyAlgorithm?, notBefore? (default notAfter - 395 days), inUseBy?: string[], renewalEligibility?,
 *   renewalStatus?, renewalStatusReason?, validationMethod?: 'DNS'|'EMAIL', status?, failureReason?,
 *   exported?, tags? }` → `{ CertificateArn }`.
 * - `bulk-seed` `{ count, ...seed fields }` → `{ CertificateArns }`; `{n}` in `domainName` and
 *   SANs becomes 1..count. Certificate bodies are built on first GetCertificate, so 2,500 take
 *   well under a second; the summaries are exact from the start.
 * - `set-state` `{ CertificateArn, inUseBy?, renewalStatus? (null removes), renewalStatusReason?,
 *   renewalEligibility? (null derives), status?, failureReason?, exported? }`.
 * - `throttle` `{ operation, perSecond }` → token bucket per account, Region and operation
 *   (0 or null turns it off); over-quota calls get `ThrottlingException`.
 * - `calls` `{ reset?: boolean }` → `{ Calls, Throttled, ByRegion }` per operation since the last reset.
 */
export const createAcm = (_options: AcmOptions): LocalService => {
  // Time comes from each request's context (the endpoint's clock), so tests that move the
  // clock see certificates expire.
  let regions = new Map<string, RegionState>();
  let amazonCas: Partial<Record<KeyFamily, Authority>> = {};
  let seedKeys: Partial<Record<KeyAlgorithm, string>> = {};
  const keys = new KeyCache();
  const limiter = new OperationLimiter();
  const counter = new CallCounter();

  const region = (ctx: RequestContext): RegionState => {
    const key = regionKey(ctx);
    let state = regions.get(key);
    if (!state) {
      state = {
        certificates: new Map(),
        daysBeforeExpiry: DEFAULT_DAYS_BEFORE_EXPIRY,
        idempotencyTokens: {},
        privateCas: {},
      };
      regions.set(key, state);
    }
    return state;
  };

  /** Finds a certificate by ARN: malformed → InvalidArnException; absent here → ResourceNotFoundException. */
  const find = (
    input: Record<string, unknown>,
    ctx: RequestContext,
    field = 'CertificateArn',
  ): CertificateRecord => {
    const arn = input[field];
    if (typeof arn !== 'string' || arn.length < 20 || arn.length > 2048 || !CERTIFICATE_ARN.test(arn)) {
      throw new AwsError(
        'InvalidArnException',
        `${field} ${typeof arn === 'string' ? arn : String(arn)} is not a valid certificate ARN; expected arn:aws:acm:REGION:ACCOUNT:certificate/ID.`,
      );
    }
    const record = region(ctx).certificates.get(arn);
    if (!record) {
      throw notFound(
        `Could not find certificate ${arn} in account ${ctx.accountId} in Region ${ctx.region}.`,
      );
    }
    return record;
  };

  const seedKey = (algorithm: KeyAlgorithm): string => {
    let pem = seedKeys[algorithm];
    if (!pem) {
      pem = generateKeyPair(algorithm).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      seedKeys[algorithm] = pem;
    }
    return pem;
  };

  const amazonCa = (family: KeyFamily, now: Date): Authority => {
    let ca = amazonCas[family];
    if (!ca) {
      const commonName =
        family === 'RSA' ? 'Amazon RSA 2048 M01 (rekey local)' : 'Amazon ECDSA 256 M02 (rekey local)';
      ca = createAuthority({ commonName, organization: 'Amazon', country: 'US' }, family, now);
      amazonCas[family] = ca;
    }
    return ca;
  };

  const privateCa = (ctx: RequestContext, family: KeyFamily): Authority => {
    const state = region(ctx);
    let ca = state.privateCas[family];
    if (!ca) {
      const arn = `arn:aws:acm-pca:${ctx.region}:${ctx.accountId}:certificate-authority/${randomUUID()}`;
      ca = createAuthority(
        { commonName: `rekey local private CA (${family})`, organization: 'rekey' },
        family,
        ctx.now,
        arn,
      );
      state.privateCas[family] = ca;
    }
    return ca;
  };

  const authorityOf = (record: CertificateRecord, ctx: RequestContext): Authority => {
    const family = familyOf(record.keyAlgorithm);
    if (record.type === 'PRIVATE') {
      const cas = Object.values(region(ctx).privateCas);
      return cas.find((ca) => ca.arn === record.certificateAuthorityArn) ?? privateCa(ctx, family);
    }
    return amazonCa(family, ctx.now);
  };

  /** Builds a seeded certificate's PEM the first time it is needed (bulk seeds defer this). */
  const materialize = (record: CertificateRecord, ctx: RequestContext): void => {
    if (record.certificatePem) return;
    const authority = authorityOf(record, ctx);
    record.certificatePem = issueFor(record, seedKey(record.keyAlgorithm), authority, keys);
    record.chainPem = authority.certificatePem;
  };

  const importCertificate = (input: Record<string, unknown>, ctx: RequestContext) => {
    const state = region(ctx);
    const parsed = parseImport(input, ctx.now);
    const now = iso(ctx.now);
    const fields = {
      status: 'ISSUED' as CertificateStatus,
      domainName: parsed.info.domainName,
      subjectAlternativeNames: parsed.info.subjectAlternativeNames,
      keyAlgorithm: parsed.keyAlgorithm,
      keyUsages: parsed.info.keyUsages,
      extendedKeyUsages: parsed.info.extendedKeyUsages,
      serial: parsed.info.serial,
      subject: parsed.info.subject,
      issuer: parsed.info.issuer,
      signatureAlgorithm: parsed.info.signatureAlgorithm,
      notBefore: iso(parsed.info.notBefore),
      notAfter: iso(parsed.info.notAfter),
      importedAt: now,
      certificatePem: parsed.certificatePem,
      chainPem: parsed.chainPem,
      privateKeyPem: parsed.privateKeyPem,
    };
    if (input.CertificateArn !== undefined && input.CertificateArn !== null) {
      const existing = find(input, ctx);
      if (existing.type !== 'IMPORTED') {
        throw new AwsError(
          'ValidationException',
          `Certificate ${existing.arn} is ${existing.type}; only imported certificates can be re-imported.`,
        );
      }
      if (input.Tags !== undefined) {
        throw new AwsError(
          'ValidationException',
          'Tags cannot be applied when re-importing a certificate; use AddTagsToCertificate.',
        );
      }
      // Re-import rules (ACM user guide, "Reimport a certificate"): same key type and size,
      // and no Key Usage or Extended Key Usage value may be dropped, except keyEncipherment
      // on ECDSA certificates and the client-authentication EKU.
      if (existing.keyAlgorithm !== parsed.keyAlgorithm) {
        throw new AwsError(
          'ValidationException',
          `The new certificate's key algorithm ${parsed.keyAlgorithm} differs from ${existing.keyAlgorithm}; the key type and size cannot change on re-import.`,
        );
      }
      const ec = familyOf(parsed.keyAlgorithm) === 'EC';
      const droppedUsage = existing.keyUsages.filter(
        (u) => !(parsed.info.keyUsages as string[]).includes(u) && !(ec && u === 'KEY_ENCIPHERMENT'),
      );
      const droppedEku = existing.extendedKeyUsages.filter(
        (e) =>
          e.Name !== 'TLS_WEB_CLIENT_AUTHENTICATION' &&
          !parsed.info.extendedKeyUsages.some((n) => n.OID === e.OID),
      );
      if (droppedUsage.length > 0 || droppedEku.length > 0) {
        throw new AwsError(
          'ValidationException',
          `The new certificate drops usage values of the imported one (${[...droppedUsage, ...droppedEku.map((e) => e.Name)].join(', ')}); re-import may add usages but not remove them.`,
        );
      }
      Object.assign(existing, fields);
      return { CertificateArn: existing.arn };
    }
    const tags = input.Tags === undefined ? [] : addTags([], validateTags(input.Tags));
    const arn = `arn:aws:acm:${ctx.region}:${ctx.accountId}:certificate/${randomUUID()}`;
    state.certificates.set(arn, {
      arn,
      type: 'IMPORTED',
      ...fields,
      createdAt: now,
      inUseBy: [],
      exported: false,
      tags,
    });
    return { CertificateArn: arn };
  };

  const listCertificates = (input: Record<string, unknown>, ctx: RequestContext) => {
    const statuses = optionalStringArray(input.CertificateStatuses, 'CertificateStatuses')?.map((s, i) =>
      requireEnum(s, CERTIFICATE_STATUSES, `certificateStatuses.${i + 1}.member`),
    );
    const includes = (input.Includes ?? {}) as Record<string, unknown>;
    if (typeof includes !== 'object' || Array.isArray(includes)) {
      throw new AwsError('ValidationException', 'Includes must be a Filters object.');
    }
    const keyTypes =
      optionalStringArray(includes.keyTypes, 'Includes.keyTypes')?.map((k, i) =>
        requireEnum(k, KEY_ALGORITHMS, `includes.keyTypes.${i + 1}.member`),
      ) ?? DEFAULT_KEY_TYPES;
    const keyUsage = optionalStringArray(includes.keyUsage, 'Includes.keyUsage')?.map((k, i) =>
      requireEnum(k, KEY_USAGE_FILTERS, `includes.keyUsage.${i + 1}.member`),
    );
    const extendedKeyUsage = optionalStringArray(includes.extendedKeyUsage, 'Includes.extendedKeyUsage')?.map(
      (k, i) => requireEnum(k, EXTENDED_KEY_USAGE_FILTERS, `includes.extendedKeyUsage.${i + 1}.member`),
    );
    const exportOption =
      includes.exportOption === undefined
        ? undefined
        : requireEnum(includes.exportOption, ['ENABLED', 'DISABLED'], 'includes.exportOption');
    const managedBy =
      includes.managedBy === undefined
        ? undefined
        : requireEnum(includes.managedBy, ['CLOUDFRONT'], 'includes.managedBy');
    const maxItems = input.MaxItems ?? 1000;
    if (typeof maxItems !== 'number' || !Number.isInteger(maxItems) || maxItems < 1 || maxItems > 1000) {
      throw constraint(maxItems, 'maxItems', 'Member must have value between 1 and 1000');
    }
    const sortBy =
      input.SortBy === undefined ? undefined : requireEnum(input.SortBy, ['CREATED_AT'], 'sortBy');
    const sortOrder =
      input.SortOrder === undefined
        ? undefined
        : requireEnum(input.SortOrder, ['ASCENDING', 'DESCENDING'], 'sortOrder');
    if (sortBy && !sortOrder) {
      throw new AwsError(
        'ValidationException',
        'SortOrder is required when SortBy is given (ASCENDING or DESCENDING).',
      );
    }
    const now = ctx.now;
    let matching = [...region(ctx).certificates.values()].filter((record) => {
      if (!keyTypes.includes(record.keyAlgorithm)) return false;
      if (statuses && !statuses.includes(effectiveStatus(record, now))) return false;
      if (keyUsage && !keyUsage.includes('ANY')) {
        const custom = keyUsage.includes('CUSTOM');
        if (!record.keyUsages.some((u) => keyUsage.includes(u as never)) && !custom) return false;
      }
      if (extendedKeyUsage && !extendedKeyUsage.includes('ANY')) {
        const names = record.extendedKeyUsages.map((e) => e.Name as string);
        const none = extendedKeyUsage.includes('NONE') && names.length === 0;
        if (!none && !names.some((n) => extendedKeyUsage.includes(n as never))) return false;
      }
      if (exportOption && (exportOption === 'ENABLED') !== exportable(record)) return false;
      if (managedBy) return false;
      return true;
    });
    if (sortBy) {
      const direction = sortOrder === 'DESCENDING' ? -1 : 1;
      matching = matching.sort((a, b) => direction * (Date.parse(a.createdAt) - Date.parse(b.createdAt)));
    }
    // The token carries the offset and a fingerprint of the query, so a token cannot be
    // replayed against a different filter by mistake.
    const fingerprint = createHash('sha256')
      .update(
        JSON.stringify([
          statuses,
          keyTypes,
          keyUsage,
          extendedKeyUsage,
          exportOption,
          managedBy,
          sortBy,
          sortOrder,
        ]),
      )
      .digest('hex')
      .slice(0, 16);
    let offset = 0;
    if (input.NextToken !== undefined) {
      const token = typeof input.NextToken === 'string' ? input.NextToken : '';
      const [tokenFingerprint, tokenOffset] = Buffer.from(token, 'base64url').toString('utf8').split(':');
      offset = Number(tokenOffset);
      if (tokenFingerprint !== fingerprint || !Number.isInteger(offset) || offset < 0) {
        throw new AwsError(
          'InvalidArgsException',
          'NextToken is not valid for this request; pass the NextToken of the previous response unchanged, with the same filters.',
        );
      }
    }
    const page = matching.slice(offset, offset + maxItems);
    const next = offset + page.length;
    return {
      CertificateSummaryList: page.map((record) => summaryOf(record, now)),
      NextToken:
        next < matching.length ? Buffer.from(`${fingerprint}:${next}`).toString('base64url') : undefined,
    };
  };

  const getCertificate = (input: Record<string, unknown>, ctx: RequestContext) => {
    const record = find(input, ctx);
    const status = effectiveStatus(record, ctx.now);
    if (status === 'PENDING_VALIDATION') {
      throw new AwsError(
        'RequestInProgressException',
        `Certificate ${record.arn} is pending validation and has not been issued yet.`,
      );
    }
    if (status === 'FAILED' || status === 'VALIDATION_TIMED_OUT') {
      throw new AwsError(
        'ValidationException',
        `Certificate ${record.arn} has status ${status} and holds no certificate.`,
      );
    }
    materialize(record, ctx);
    return { Certificate: record.certificatePem, CertificateChain: record.chainPem };
  };

  /**
   * ExportCertificate: the certificate, its chain and its private key encrypted with the caller's
   * passphrase (PKCS#8, AES-256-CBC), for private certificates and public ones requested as
   * exportable. Marks the certificate exported.
   */
  const exportCertificate = (input: Record<string, unknown>, ctx: RequestContext) => {
    const record = find(input, ctx);
    const passphraseB64 = input.Passphrase;
    const passphrase =
      typeof passphraseB64 === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(passphraseB64)
        ? Buffer.from(passphraseB64, 'base64')
        : undefined;
    if (!passphrase || passphrase.length < 4 || passphrase.length > 128) {
      throw constraint('***', 'passphrase', 'Member must have length between 4 and 128');
    }
    if (!exportable(record)) {
      throw new AwsError(
        'ValidationException',
        `Certificate ${record.arn} is ${record.type === 'IMPORTED' ? 'imported (you hold its key already)' : 'a public certificate not requested as exportable'}: ExportCertificate exports private certificates and public certificates requested with Options Export ENABLED.`,
      );
    }
    const status = effectiveStatus(record, ctx.now);
    if (status !== 'ISSUED') {
      throw new AwsError(
        status === 'PENDING_VALIDATION' ? 'RequestInProgressException' : 'ValidationException',
        `Certificate ${record.arn} has status ${status}; only ISSUED certificates can be exported.`,
      );
    }
    materialize(record, ctx);
    const privateKey = createPrivateKey(record.privateKeyPem ?? seedKey(record.keyAlgorithm)).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase,
    });
    record.exported = true;
    return {
      Certificate: record.certificatePem,
      CertificateChain: record.chainPem,
      PrivateKey: privateKey.toString(),
    };
  };

  const renewCertificate = (input: Record<string, unknown>, ctx: RequestContext) => {
    const record = find(input, ctx);
    if (record.type !== 'PRIVATE') {
      throw new AwsError(
        'ValidationException',
        `Certificate ${record.arn} is ${record.type}: RenewCertificate renews only private certificates (ACM renews Amazon-issued ones itself; imported ones must be re-imported).`,
      );
    }
    const status = effectiveStatus(record, ctx.now);
    if (status === 'PENDING_VALIDATION') {
      throw new AwsError('RequestInProgressException', `Certificate ${record.arn} has not been issued yet.`);
    }
    if (status !== 'ISSUED') {
      throw new AwsError(
        'ValidationException',
        `Certificate ${record.arn} has status ${status}; only ISSUED certificates can be renewed.`,
      );
    }
    if (renewalEligibility(record, ctx.now) === 'INELIGIBLE') {
      throw new AwsError('ValidationException', `Certificate ${record.arn} is not eligible for renewal.`);
    }
    // A new validity period of the same length, a new serial, the same key algorithm and ARN,
    // signed by the certificate's private CA. AWS does this asynchronously; locally it is done
    // before the call returns and RenewalSummary says SUCCESS.
    const length = Date.parse(record.notAfter) - Date.parse(record.notBefore);
    const now = ctx.now;
    record.notBefore = iso(wholeSeconds(now));
    record.notAfter = iso(wholeSeconds(new Date(now.getTime() + Math.max(length, DAY_MS))));
    record.serial = (randomSerial().toString('hex').match(/../g) ?? []).join(':');
    record.issuedAt = iso(now);
    record.renewal = { status: 'SUCCESS', updatedAt: iso(now) };
    const authority = authorityOf(record, ctx);
    record.certificatePem = issueFor(
      record,
      record.privateKeyPem ?? seedKey(record.keyAlgorithm),
      authority,
      keys,
    );
    record.chainPem = authority.certificatePem;
    return {};
  };

  const putAccountConfiguration = (input: Record<string, unknown>, ctx: RequestContext) => {
    const token = input.IdempotencyToken;
    if (typeof token !== 'string' || !/^\w{1,32}$/.test(token)) {
      throw constraint(
        token ?? 'null',
        'idempotencyToken',
        'Member must match pattern \\w+ and have length between 1 and 32',
      );
    }
    const expiry = input.ExpiryEvents as { DaysBeforeExpiry?: unknown } | undefined;
    const days = expiry?.DaysBeforeExpiry;
    if (
      days !== undefined &&
      (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 45)
    ) {
      throw constraint(days, 'expiryEvents.daysBeforeExpiry', 'Member must have value between 1 and 45');
    }
    const state = region(ctx);
    const nowMs = ctx.now.getTime();
    for (const [t, expiresAt] of Object.entries(state.idempotencyTokens))
      if (expiresAt < nowMs) delete state.idempotencyTokens[t];
    // The same unexpired token is the same request: ACM returns the original result, changing nothing.
    if (state.idempotencyTokens[token] !== undefined) return {};
    state.idempotencyTokens[token] = nowMs + 3600 * 1000;
    if (typeof days === 'number') state.daysBeforeExpiry = days;
    return {};
  };

  const operations: Record<string, (input: Record<string, unknown>, ctx: RequestContext) => unknown> = {
    ImportCertificate: importCertificate,
    ListCertificates: listCertificates,
    DescribeCertificate: (input, ctx) => ({ Certificate: detailOf(find(input, ctx), ctx.now) }),
    GetCertificate: getCertificate,
    ExportCertificate: exportCertificate,
    RenewCertificate: renewCertificate,
    DeleteCertificate: (input, ctx) => {
      const record = find(input, ctx);
      if (record.inUseBy.length > 0) {
        throw new AwsError(
          'ResourceInUseException',
          `Certificate ${record.arn} is in use by ${record.inUseBy.join(', ')}; remove those associations first.`,
        );
      }
      region(ctx).certificates.delete(record.arn);
      return {};
    },
    AddTagsToCertificate: (input, ctx) => {
      const record = find(input, ctx);
      record.tags = addTags(record.tags, validateTags(input.Tags));
      return {};
    },
    RemoveTagsFromCertificate: (input, ctx) => {
      const record = find(input, ctx);
      const removed = validateTags(input.Tags);
      // A tag given with a value is removed only when the value matches; without one, by key.
      record.tags = record.tags.filter(
        (tag) => !removed.some((r) => r.Key === tag.Key && (r.Value === undefined || r.Value === tag.Value)),
      );
      return {};
    },
    ListTagsForCertificate: (input, ctx) => ({ Tags: find(input, ctx).tags }),
    GetAccountConfiguration: (_input, ctx) => ({
      ExpiryEvents: { DaysBeforeExpiry: region(ctx).daysBeforeExpiry },
    }),
    PutAccountConfiguration: putAccountConfiguration,
  };

  /** Creates one Amazon-issued or private certificate from an admin seed body. */
  const seed = (
    body: Record<string, unknown>,
    ctx: RequestContext,
    eager: boolean,
    n?: number,
  ): CertificateRecord => {
    rejectUnknown(body, SEED_KEYS, 'seed');
    const type = requireEnum(body.type, ['AMAZON_ISSUED', 'PRIVATE'] as const, 'type');
    if (typeof body.domainName !== 'string' || body.domainName.length === 0) {
      throw new AwsError(
        'ValidationException',
        'domainName is required (e.g. "www.example.com"; bulk-seed replaces {n}).',
      );
    }
    const domainName = body.domainName.replaceAll('{n}', String(n ?? 0));
    const sans = (optionalStringArray(body.subjectAlternativeNames, 'subjectAlternativeNames') ?? []).map(
      (s) => s.replaceAll('{n}', String(n ?? 0)),
    );
    const keyAlgorithm =
      body.keyAlgorithm === undefined
        ? 'RSA_2048'
        : requireEnum(body.keyAlgorithm, KEY_ALGORITHMS, 'keyAlgorithm');
    const requestedNotAfter = optionalDate(body.notAfter, 'notAfter');
    if (!requestedNotAfter) {
      throw new AwsError(
        'ValidationException',
        'notAfter is required (ISO 8601, e.g. 2030-01-31T00:00:00Z).',
      );
    }
    const notAfter = wholeSeconds(requestedNotAfter);
    const notBefore = wholeSeconds(
      optionalDate(body.notBefore, 'notBefore') ?? new Date(notAfter.getTime() - 395 * DAY_MS),
    );
    if (notBefore >= notAfter)
      throw new AwsError('ValidationException', 'notBefore must be earlier than notAfter.');
    const inUseBy = optionalStringArray(body.inUseBy, 'inUseBy') ?? [];
    const status =
      body.status === undefined
        ? ('ISSUED' as CertificateStatus)
        : requireEnum(body.status, CERTIFICATE_STATUSES, 'status');
    const now = iso(ctx.now);
    const family = familyOf(keyAlgorithm);
    const authority = type === 'PRIVATE' ? privateCa(ctx, family) : amazonCa(family, ctx.now);
    const record: CertificateRecord = {
      arn: `arn:aws:acm:${ctx.region}:${ctx.accountId}:certificate/${randomUUID()}`,
      type,
      status,
      domainName,
      subjectAlternativeNames: [domainName, ...sans.filter((s) => s !== domainName)],
      keyAlgorithm,
      keyUsages: family === 'RSA' ? ['DIGITAL_SIGNATURE', 'KEY_ENCIPHERMENT'] : ['DIGITAL_SIGNATURE'],
      extendedKeyUsages: [
        { Name: 'TLS_WEB_SERVER_AUTHENTICATION', OID: EXTENDED_KEY_USAGE_OIDS.TLS_WEB_SERVER_AUTHENTICATION },
        { Name: 'TLS_WEB_CLIENT_AUTHENTICATION', OID: EXTENDED_KEY_USAGE_OIDS.TLS_WEB_CLIENT_AUTHENTICATION },
      ] as { Name: ExtendedKeyUsageName; OID: string }[],
      serial: (randomSerial().toString('hex').match(/../g) ?? []).join(':'),
      subject: `CN=${domainName}`,
      issuer: [
        ...[`CN=${authority.subject.commonName}`],
        ...(authority.subject.organization ? [`O=${authority.subject.organization}`] : []),
        ...(authority.subject.country ? [`C=${authority.subject.country}`] : []),
      ].join(','),
      signatureAlgorithm: family === 'RSA' ? 'SHA256WITHRSA' : 'SHA256WITHECDSA',
      notBefore: iso(notBefore),
      notAfter: iso(notAfter),
      createdAt: iso(notBefore),
      inUseBy,
      exported: body.exported === true,
      ...(body.export === undefined
        ? {}
        : { exportOption: requireEnum(body.export, ['ENABLED', 'DISABLED'] as const, 'export') }),
      tags: body.tags === undefined ? [] : addTags([], validateTags(body.tags, 'tags')),
    };
    if (status !== 'PENDING_VALIDATION' && status !== 'FAILED' && status !== 'VALIDATION_TIMED_OUT') {
      record.issuedAt = iso(notBefore);
    }
    if (type === 'PRIVATE') record.certificateAuthorityArn = authority.arn;
    if (type === 'AMAZON_ISSUED') {
      record.validationMethod =
        body.validationMethod === undefined
          ? 'DNS'
          : requireEnum(body.validationMethod, ['DNS', 'EMAIL'] as const, 'validationMethod');
    }
    if (body.renewalEligibility !== undefined) {
      record.renewalEligibility = requireEnum(
        body.renewalEligibility,
        RENEWAL_ELIGIBILITIES,
        'renewalEligibility',
      );
    }
    if (body.failureReason !== undefined)
      record.failureReason = requireEnum(body.failureReason, FAILURE_REASONS, 'failureReason');
    if (body.renewalStatus !== undefined) {
      record.renewal = {
        status: requireEnum(body.renewalStatus, RENEWAL_STATUSES, 'renewalStatus'),
        updatedAt: now,
      };
      if (body.renewalStatusReason !== undefined) {
        record.renewal.reason = requireEnum(
          body.renewalStatusReason,
          FAILURE_REASONS,
          'renewalStatusReason',
        ) as FailureReason;
      }
    } else if (body.renewalStatusReason !== undefined) {
      throw new AwsError('ValidationException', 'renewalStatusReason needs renewalStatus (usually FAILED).');
    }
    if (eager) materialize(record, ctx);
    region(ctx).certificates.set(record.arn, record);
    return record;
  };

  const SET_STATE_KEYS = new Set([
    'CertificateArn',
    'inUseBy',
    'renewalEligibility',
    'renewalStatus',
    'renewalStatusReason',
    'status',
    'failureReason',
    'exported',
  ]);

  const admin: NonNullable<LocalService['admin']> = {
    seed: async (body, ctx) => ({ CertificateArn: seed(body, ctx, true).arn }),
    'bulk-seed': async (body, ctx) => {
      const { count, ...template } = body;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 20000) {
        throw new AwsError('ValidationException', 'count must be an integer between 1 and 20000.');
      }
      const arns: string[] = [];
      for (let n = 1; n <= count; n += 1) arns.push(seed(template, ctx, false, n).arn);
      return { CertificateArns: arns };
    },
    'set-state': async (body, ctx) => {
      rejectUnknown(body, SET_STATE_KEYS, 'set-state');
      const record = find(body, ctx);
      if (body.inUseBy !== undefined) record.inUseBy = optionalStringArray(body.inUseBy, 'inUseBy') ?? [];
      if (body.exported !== undefined) record.exported = body.exported === true;
      if (body.status !== undefined) record.status = requireEnum(body.status, CERTIFICATE_STATUSES, 'status');
      if (body.failureReason !== undefined)
        record.failureReason = requireEnum(body.failureReason, FAILURE_REASONS, 'failureReason');
      if (body.renewalEligibility !== undefined) {
        record.renewalEligibility =
          body.renewalEligibility === null
            ? undefined
            : requireEnum(body.renewalEligibility, RENEWAL_ELIGIBILITIES, 'renewalEligibility');
      }
      if (body.renewalStatus === null) delete record.renewal;
      else if (body.renewalStatus !== undefined || body.renewalStatusReason !== undefined) {
        const status =
          body.renewalStatus === undefined
            ? record.renewal?.status
            : requireEnum(body.renewalStatus, RENEWAL_STATUSES, 'renewalStatus');
        if (!status)
          throw new AwsError(
            'ValidationException',
            'renewalStatusReason needs renewalStatus (usually FAILED).',
          );
        record.renewal = { status, updatedAt: iso(ctx.now) };
        if (body.renewalStatusReason !== undefined && body.renewalStatusReason !== null) {
          record.renewal.reason = requireEnum(
            body.renewalStatusReason,
            FAILURE_REASONS,
            'renewalStatusReason',
          );
        }
      }
      return { CertificateArn: record.arn };
    },
    throttle: async (body) => {
      const operation = body.operation;
      if (typeof operation !== 'string' || !(operation in operations)) {
        throw new AwsError(
          'ValidationException',
          `operation must be one of ${Object.keys(operations).join(', ')}.`,
        );
      }
      const perSecond = body.perSecond;
      if (perSecond !== null && perSecond !== undefined && (typeof perSecond !== 'number' || perSecond < 0)) {
        throw new AwsError(
          'ValidationException',
          'perSecond must be a positive number (or 0/null to turn throttling off).',
        );
      }
      limiter.configure(operation, typeof perSecond === 'number' ? perSecond : undefined);
      return { Limits: limiter.limits() };
    },
    calls: async (body) => {
      const report = counter.report();
      if (body.reset === true) counter.reset();
      return report;
    },
  };

  return {
    targetPrefix: 'CertificateManager',
    jsonVersion: '1.1',
    // IAM checks per operation (acm/authorization.ts).
    authorization: acmAuthorization({
      tagsOf: (ctx, arn) => regions.get(regionKey(ctx))?.certificates.get(arn)?.tags,
    }),
    async handle(operation, input, ctx) {
      const allowed = limiter.take(regionKey(ctx), operation);
      counter.record(operation, ctx.region, !allowed);
      // ACM answers over-quota calls with ThrottlingException ("Rate exceeded"), which the SDK retries with backoff.
      if (!allowed) throw new AwsError('ThrottlingException', 'Rate exceeded');
      const run = operations[operation];
      if (!run)
        throw new AwsError('UnknownOperationException', `The local ACM does not implement ${operation}.`);
      return run(input, ctx);
    },
    admin,
    snapshot(): AcmSnapshot {
      return {
        regions: Object.fromEntries(
          [...regions].map(([key, state]) => [
            key,
            {
              certificates: [...state.certificates.values()],
              daysBeforeExpiry: state.daysBeforeExpiry,
              idempotencyTokens: state.idempotencyTokens,
              privateCas: state.privateCas,
            },
          ]),
        ),
        amazonCas,
        seedKeys,
      };
    },
    restore(state) {
      const snapshot = structuredClone(state ?? {}) as Partial<AcmSnapshot>;
      regions = new Map(
        Object.entries(snapshot.regions ?? {}).map(([key, r]) => [
          key,
          {
            certificates: new Map(r.certificates.map((c) => [c.arn, c])),
            daysBeforeExpiry: r.daysBeforeExpiry,
            idempotencyTokens: r.idempotencyTokens,
            privateCas: r.privateCas,
          },
        ]),
      );
      amazonCas = snapshot.amazonCas ?? {};
      seedKeys = snapshot.seedKeys ?? {};
    },
  };
};

export type { CertificateRecord } from './acm/model.js';
