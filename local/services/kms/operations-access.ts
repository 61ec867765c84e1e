import { aliasesIn, checkAliasName, createAlias, deleteAlias, updateAlias } from './aliases.js';
import {
  addGrant,
  checkGrantRequest,
  type GrantRequest,
  grantsOf,
  retireGrant,
  revokeGrant,
} from './grants.js';
import { type Input, optString, optStringList, page, reqString } from './input.js';
import { requireNotPendingDeletion } from './key-states.js';
import { aliasArn } from './model.js';
import { dryRun, keyFrom, type Operations, seconds } from './operation.js';

/** Wire-facing alias and grant operations; the rules are in `aliases.ts` and `grants.ts`. */

const aliasName = (input: Input): string => checkAliasName(reqString(input, 'AliasName', 256));

export const accessOperations: Operations = {
  CreateAlias(model, input, ctx) {
    const name = aliasName(input);
    createAlias(model, ctx, name, () => keyFrom(model, ctx, input, 'TargetKeyId'), ctx.now.getTime());
    return {};
  },

  UpdateAlias(model, input, ctx) {
    const name = aliasName(input);
    updateAlias(model, ctx, name, () => keyFrom(model, ctx, input, 'TargetKeyId'), ctx.now.getTime());
    return {};
  },

  DeleteAlias(model, input, ctx) {
    deleteAlias(model, ctx, aliasName(input));
    return {};
  },

  ListAliases(model, input, ctx) {
    const keyId = optString(input, 'KeyId');
    const target = keyId === undefined ? undefined : model.resolve(ctx, keyId, 'KeyId');
    const aliases = aliasesIn(model, ctx, target?.KeyId).map((a) => ({
      AliasName: a.AliasName,
      AliasArn: aliasArn(ctx.region, ctx.accountId, a.AliasName),
      TargetKeyId: a.TargetKeyId,
      CreationDate: seconds(a.CreationDate),
      LastUpdatedDate: seconds(a.LastUpdatedDate),
    }));
    const { items, ...rest } = page(aliases, input, 100);
    return { Aliases: items, ...rest };
  },

  CreateGrant(model, input, ctx) {
    const key = keyFrom(model, ctx, input, 'KeyId');
    requireNotPendingDeletion(key);
    const grantee = reqString(input, 'GranteePrincipal', 256);
    const retiring = optString(input, 'RetiringPrincipal', 256);
    const request: GrantRequest = {
      grantee,
      ...(retiring === undefined ? {} : { retiring }),
      operations: optStringList(input, 'Operations'),
      constraints: input.Constraints,
    };
    checkGrantRequest(key, request);
    const name = optString(input, 'Name', 256);
    dryRun(input);
    return addGrant(key, { ...request, ...(name ? { name } : {}) }, ctx.accountId, ctx.now.getTime());
  },

  ListGrants(model, input, ctx) {
    const key = keyFrom(model, ctx, input, 'KeyId');
    const grantId = optString(input, 'GrantId');
    const grantee = optString(input, 'GranteePrincipal');
    const grants = grantsOf(key, {
      ...(grantId === undefined ? {} : { grantId }),
      ...(grantee === undefined ? {} : { grantee }),
    }).map(({ CreationDate, ...g }) => ({ KeyId: key.Arn, ...g, CreationDate: seconds(CreationDate) }));
    const { items, ...rest } = page(grants, input, 100);
    return { Grants: items, ...rest };
  },

  RevokeGrant(model, input, ctx) {
    const key = keyFrom(model, ctx, input, 'KeyId');
    revokeGrant(key, reqString(input, 'GrantId', 128));
    return {};
  },

  RetireGrant(model, input, ctx) {
    const token = optString(input, 'GrantToken', 8192);
    const grantId = optString(input, 'GrantId', 128);
    const keys = optString(input, 'KeyId')
      ? [keyFrom(model, ctx, input, 'KeyId')]
      : Object.values(model.region(ctx.accountId, ctx.region).keys);
    retireGrant(keys, {
      ...(token === undefined ? {} : { token }),
      ...(grantId === undefined ? {} : { grantId }),
    });
    return {};
  },
};
