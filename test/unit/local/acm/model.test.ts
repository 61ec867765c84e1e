import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CertificateRecord } from '../../../../local/services/acm/model.js';
import { checkReimport, renew } from '../../../../local/services/acm/renewal.js';
import { AcmModel, DEFAULT_DAYS_BEFORE_EXPIRY } from '../../../../local/services/acm/store.js';
import { addTags, MAX_TAGS, removeTags, validateTags } from '../../../../local/services/acm/tags.js';
import { thrown } from '../../../helpers/thrown.js';

const ACCOUNT = '111122223333';
const scope = { accountId: ACCOUNT, region: 'eu-west-1' };
const NOW = new Date('2026-06-01T00:00:00Z');

const record = (extra: Partial<CertificateRecord> = {}): CertificateRecord => ({
  arn: `arn:aws:acm:eu-west-1:${ACCOUNT}:certificate/00000000-0000-0000-0000-000000000001`,
  type: 'PRIVATE',
  status: 'ISSUED',
  domainName: 'app.example.com',
  subjectAlternativeNames: ['app.example.com'],
  keyAlgorithm: 'EC_prime256v1',
  keyUsages: ['DIGITAL_SIGNATURE'],
  extendedKeyUsages: [{ Name: 'TLS_WEB_SERVER_AUTHENTICATION', OID: '1.3.6.1.5.5.7.3.1' }],
  serial: '01:02',
  subject: 'CN=app.example.com',
  issuer: 'CN=ca',
  signatureAlgorithm: 'SHA256WITHECDSA',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-07-01T00:00:00.000Z',
  createdAt: '2026-01-01T00:00:00.000Z',
  inUseBy: [],
  exported: false,
  tags: [],
  ...extra,
});

/** The AWS exception type `run` throws. */
const typeOf = (run: () => unknown): string | undefined => thrown(run).type;

describe('ACM model: renewal', () => {
  it('renews an issued private certificate: same length from now, new serial, SUCCESS', () => {
    const r = record();
    renew(r, NOW);
    expect(r.notBefore).toBe(NOW.toISOString());
    expect(Date.parse(r.notAfter) - Date.parse(r.notBefore)).toBe(
      Date.parse('2026-07-01') - Date.parse('2026-01-01'),
    );
    expect(r.serial).not.toBe('01:02');
    expect(r.renewal?.status).toBe('SUCCESS');
  });

  it('refuses imported and Amazon-issued certificates, pending ones and expired ones', () => {
    expect(typeOf(() => renew(record({ type: 'IMPORTED' }), NOW))).toBe('ValidationException');
    expect(typeOf(() => renew(record({ type: 'AMAZON_ISSUED' }), NOW))).toBe('ValidationException');
    expect(typeOf(() => renew(record({ status: 'PENDING_VALIDATION' }), NOW))).toBe(
      'RequestInProgressException',
    );
    expect(typeOf(() => renew(record({ notAfter: '2026-05-01T00:00:00.000Z' }), NOW))).toBe(
      'ValidationException',
    );
    expect(typeOf(() => renew(record({ renewalEligibility: 'INELIGIBLE' }), NOW))).toBe(
      'ValidationException',
    );
  });
});

describe('ACM model: re-import rules', () => {
  const imported = record({
    type: 'IMPORTED',
    keyAlgorithm: 'RSA_2048',
    keyUsages: ['DIGITAL_SIGNATURE', 'KEY_ENCIPHERMENT'],
    extendedKeyUsages: [
      { Name: 'TLS_WEB_SERVER_AUTHENTICATION', OID: '1.3.6.1.5.5.7.3.1' },
      { Name: 'TLS_WEB_CLIENT_AUTHENTICATION', OID: '1.3.6.1.5.5.7.3.2' },
    ],
  });
  const same = {
    keyAlgorithm: 'RSA_2048' as const,
    info: { keyUsages: imported.keyUsages as never, extendedKeyUsages: imported.extendedKeyUsages },
  };

  it('allows the same key type and usages, and dropping the client-authentication EKU', () => {
    expect(() => checkReimport(imported, same, false)).not.toThrow();
    const noClientAuth = {
      ...same,
      info: { ...same.info, extendedKeyUsages: [imported.extendedKeyUsages[0] as never] },
    };
    expect(() => checkReimport(imported, noClientAuth, false)).not.toThrow();
  });

  it('refuses tags, another key algorithm, a dropped key usage, and non-imported certificates', () => {
    expect(typeOf(() => checkReimport(imported, same, true))).toBe('ValidationException');
    expect(typeOf(() => checkReimport(imported, { ...same, keyAlgorithm: 'RSA_4096' }, false))).toBe(
      'ValidationException',
    );
    const dropped = { ...same, info: { ...same.info, keyUsages: ['DIGITAL_SIGNATURE'] as never } };
    expect(typeOf(() => checkReimport(imported, dropped, false))).toBe('ValidationException');
    expect(
      typeOf(() => checkReimport(record({ type: 'PRIVATE', keyAlgorithm: 'RSA_2048' }), same, false)),
    ).toBe('ValidationException');
  });
});

