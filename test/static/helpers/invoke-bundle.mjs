// Runs one handler from a built bundle the way the Lambda Node.js runtime does: import the
// module named by Handler, call the export with the event and a context, and report the result
// or the error's type and message (what Lambda returns as errorType/errorMessage). The event is
// read from stdin; the outcome is written to REKEY_RESULT_FILE, because the function's own
// logs go to stdout as they do on Lambda.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const { REKEY_BUNDLE: bundle, REKEY_HANDLER_EXPORT: exportName, REKEY_RESULT_FILE: resultFile } = process.env;
if (!bundle || !exportName || !resultFile) {
  console.error('REKEY_BUNDLE, REKEY_HANDLER_EXPORT and REKEY_RESULT_FILE are required');
  process.exit(2);
}
const event = JSON.parse(readFileSync(0, 'utf8'));
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'bundle';
const context = {
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${functionName}`,
  memoryLimitInMB: '512',
  awsRequestId: randomUUID(),
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'local',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
  done() {},
  fail() {},
  succeed() {},
};
let outcome;
try {
  const mod = await import(pathToFileURL(bundle).href);
  const result = await mod[exportName](event, context);
  outcome = { ok: true, result: result ?? null };
} catch (error) {
  outcome = { ok: false, errorType: error?.name ?? 'Error', errorMessage: String(error?.message ?? error) };
}
writeFileSync(resultFile, JSON.stringify(outcome));
