import type { Tag } from '@aws-sdk/client-kms';

/**
 * Tag keys the workflow writes. Evidence tags let an auditor follow the chain of keys; the
 * pending tags on the old key make successor creation idempotent and stop overlapping rotations.
 */
export const TAG = {
  /** On the successor: when it went into service. On the predecessor: when it was replaced. */
  rotatedAt: 'rekey:rotated-at',
  /** On the successor: ARN of the key it replaced. */
  predecessor: 'rekey:predecessor',
  /** On the predecessor: ARN of the key that replaced it. */
  successor: 'rekey:successor',
  /** On both: the Step Functions execution that did the rotation. */
  execution: 'rekey:execution',
  /** On the successor from creation: ARN of the key it is made to replace. */
  successorOf: 'rekey:successor-of',
  /** On the successor from creation: the execution name that created it. */
  rotationId: 'rekey:rotation-id',
  /** On the old key while a rotation runs: the execution name, written before CreateKey. */
  pendingRotation: 'rekey:pending-rotation',
  /** On the old key while a rotation runs: ARN of the successor, written right after CreateKey. */
  pendingSuccessor: 'rekey:pending-successor',
  /** On a successor whose swap was undone: the execution that rolled it back. */
  rolledBack: 'rekey:rolled-back-by',
} as const;

/** Tags the workflow owns; never copied from a predecessor to its successor. */
export const isRekeyTag = (key: string | undefined): boolean => key?.startsWith('rekey:') === true;

/** Tags AWS reserves; they cannot be set by CreateKey/TagResource. */
export const isReservedTag = (key: string | undefined): boolean => key?.startsWith('aws:') === true;

/** The value of a tag in a list, or `undefined`. */
export const tagValue = (tags: readonly Tag[] | undefined, key: string): string | undefined =>
  tags?.find((t) => t.TagKey === key)?.TagValue;

/** Builds a KMS tag list from a record. */
export const toTags = (record: Record<string, string>): Tag[] =>
  Object.entries(record).map(([TagKey, TagValue]) => ({ TagKey, TagValue }));
