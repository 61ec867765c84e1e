import { AwsError } from '../../aws-error.js';
import { validation } from './input.js';
import { requireCustomerManaged, requireNotPendingDeletion } from './key-states.js';
import {
  type AliasRecord,
  aliasArn,
  type KeyRecord,
  type KmsModel,
  keyType,
  notFound,
  type Scope,
} from './model.js';

/** Alias rules of the local KMS: names, the reserved `alias/aws/` prefix, and what UpdateAlias may retarget. */

const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/;

export const checkAliasName = (name: string): string => {
  if (!ALIAS_NAME.test(name)) {
    throw new AwsError(
      'InvalidAliasNameException',
      `AliasName ${name} is not valid: it must start with alias/ and contain only letters, digits, /, _ and -.`,
    );
  }
  return name;
};

const existing = (model: KmsModel, scope: Scope, name: string): AliasRecord => {
  const alias = model.region(scope.accountId, scope.region).aliases[name];
  if (!alias) throw notFound(`Alias ${aliasArn(scope.region, scope.accountId, name)} is not found.`);
  return alias;
};

/** CreateAlias. `target` resolves the key only after the name checks, as KMS reports them first. */
export const createAlias = (
  model: KmsModel,
  scope: Scope,
  name: string,
  target: () => KeyRecord,
  now: number,
): void => {
  if (name.startsWith('alias/aws/')) {
    throw new AwsError(
      'InvalidAliasNameException',
      `AliasName ${name} uses the prefix alias/aws/, which is reserved for AWS managed keys.`,
    );
  }
  const state = model.region(scope.accountId, scope.region);
  if (state.aliases[name]) {
    throw new AwsError(
      'AlreadyExistsException',
      `An alias with the name ${aliasArn(scope.region, scope.accountId, name)} already exists.`,
    );
  }
  const key = target();
  requireCustomerManaged(key, 'CreateAlias');
  requireNotPendingDeletion(key);
  state.aliases[name] = { AliasName: name, TargetKeyId: key.KeyId, CreationDate: now, LastUpdatedDate: now };
};

/**
 * UpdateAlias: the current and new key must be the same type (symmetric, asymmetric or HMAC)
 * and have the same key usage, so code that uses the alias keeps working (UpdateAlias API reference).
 */
export const updateAlias = (
  model: KmsModel,
  scope: Scope,
  name: string,
  target: () => KeyRecord,
  now: number,
): void => {
  const alias = existing(model, scope, name);
  const current = model.region(scope.accountId, scope.region).keys[alias.TargetKeyId];
  if (current) requireCustomerManaged(current, 'UpdateAlias');
  const key = target();
  requireCustomerManaged(key, 'UpdateAlias');
  requireNotPendingDeletion(key);
  if (current && (keyType(current) !== keyType(key) || current.KeyUsage !== key.KeyUsage)) {
    throw validation(
      `${key.Arn} (${keyType(key)} ${key.KeyUsage}) cannot replace ${current.Arn} (${keyType(current)} ${current.KeyUsage}) under ${name}: UpdateAlias requires the same key type and key usage; use DeleteAlias and CreateAlias to move the alias to a different kind of key.`,
    );
  }
  alias.TargetKeyId = key.KeyId;
  alias.LastUpdatedDate = now;
};

export const deleteAlias = (model: KmsModel, scope: Scope, name: string): void => {
  const alias = existing(model, scope, name);
  const state = model.region(scope.accountId, scope.region);
  const key = state.keys[alias.TargetKeyId];
  if (key) requireCustomerManaged(key, 'DeleteAlias');
  delete state.aliases[name];
};

/** The aliases of a Region (of one key when `keyId` is given), sorted by name. */
export const aliasesIn = (model: KmsModel, scope: Scope, keyId?: string): AliasRecord[] =>
  Object.values(model.region(scope.accountId, scope.region).aliases)
    .filter((a) => keyId === undefined || a.TargetKeyId === keyId)
    .sort((a, b) => (a.AliasName < b.AliasName ? -1 : 1));
