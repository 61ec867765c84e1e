/**
 * The end of `npm start`: the certificate sweep and the status report of the demo account tell
 * one consistent story, print their summary once, and say what to try next.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { help as doctorHelp } from '../../../cli/doctor.js';
import { help as localHelp } from '../../../cli/local.js';
import { help as statusHelp } from '../../../cli/status.js';
import { demoCertificateSweep } from '../../../scripts/demo/certificates.js';
import { DEMO_REPORT, demoStatus } from '../../../scripts/demo/status.js';
import { captureIo } from '../../helpers/cli-io.js';
import { startTestEndpoint, type TestEndpoint } from '../../helpers/endpoint.js';

let endpoint: TestEndpoint;
const sweep = captureIo();
const status = captureIo();

beforeAll(async () => {
  endpoint = await startTestEndpoint({ defaultFunctions: true });
  await demoCertificateSweep(endpoint.url, sweep.io);
  await demoStatus(endpoint.url, status.io);
}, 60_000);

afterAll(async () => {
  await endpoint?.close();
});

describe('the demo summaries', () => {
  it('tell the private certificate one thing: renewal requested, redeploy next', () => {
    const line = sweep.stdout.split('\n').find((l) => l.includes('private certificate')) ?? '';
    expect(line).toContain('rekey asked ACM to renew it');
    expect(line).toContain('redeploy it wherever it was exported');
    expect(sweep.stdout).not.toMatch(/renew it now/i);
  });

  it('print the status summary once, matching its counts (warnings are not "All healthy")', () => {
    const summaries = status.stdout.split('\n').filter((l) => l.startsWith('Checked '));
    expect(summaries).toEqual([
      'Checked 0 secrets, 0 keys, 5 certificates. Nothing needs attention now; 3 warnings to handle before their deadline.',
    ]);
    expect(status.stdout).not.toContain('All healthy');
    // The three warnings are the three certificates the sweep alerted on, each with what to do.
    const notes = status.stdout.split('\n').filter((l) => l.startsWith('  !  certificate '));
    expect(notes.map((l) => l.split(':')[0])).toEqual([
      '  !  certificate old-campaign.example.com',
      '  !  certificate legacy.example.com',
      '  !  certificate shop.example.com',
    ]);
    expect(status.stderr).toBe('');
    expect(existsSync(DEMO_REPORT)).toBe(true);
  });

  it('say what to try next, with commands and options that exist', () => {
    const next = status.stdout.slice(status.stdout.indexOf('What to try next'));
    expect(status.stdout).toContain(`The same report as a page: ${DEMO_REPORT}`);
    expect(next).toMatch(/npx rekey local --port 4566/);
    expect(localHelp).toContain('--port');
    expect(next).toMatch(/npx rekey status --endpoint-url http:\/\/127\.0\.0\.1:4566/);
    expect(statusHelp).toContain('--endpoint-url');
    expect(next).toMatch(/npx rekey doctor --endpoint-url http:\/\/127\.0\.0\.1:4566/);
    expect(doctorHelp).toContain('--endpoint-url');
    expect(next).toContain('sam deploy --guided');
  });
});
