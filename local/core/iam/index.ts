/**
 * IAM for the local endpoint (issue 12): policy evaluation (evaluate.ts), the per-service
 * authorization descriptors' interface (authorization.ts), the request-path authorizer with its
 * audit log (authorizer.ts), and the roles of a SAM template (sam-roles.ts, template-roles.ts).
 */
export type {
  AuthorizationCheck,
  DescribedRequest,
  OperationDescriptor,
  ResourcePolicy,
  ServiceAuthorizer,
  ServiceDescriptors,
  TagLike,
} from './authorization.js';
export {
  describeWith,
  inputString,
  inputTags,
  requestTagContext,
  resourceTagContext,
} from './authorization.js';
export type { AuditEntry, AuthorizerOptions, IamMode, Identity } from './authorizer.js';
export { Authorizer, IAM_MODES } from './authorizer.js';
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
export type { SamTemplate } from './sam-roles.js';
export { samRoles } from './sam-roles.js';
export type { SecretKeyUse } from './secret-key-use.js';
export { secretKeyRequest } from './secret-key-use.js';
export type { StackContext, TemplateRole, TransformedTemplate } from './template-roles.js';
export { roleFromTemplate, roleOfResource } from './template-roles.js';
