import { AwsError } from '../../aws-error.js';
import type { RequestContext } from '../../types.js';
import { type Input, optBool, reqString } from './input.js';
import type { KeyRecord, KmsModel, ResolveOptions } from './model.js';

/** What every wire-facing KMS operation shares: its signature and a few readers and writers. */

export type Operation = (model: KmsModel, input: Input, ctx: RequestContext) => unknown | Promise<unknown>;
export type Operations = Record<string, Operation>;

/** KMS timestamps are epoch seconds on the wire. */
export const seconds = (ms: number): number => ms / 1000;
export const b64 = (buf: Buffer): string => buf.toString('base64');

/** The key the identifier in `field` names (required). */
export const keyFrom = (
  model: KmsModel,
  ctx: RequestContext,
  input: Input,
  field: string,
  opts: ResolveOptions = {},
): KeyRecord => model.resolve(ctx, reqString(input, field), field, opts);

/** `DryRun: true` answers DryRunOperationException once every check has passed. */
export const dryRun = (input: Input): void => {
  if (optBool(input, 'DryRun')) {
    throw new AwsError(
      'DryRunOperationException',
      'The request would have succeeded, but the DryRun option is set.',
    );
  }
};
