/**
 * The IAM checks of the IAM user and access-key actions the endpoint serves (Service
 * Authorization Reference, "Actions, resources, and condition keys for AWS Identity and Access
 * Management"): the user's ARN (with its path), its tags as `aws:ResourceTag/*`, and the tags a
 * request sets or removes (`aws:RequestTag/*`, `aws:TagKeys`). Without UserName a request acts on
 * the caller's own user. STS GetCallerIdentity needs no permission ("No permissions are required
 * to perform this operation").
 */
import {
  describeWith,
  inputString,
  requestTagContext,
  resourceTagContext,
  type ServiceAuthorizer,
  type ServiceDescriptors,
  type TagLike,
} from '../../core/iam/index.js';
import type { ContextValue } from '../../core/iam/policy.js';
import type { RequestContext } from '../../types.js';

export interface IamAuthState {
  /** A user of the account by name (case-insensitive), or the user an access key belongs to. */
  user(
    ctx: RequestContext,
    userName: string | undefined,
  ): { Arn: string; Tags: readonly TagLike[] } | undefined;
}

/** `Prefix.member.N.Key`/`.Value` lists of a Query request, flattened into its input. */
const memberTags = (input: Readonly<Record<string, unknown>>): TagLike[] => {
  const tags: TagLike[] = [];
  for (let n = 1; typeof input[`Tags.member.${n}.Key`] === 'string'; n += 1) {
    tags.push({
      Key: String(input[`Tags.member.${n}.Key`]),
      Value: String(input[`Tags.member.${n}.Value`] ?? ''),
    });
  }
  return tags;
};

const memberList = (input: Readonly<Record<string, unknown>>, prefix: string): string[] => {
  const values: string[] = [];
  for (let n = 1; typeof input[`${prefix}.member.${n}`] === 'string'; n += 1) {
    values.push(String(input[`${prefix}.member.${n}`]));
  }
  return values;
};

type Describe = ServiceDescriptors<IamAuthState>['operations'][string];

const onUser =
  (
    extra: (input: Readonly<Record<string, unknown>>) => Record<string, ContextValue> = () => ({}),
  ): Describe =>
  ({ operation, input, ctx, state }) => {
    const name = inputString(input, 'UserName');
    const user = state.user(ctx, name);
    const path = inputString(input, 'Path') ?? '/';
    const arn = user?.Arn ?? `arn:aws:iam::${ctx.accountId}:user${path}${name ?? ''}`;
    return [
      {
        action: `iam:${operation}`,
        resource: arn,
        context: { ...resourceTagContext(user?.Tags), ...extra(input) },
      },
    ];
  };

export const IAM_DESCRIPTORS: ServiceDescriptors<IamAuthState> = {
  prefix: 'iam',
  unauthenticated: ['GetCallerIdentity'],
  operations: {
    CreateUser: onUser((input) => requestTagContext(memberTags(input))),
    GetUser: onUser(),
    DeleteUser: onUser(),
    ListAccessKeys: onUser(),
    CreateAccessKey: onUser(),
    UpdateAccessKey: onUser(),
    DeleteAccessKey: onUser(),
    GetAccessKeyLastUsed: () => [{ action: 'iam:GetAccessKeyLastUsed', resource: '*' }],
    TagUser: onUser((input) => requestTagContext(memberTags(input))),
    UntagUser: onUser((input) => ({ 'aws:TagKeys': memberList(input, 'TagKeys') })),
    ListUserTags: onUser(),
    ListUsers: () => [{ action: 'iam:ListUsers', resource: '*' }],
  },
};

export const iamAuthorization = (state: IamAuthState): ServiceAuthorizer => ({
  prefix: 'iam',
  checks: describeWith(IAM_DESCRIPTORS, state),
});
