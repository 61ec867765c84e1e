/**
 * Demo end: `rekey status` over everything the demo did, as a table and as an HTML report, and
 * what to try next.
 */
import { defaultIo, type Io } from '../../cli/io.js';
import { run as status } from '../../cli/status.js';
import { DEMO_REGION, headingText } from './common.js';

/** Where the demo writes the HTML report (dist/ is ignored by git). */
export const DEMO_REPORT = 'dist/rekey-status.html';

/**
 * Prints the status table (its last line is the one summary), writes the same report as a page
 * without repeating the summary, and says what to try next.
 */
export const demoStatus = async (endpoint: string, io: Io = defaultIo): Promise<void> => {
  const say = (line = '') => io.stdout(`${line}\n`);
  say(headingText('rekey status: rotation health of the demo account'));
  const args = ['--endpoint-url', endpoint, '--region', DEMO_REGION, '--alias-prefix', 'alias/rekey/'];
  // Exit code 3 means "something needs attention".
  const code = await status(args, io);
  if (code !== 0 && code !== 3) throw new Error(`rekey status exited ${code}`);
  // The page carries the same summary as the table just printed: keep only its errors.
  const page: Io = { stdout: () => {}, stderr: io.stderr };
  const html = await status([...args, '--output', 'html', '--out', DEMO_REPORT], page);
  if (html !== 0 && html !== 3) throw new Error(`rekey status --output html exited ${html}`);
  say();
  say(`The same report as a page: ${DEMO_REPORT} (open it in a browser).`);
  say();
  say("What to try next (the demo's endpoint stops with it; `rekey local` serves one that stays):");
  say(
    '  npx rekey local --port 4566                 an endpoint for the AWS CLI, SDKs and your own code (README: Local mode)',
  );
  say('  npx rekey status --endpoint-url http://127.0.0.1:4566');
  say('                                              this report for what you create there');
  say('  npx rekey doctor --endpoint-url http://127.0.0.1:4566');
  say('                                              broken rotations and the command that fixes each');
  say('  npx rekey --help                            every command; README: The rekey command line');
  say(
    '  sam build && sam deploy --guided            the same automation in an AWS account (README: Deploying)',
  );
};
