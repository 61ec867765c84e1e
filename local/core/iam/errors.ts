/** A policy document the evaluator cannot read: the message names the policy, the element and the fix. */
export class PolicyDocumentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PolicyDocumentError';
  }
}
