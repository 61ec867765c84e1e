/**
 * A demo "account" for the `rekey status` and `rekey doctor` tests: a fresh account (a 12-digit
 * access key id selects it) on a local endpoint, holding secrets, keys and certificates in
 * every state the commands must recognise. In the small account every name has a random
 * suffix; closing the endpoint removes it all.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DisableKeyCommand,
  KMSClient,
  TagResourceCommand,
} from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { logger } from '../../../functions/lib/logger.js';
import { type AdminTarget, bulkSeedCertificates, seedCertificate } from '../../../local/core/admin-client.js';
import { createTestCertificate, importInput } from '../../helpers/certificates.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';
import { waitForRotation } from '../../helpers/rotation.js';

const DAY = 86_400_000;

// The rotation function runs in-process and logs a JSON line per step; warnings still show.
logger.setLogLevel('WARN');
const REGION = 'us-east-1';
/** A function registered on the endpoint that always fails: its rotations leave AWSPENDING behind. */
const BROKEN_FUNCTION = 'rekey-test-broken-rotation';

export interface DemoAccount {
  readonly endpoint: TestEndpoint;
  readonly account: string;
  /** Environment for the CLI's `run(argv, io, env)`: this account, local credentials. */
  readonly env: NodeJS.ProcessEnv;
  readonly prefix: string;
  readonly aliasPrefix: string;
  readonly secrets: {
    /** Rotated once through the real rotation function. */
    healthy: string;
    /** AWSPENDING on a value-less placeholder (rotation function failed in createSecret). */
    stuck: string;
    /** AWSPENDING on a version that holds a value (rotation failed after createSecret). */
    failed: string;
    /** Never rotated, rotation off. */
    neverRotated: string;
  };
  /** ARNs of the secrets, by the same keys. */
  readonly secretArns: Record<keyof DemoAccount['secrets'], string>;
  readonly keys: {
    /** Rotated 10 days ago, period tag 30 days, predecessor still enabled. */
    orders: { alias: string; keyId: string; predecessorKeyId: string };
    /** Rotated 400 days ago, no period tag: overdue with the default 365 days. */
    signing: { alias: string; keyId: string };
    /** No rekey tags, key disabled; managed only through --alias-prefix. */
    legacy: { alias: string; keyId: string };
  };
  readonly certificates: {
    /** Imported, expiring in 10 days. */
    imported: string;
    /** Amazon-issued, 20 days left, managed renewal failed. */
    renewalFailed: string;
    /** Amazon-issued, 200 days left. */
    fine: string;
  };
  /** Every secret value and private key in the account: none may appear in any output. */
  sensitive(): Promise<string[]>;
  readonly sm: SecretsManagerClient;
  readonly kms: KMSClient;
  close(): Promise<void>;
}

/** Extra resources that make the account look like a real one, for the HTML report's layout. */
export interface DemoScale {
  /** Healthy Amazon-issued certificates, expiring over the next year (bulk-seeded). */
  readonly healthyCertificates: number;
  /** Secrets with rotation off (never rotated, no rotation function). */
  readonly unrotatedSecrets: number;
  /** Healthy secrets rotated through the real rotation function. */
  readonly rotatedSecrets: number;
}

/**
 * Starts an endpoint and fills a fresh account with the demo resources; with `scale`, also with
 * hundreds of healthy certificates, secrets with rotation off, healthy secrets, and findings with
 * long names (a private certificate, a managed renewal still pending, a long domain name).
 */
