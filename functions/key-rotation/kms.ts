import {
  DescribeKeyCommand,
  type GrantListEntry,
  type KeyMetadata,
  type KMSClient,
  ListAliasesCommand,
  ListGrantsCommand,
  ListResourceTagsCommand,
  NotFoundException,
  type Tag,
} from '@aws-sdk/client-kms';

/** Small paginating helpers over the KMS client, shared by the steps. */

/** DescribeKey, or `undefined` when the key or alias does not exist (in that Region). */
export const describeKeyOrUndefined = async (
  kms: KMSClient,
  keyId: string,
): Promise<KeyMetadata | undefined> => {
  try {
    return (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
  } catch (error) {
    if (error instanceof NotFoundException) return undefined;
    throw error;
  }
};

/** Every tag of a key (ListResourceTags pages with Marker/Truncated). */
export const listAllTags = async (kms: KMSClient, keyId: string): Promise<Tag[]> => {
  const tags: Tag[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListResourceTagsCommand({ KeyId: keyId, Marker: marker }));
    tags.push(...(page.Tags ?? []));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return tags;
};

/** Names of the aliases that point at a key (ListAliases with KeyId). */
export const aliasesOf = async (kms: KMSClient, keyId: string): Promise<string[]> => {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListAliasesCommand({ KeyId: keyId, Marker: marker }));
    for (const alias of page.Aliases ?? []) if (alias.AliasName) names.push(alias.AliasName);
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return names;
};

/** Every grant on a key. */
export const grantsOf = async (kms: KMSClient, keyId: string): Promise<GrantListEntry[]> => {
  const grants: GrantListEntry[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListGrantsCommand({ KeyId: keyId, Marker: marker }));
    grants.push(...(page.Grants ?? []));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return grants;
};

/** Key states in which a key is gone or going: it can no longer serve as a successor. */
export const isDeletedOrPending = (meta: KeyMetadata | undefined): boolean =>
  !meta || meta.KeyState === 'PendingDeletion' || meta.KeyState === 'PendingReplicaDeletion';
