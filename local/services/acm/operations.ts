import { createPrivateKey } from 'node:crypto';
import { AwsError } from '../../aws-error.js';
import type { RequestContext } from '../../types.js';
import { importCertificate } from './import.js';
import { listCertificates } from './list.js';
import { constraint, detailOf, effectiveStatus, exportable } from './model.js';
import { renew } from './renewal.js';
import type { AcmModel } from './store.js';
import { addTags, removeTags, validateTags } from './tags.js';

/** The wire-facing ACM operations: input checks and responses over the model (`store.ts`). */

export type Operation = (model: AcmModel, input: Record<string, unknown>, ctx: RequestContext) => unknown;

const getCertificate: Operation = (model, input, ctx) => {
  const record = model.find(ctx, input.CertificateArn);
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
  model.materialize(ctx, record, ctx.now);
  return { Certificate: record.certificatePem, CertificateChain: record.chainPem };
};

/**
 * ExportCertificate: the certificate, its chain and its private key encrypted with the caller's
 * passphrase (PKCS#8, AES-256-CBC), for private certificates and public ones requested as
 * exportable. Marks the certificate exported.
 */
const exportCertificate: Operation = (model, input, ctx) => {
  const record = model.find(ctx, input.CertificateArn);
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
  model.materialize(ctx, record, ctx.now);
  const privateKey = createPrivateKey(model.privateKeyOf(record)).export({
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

const putAccountConfiguration: Operation = (model, input, ctx) => {
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
  if (days !== undefined && (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 45)) {
    throw constraint(days, 'expiryEvents.daysBeforeExpiry', 'Member must have value between 1 and 45');
  }
  model.putAccountConfiguration(ctx, token, typeof days === 'number' ? days : undefined, ctx.now.getTime());
  return {};
};

export const OPERATIONS: Record<string, Operation> = {
  ImportCertificate: importCertificate,
  ListCertificates: listCertificates,
  DescribeCertificate: (model, input, ctx) => ({
    Certificate: detailOf(model.find(ctx, input.CertificateArn), ctx.now),
  }),
  GetCertificate: getCertificate,
  ExportCertificate: exportCertificate,
  RenewCertificate: (model, input, ctx) => {
    const record = model.find(ctx, input.CertificateArn);
    renew(record, ctx.now);
    model.issue(ctx, record, ctx.now);
    return {};
  },
  DeleteCertificate: (model, input, ctx) => {
    model.delete(ctx, model.find(ctx, input.CertificateArn));
    return {};
  },
  AddTagsToCertificate: (model, input, ctx) => {
    const record = model.find(ctx, input.CertificateArn);
    record.tags = addTags(record.tags, validateTags(input.Tags));
    return {};
  },
  RemoveTagsFromCertificate: (model, input, ctx) => {
    const record = model.find(ctx, input.CertificateArn);
    record.tags = removeTags(record.tags, validateTags(input.Tags));
    return {};
  },
  ListTagsForCertificate: (model, input, ctx) => ({ Tags: model.find(ctx, input.CertificateArn).tags }),
  GetAccountConfiguration: (model, _input, ctx) => ({
    ExpiryEvents: { DaysBeforeExpiry: model.region(ctx).daysBeforeExpiry },
  }),
  PutAccountConfiguration: putAccountConfiguration,
};
