/** Demo end: `rekey status` over everything the demo did, as a table and as an HTML report. */
import { run as status } from '../../cli/status.js';
import { DEMO_REGION, heading } from './common.js';

export const demoStatus = async (endpoint: string): Promise<void> => {
  heading('rekey status: rotation health of the demo account');
  const args = ['--endpoint-url', endpoint, '--region', DEMO_REGION, '--alias-prefix', 'alias/rekey/'];
  // Exit code 3 means "something needs attention": the demo's certificates do, on purpose.
  const code = await status(args);
  if (code !== 0 && code !== 3) throw new Error(`rekey status exited ${code}`);
  const html = await status([...args, '--output', 'html', '--out', 'dist/rekey-status.html']);
  if (html !== 0 && html !== 3) throw new Error(`rekey status --output html exited ${html}`);
  console.log('  the same report as a page: dist/rekey-status.html');
};
