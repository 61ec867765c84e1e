import { ACMClient } from '@aws-sdk/client-acm';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FleetClients } from '../../functions/secret-fleet/clients.js';
import { clientFor, type Target } from '../target.js';

/** The clients `rekey status` and `rekey doctor` read with, one set per Region, created on first use. */
export interface ReportClients {
  secrets(region: string): SecretsManagerClient;
  kms(region: string): KMSClient;
  acm(region: string): ACMClient;
  lambda(region: string): LambdaClient;
  /** IAM (a global service: the Region only picks the endpoint the SDK signs for). */
  iam(region: string): IAMClient;
  /**
   * The fleet function's clients in `region`, for its listing and assessing code (which reads
   * `secrets` and `now` only: the report publishes no event).
   */
  fleet(region: string): FleetClients;
  /** The rotation functions' logs, where a failed rotation's cause is read. */
  logs(region: string): CloudWatchLogsClient;
  /** The account a local endpoint serves these clients (from a 12-digit access key id). */
  readonly accountId?: string;
  /** The endpoint every client talks to, when not AWS itself. */
  readonly endpoint: string | undefined;
  /** The time the report is made at. */
  now(): Date;
}

/**
 * The clients of `target` (endpoint, credentials; see target.ts), one per service and Region,
 * from the one client factory and its retry policy.
 */
export const createReportClients = (target: Target, options: { now?: () => Date } = {}): ReportClients => {
  const now = options.now ?? (() => new Date());
  return {
    endpoint: target.endpoint,
    accountId: target.accountId,
    secrets: (region) => clientFor(target, SecretsManagerClient, region),
    kms: (region) => clientFor(target, KMSClient, region),
    acm: (region) => clientFor(target, ACMClient, region),
    lambda: (region) => clientFor(target, LambdaClient, region),
    logs: (region) => clientFor(target, CloudWatchLogsClient, region),
    iam: (region) => clientFor(target, IAMClient, region),
    now,
    fleet: (region) => ({
      secrets: clientFor(target, SecretsManagerClient, region),
      events: clientFor(target, EventBridgeClient, region),
      now,
    }),
  };
};