export const createDemoAccount = async (scale?: DemoScale): Promise<DemoAccount> => {
  const endpoint = await startTestEndpoint({ defaultFunctions: true });
  endpoint.lambdas.register(BROKEN_FUNCTION, async () => {
    throw new Error('createSecret failed: the test function always fails');
  });
  const account = String(randomInt(100_000_000_000, 999_999_999_999));
  const credentials = { accessKeyId: account, secretAccessKey: 'local' };
  const config = { endpoint: endpoint.url, region: REGION, credentials };
  const sm = new SecretsManagerClient(config);
  const kms = new KMSClient(config);
  const acm = new ACMClient(config);
  const suffix = randomBytes(4).toString('hex');
  // The account is new and its endpoint private, so names need no suffix to be unique; the
  // suffix marks test data in the small account, the large one reads like a real account
  // (its page is the README's picture).
  const unique = scale ? '' : `-${suffix}`;
  const domain = (name: string) => (scale ? `${name}.example.com` : `${name}-${suffix}.rekey.example`);
  const prefix = scale ? 'prod/' : `status-${suffix}/`;
  const aliasPrefix = scale ? 'alias/legacy-' : `alias/status-${suffix}-`;
  const rotationArn = (name: string) => `arn:aws:lambda:${REGION}:${account}:function:${name}`;
  const initialValues: string[] = [];
  const newSecret = async (name: string, tags = true) => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    initialValues.push(password);
    const created = await sm.send(
      new CreateSecretCommand({
        Name: `${prefix}${name}`,
        SecretString: JSON.stringify({ username: 'app', password }),
        ...(tags ? { Tags: [{ Key: 'rekey:rotator', Value: 'generated' }] } : {}),
      }),
    );
    return created.ARN ?? '';
  };

  // Secrets.
  const healthy = await newSecret('healthy');
  const local = { endpointUrl: endpoint.url, region: REGION, account };
  // RotateSecret answers before the steps run, as on AWS: each rotation is waited for.
  const healthyRun = await sm.send(
    new RotateSecretCommand({
      SecretId: healthy,
      RotationLambdaARN: rotationArn('rekey-secret-rotation'),
      RotationRules: { AutomaticallyAfterDays: 30 },
    }),
  );
  await waitForRotation({ sm, secretId: healthy, token: healthyRun.VersionId, local });
  const stuck = await newSecret('stuck');
  // RotateSecret creates the AWSPENDING placeholder, then the function fails in createSecret.
  const stuckRun = await sm.send(
    new RotateSecretCommand({
      SecretId: stuck,
      RotationLambdaARN: rotationArn(BROKEN_FUNCTION),
      RotationRules: { AutomaticallyAfterDays: 30 },
    }),
  );
  await waitForRotation({ sm, secretId: stuck, token: stuckRun.VersionId, local });
  const failed = await newSecret('failed');
  const failedToken = crypto.randomUUID();
  await sm.send(
    new RotateSecretCommand({
      SecretId: failed,
      RotationLambdaARN: rotationArn(BROKEN_FUNCTION),
      RotationRules: { AutomaticallyAfterDays: 30 },
      ClientRequestToken: failedToken,
    }),
  );
  await waitForRotation({ sm, secretId: failed, token: failedToken, local });
  // What createSecret does before a later step fails: the new value goes into the pending version.
  const pendingValue = `pending-${randomBytes(12).toString('hex')}`;
  initialValues.push(pendingValue);
  await sm.send(
    new PutSecretValueCommand({
      SecretId: failed,
      ClientRequestToken: failedToken,
      SecretString: JSON.stringify({ username: 'app', password: pendingValue }),
      VersionStages: ['AWSPENDING'],
    }),
  );
  const neverRotated = await newSecret('never-rotated', false);

  // Keys.
  const now = endpoint.clock.now().getTime();
  const createKey = async (spec?: { KeySpec: 'ECC_NIST_P256'; KeyUsage: 'SIGN_VERIFY' }) =>
    (await kms.send(new CreateKeyCommand({ ...(spec ?? {}), Description: `rekey status test ${suffix}` })))
      .KeyMetadata?.KeyId ?? '';
  const tag = (keyId: string, tags: Record<string, string>) =>
    kms.send(
      new TagResourceCommand({
        KeyId: keyId,
        Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
      }),
    );
  const ordersOld = await createKey();
  const orders = await createKey();
  const rotatedAt = new Date(now - 10 * DAY).toISOString();
  await tag(orders, {
    'rekey:rotated-at': rotatedAt,
    'rekey:predecessor': `arn:aws:kms:${REGION}:${account}:key/${ordersOld}`,
    'rekey:rotation-period-days': '30',
  });
  await tag(ordersOld, {
    'rekey:rotated-at': rotatedAt,
    'rekey:successor': `arn:aws:kms:${REGION}:${account}:key/${orders}`,
  });
  const ordersAlias = `alias/orders${unique}`;
  await kms.send(new CreateAliasCommand({ AliasName: ordersAlias, TargetKeyId: orders }));

  const signing = await createKey({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
  await tag(signing, { 'rekey:rotated-at': new Date(now - 400 * DAY).toISOString() });
  const signingAlias = `alias/signing${unique}`;
  await kms.send(new CreateAliasCommand({ AliasName: signingAlias, TargetKeyId: signing }));

  const legacy = await createKey();
  const legacyAlias = `${aliasPrefix}${scale ? 'reports' : 'legacy'}`;
  await kms.send(new CreateAliasCommand({ AliasName: legacyAlias, TargetKeyId: legacy }));
  await kms.send(new DisableKeyCommand({ KeyId: legacy }));

  // Certificates.
  const admin: AdminTarget = { endpointUrl: endpoint.url, region: REGION, account };
  const certificate = createTestCertificate({
    domainName: domain('vpn'),
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 10 * DAY),
  });
  const imported =
    (await acm.send(new ImportCertificateCommand(importInput(certificate)))).CertificateArn ?? '';
  const renewalFailed = await seedCertificate(admin, {
    type: 'AMAZON_ISSUED',
    domainName: domain('shop'),
    notAfter: new Date(now + 20 * DAY).toISOString(),
    inUseBy: [`arn:aws:elasticloadbalancing:${REGION}:${account}:loadbalancer/app/shop/1`],
    renewalStatus: 'FAILED',
    renewalStatusReason: 'DOMAIN_VALIDATION_DENIED',
  });
  const fine = await seedCertificate(admin, {
    type: 'AMAZON_ISSUED',
    domainName: domain('www'),
    notAfter: new Date(now + 200 * DAY).toISOString(),
    inUseBy: [`arn:aws:elasticloadbalancing:${REGION}:${account}:loadbalancer/app/www/1`],
  });

  if (scale) {
    for (let i = 1; i <= scale.unrotatedSecrets; i++) await newSecret(`legacy/partner-api-${i}`, false);
    for (let i = 1; i <= scale.rotatedSecrets; i++) {
      const arn = await newSecret(`app/service-${i}/db`);
      await sm.send(
        new RotateSecretCommand({
          SecretId: arn,
          RotationLambdaARN: rotationArn('rekey-secret-rotation'),
          RotationRules: { AutomaticallyAfterDays: 30 + i },
        }),
      );
      // As against AWS, RotateSecret may answer before its steps ran: wait for LastRotatedDate.
      for (
        let tries = 0;
        !(await sm.send(new DescribeSecretCommand({ SecretId: arn }))).LastRotatedDate;
        tries++
      ) {
        if (tries > 400) throw new Error(`the rotation of ${arn} did not finish within 20 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    // Healthy certificates in batches expiring from 2 to 12 months out, as a real account's do.
    const batches = 6;
    for (let b = 0; b < batches; b++) {
      const count = Math.ceil(scale.healthyCertificates / batches);
      await bulkSeedCertificates(admin, count, {
        type: 'AMAZON_ISSUED',
        domainName: `svc-{n}.team-${b + 1}.example.com`,
        notAfter: new Date(now + (60 + b * 55) * DAY).toISOString(),
        inUseBy: [`arn:aws:elasticloadbalancing:${REGION}:${account}:loadbalancer/app/web-${b}/1`],
      });
    }
    await seedCertificate(admin, {
      type: 'PRIVATE',
      domainName: 'payments-gateway-mutual-tls-client-authentication.internal.corp.example',
      notAfter: new Date(now + 25 * DAY).toISOString(),
    });
    await seedCertificate(admin, {
      type: 'AMAZON_ISSUED',
      domainName: domain('checkout'),
      notAfter: new Date(now + 40 * DAY).toISOString(),
      inUseBy: [`arn:aws:cloudfront::${account}:distribution/E2QWRUHAPOMQZL`],
      renewalStatus: 'PENDING_AUTO_RENEWAL',
    });
  }

  const secretArns = { healthy, stuck, failed, neverRotated };
  return {
    endpoint,
    account,
    env: {
      AWS_ACCESS_KEY_ID: account,
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL: endpoint.url,
    },
    prefix,
    aliasPrefix,
    secrets: {
      healthy: `${prefix}healthy`,
      stuck: `${prefix}stuck`,
      failed: `${prefix}failed`,
      neverRotated: `${prefix}never-rotated`,
    },
    secretArns,
    keys: {
      orders: { alias: ordersAlias, keyId: orders, predecessorKeyId: ordersOld },
      signing: { alias: signingAlias, keyId: signing },
      legacy: { alias: legacyAlias, keyId: legacy },
    },
    certificates: { imported, renewalFailed, fine },
    async sensitive() {
      // Whatever the rotation wrote too: read every current value (kept in memory, never printed).
      const current: string[] = [];
      for (const arn of Object.values(secretArns)) {
        const value = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
        if (value.SecretString) {
          current.push(value.SecretString);
          const parsed = JSON.parse(value.SecretString) as { password?: string };
          if (parsed.password) current.push(parsed.password);
        }
      }
      const keyLines = certificate.privateKeyPem.split('\n').filter((l) => l.length > 40);
      return [...initialValues, ...current, ...keyLines];
    },
    sm,
    kms,
    close: () => endpoint.close(),
  };
};

/** Collects what a command writes, and runs it with the demo account's environment. */
export { captureIo as capture } from '../../helpers/cli-io.js';
