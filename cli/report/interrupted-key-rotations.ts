/**
 * `rekey doctor`'s check for key rotations that began and never reached the alias swap: the
 * key behind an alias still carries `rekey:pending-rotation` (written before CreateKey, removed
 * when the swap's evidence is recorded or the rotation rolls back). A deployed rotation waiting
 * for imported key material looks the same, so the description says both; against a local
 * endpoint, where nothing runs once `rekey rotate-key` stopped, the fix is to run it again
 * (it resumes with the successor already made). Against a local endpoint it also finds a
 * rotation stopped after the swap, whose old key is still enabled.
 */
import { type KMSClient, NotFoundException } from '@aws-sdk/client-kms';
import { describeKeyOrUndefined, listAllTags } from '../../functions/key-rotation/kms.js';
import { TAG, tagValue } from '../../functions/key-rotation/tags.js';
import { messageOf } from '../../functions/lib/errors.js';
import { mapBounded } from '../../functions/lib/retry.js';
import { findUnfinishedRetirement } from '../../local/workflows/key-retirement.js';
import type { ReportClients } from './clients.js';
import { listAliases } from './collect.js';
import type { DoctorReport, Problem } from './diagnose.js';

const interruptedIn = async (
  clients: ReportClients,
  region: string,
  stuckAfterSeconds: number,
): Promise<Problem[]> => {
  const kms: KMSClient = clients.kms(region);
  const aliases = (await listAliases(kms)).filter(
    (a) => a.AliasName && a.TargetKeyId && !a.AliasName.startsWith('alias/aws/'),
  );
  const problems: Problem[] = [];
  await mapBounded(aliases, 5, async (alias) => {
    const name = alias.AliasName ?? '';
    const tags = await listAllTags(kms, alias.TargetKeyId ?? '').catch((error: unknown) => {
      if (error instanceof NotFoundException) return [];
      throw error;
    });
    const rotation = tagValue(tags, TAG.pendingRotation);
    if (!rotation) {
      const retirement = clients.endpoint
        ? await retirementProblem(clients, region, name, stuckAfterSeconds)
        : undefined;
      if (retirement) problems.push(retirement);
      return;
    }
    const meta = await describeKeyOrUndefined(kms, alias.TargetKeyId ?? '');
    const keyId = meta?.KeyId ?? alias.TargetKeyId ?? '';
    const successor = tagValue(tags, TAG.pendingSuccessor);
    const rotate = `rekey rotate-key ${name} --region ${region}${clients.endpoint ? ` --endpoint-url ${clients.endpoint}` : ''}`;
    const abandon = [
      ...(successor
        ? [
            `aws kms schedule-key-deletion --region ${region} --key-id ${successor} --pending-window-in-days 7`,
          ]
        : []),
      `aws kms untag-resource --region ${region} --key-id ${keyId} --tag-keys ${TAG.pendingRotation} ${TAG.pendingSuccessor}`,
    ];
    problems.push({
      kind: 'key-rotation-interrupted',
      region,
      resourceType: 'key',
      resource: name,
      resourceArn: meta?.Arn ?? keyId,
      description:
        `A rotation of ${name} (${rotation}) began but never reached the alias swap: key ${keyId} still carries ${TAG.pendingRotation}` +
        `${successor ? ` and its successor ${successor} is made but not in service` : ''}. ` +
        (clients.endpoint
          ? `Against this endpoint nothing runs once 'rekey rotate-key' stopped: run it again to resume (first command), or abandon the rotation (the other commands).`
          : `Either its execution (named ${rotation}) still runs, for example waiting for imported key material, or it was stopped: if no such execution runs, abandon the rotation (these commands) and start a new one.`),
      fix: clients.endpoint ? [rotate, ...abandon] : abandon,
      safe: false,
    });
  });
  return problems;
};

/**
 * Against a local endpoint, where the grace and retention waits run in the `rekey` process: a
 * predecessor still enabled `stuckAfterSeconds` after the swap was left by a stopped process
 * (deployed workflows wait days; the predecessor-still-enabled check covers them).
 */
const retirementProblem = async (
  clients: ReportClients,
  region: string,
  alias: string,
  stuckAfterSeconds: number,
): Promise<Problem | undefined> => {
  const found = await findUnfinishedRetirement(clients.kms(region), alias, region);
  if (!found) return undefined;
  const age = (clients.now().getTime() - Date.parse(found.rotatedAt)) / 1000;
  if (!(age >= stuckAfterSeconds)) return undefined;
  return {
    kind: 'key-retirement-interrupted',
    region,
    resourceType: 'key',
    resource: alias,
    resourceArn: found.keyArn,
    description:
      `${alias} was rotated at ${found.rotatedAt}, but its old key ${found.predecessorKeyId} is still enabled: the local rotation stopped before retiring it (or a 'rekey rotate-key' with a longer --grace-seconds is still running). ` +
      `Running the command again finishes the retirement (checks no alias uses the old key, disables it, schedules its deletion).`,
    fix: [`rekey rotate-key ${alias} --region ${region} --endpoint-url ${clients.endpoint}`],
    safe: false,
  };
};

/**
 * Adds the interrupted key rotations of every Region to a doctor report (a Region whose KMS
 * cannot be read is recorded as an error, as the other checks do).
 */
export const addInterruptedKeyRotations = async (
  clients: ReportClients,
  report: DoctorReport,
  options: { stuckAfterSeconds: number },
): Promise<DoctorReport> => {
  const problems = [...report.problems];
  const errors = [...report.errors];
  for (const region of report.regions) {
    try {
      // A predecessor past its grace period is already reported (predecessor-still-enabled).
      const reported = (p: Problem) =>
        report.problems.some(
          (q) => q.kind === 'predecessor-still-enabled' && q.resource === p.resource && q.region === p.region,
        );
      const found = await interruptedIn(clients, region, options.stuckAfterSeconds);
      problems.push(...found.filter((p) => !(p.kind === 'key-retirement-interrupted' && reported(p))));
    } catch (error) {
      if (!errors.some((e) => e.region === region && e.service === 'kms'))
        errors.push({ region, service: 'kms', message: messageOf(error) });
    }
  }
  const added = problems.length - report.problems.length;
  return {
    ...report,
    problems,
    errors,
    summary: {
      ...report.summary,
      found: report.summary.found + added,
      remaining: report.summary.remaining + added,
    },
  };
};
