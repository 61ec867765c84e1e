/**
 * IAM policy evaluation for the local endpoint (issue 12). Not yet called on the request path:
 * the endpoint still allows every call.
 */
export { PolicyDocumentError } from './errors.js';
export type {
  AuthorizationRequest,
  Decision,
  MatchedStatement,
  PolicySet,
  ResourcePolicyMode,
} from './evaluate.js';
export { evaluate } from './evaluate.js';
export type { ContextValue, Policy, PolicyKind, Statement } from './policy.js';
export { readPolicy } from './policy.js';
export type { SecretKeyUse } from './secret-key-use.js';
export { secretKeyRequest } from './secret-key-use.js';
export type { StackContext, TemplateRole, TransformedTemplate } from './template-roles.js';
export { roleFromTemplate, roleOfResource } from './template-roles.js';