describe('ACM model: tags', () => {
  it('replaces a tag with the same key, removes by key or by key and value, and caps the count', () => {
    const tags = addTags([{ Key: 'a', Value: '1' }], validateTags([{ Key: 'a', Value: '2' }, { Key: 'b' }]));
    expect(tags).toEqual([{ Key: 'a', Value: '2' }, { Key: 'b' }]);
    expect(removeTags(tags, [{ Key: 'a', Value: '1' }])).toEqual(tags);
    expect(removeTags(tags, [{ Key: 'a' }])).toEqual([{ Key: 'b' }]);
    const many = Array.from({ length: MAX_TAGS }, (_, i) => ({ Key: `k${i}` }));
    expect(typeOf(() => addTags(many, [{ Key: 'one-more' }]))).toBe('TooManyTagsException');
  });

  it('refuses aws: keys, empty lists and characters outside the allowed set', () => {
    expect(typeOf(() => validateTags([{ Key: 'aws:x' }]))).toBe('InvalidTagException');
    expect(typeOf(() => validateTags([]))).toBe('ValidationException');
    expect(typeOf(() => validateTags([{ Key: 'bad<key>' }]))).toBe('InvalidTagException');
  });
});

describe('ACM model: the store', () => {
  it('finds by ARN with InvalidArnException for a malformed ARN and not-found per account and Region', () => {
    const model = new AcmModel();
    const r = record();
    model.add(scope, r);
    expect(model.find(scope, r.arn)).toBe(r);
    expect(typeOf(() => model.find(scope, 'not-an-arn'))).toBe('InvalidArnException');
    expect(typeOf(() => model.find({ ...scope, region: 'us-east-1' }, r.arn))).toBe(
      'ResourceNotFoundException',
    );
    expect(model.certificateForAuthorization(ACCOUNT, 'eu-west-1', r.arn)).toEqual({ arn: r.arn, tags: [] });
    expect(model.certificateForAuthorization(ACCOUNT, 'eu-west-1', r.arn.split('/')[1] ?? '')?.arn).toBe(
      r.arn,
    );
    expect(model.certificateForAuthorization(ACCOUNT, 'us-east-1', r.arn)).toBeUndefined();
  });

  it('refuses to delete a certificate in use', () => {
    const model = new AcmModel();
    const r = record({
      inUseBy: ['arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/x/1'],
    });
    model.add(scope, r);
    expect(typeOf(() => model.delete(scope, r))).toBe('ResourceInUseException');
    r.inUseBy = [];
    model.delete(scope, r);
    expect(typeOf(() => model.find(scope, r.arn))).toBe('ResourceNotFoundException');
  });

  it('applies PutAccountConfiguration once per idempotency token within the hour', () => {
    const model = new AcmModel();
    const t = NOW.getTime();
    expect(model.region(scope).daysBeforeExpiry).toBe(DEFAULT_DAYS_BEFORE_EXPIRY);
    model.putAccountConfiguration(scope, 'tok', 30, t);
    model.putAccountConfiguration(scope, 'tok', 10, t + 1000);
    expect(model.region(scope).daysBeforeExpiry).toBe(30);
    model.putAccountConfiguration(scope, 'tok', 10, t + 3600 * 1000 + 1);
    expect(model.region(scope).daysBeforeExpiry).toBe(10);
  });

  it('issues a seeded certificate from its record, signed by its private CA', () => {
    const model = new AcmModel();
    const r = record({ notBefore: '2026-05-01T00:00:00.000Z', notAfter: '2026-08-01T00:00:00.000Z' });
    model.materialize(scope, r, NOW);
    const certificate = new X509Certificate(r.certificatePem ?? '');
    const ca = new X509Certificate(r.chainPem ?? '');
    expect(certificate.subjectAltName).toBe('DNS:app.example.com');
    expect(certificate.checkIssued(ca) && certificate.verify(ca.publicKey)).toBe(true);
    expect(certificate.serialNumber.toLowerCase()).toBe('0102');
  });

  it('restores snapshots keyed ACCOUNT/REGION and the older ACCOUNT:REGION', () => {
    const model = new AcmModel();
    const r = record();
    model.add(scope, r);
    const snapshot = JSON.parse(JSON.stringify(model.snapshot()));
    expect(Object.keys(snapshot.regions)).toEqual([`${ACCOUNT}/eu-west-1`]);
    const copy = new AcmModel();
    copy.restore(snapshot);
    expect(copy.find(scope, r.arn).domainName).toBe('app.example.com');
    const old = {
      ...snapshot,
      regions: { [`${ACCOUNT}:eu-west-1`]: snapshot.regions[`${ACCOUNT}/eu-west-1`] },
    };
    const older = new AcmModel();
    older.restore(old);
    expect(older.find(scope, r.arn).arn).toBe(r.arn);
  });
});
