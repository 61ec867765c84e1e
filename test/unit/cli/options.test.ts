/**
 * The options several commands share: one check each, one message naming the flag and what it
 * accepts, whichever command uses it.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { choiceOption, outputOption, parseSecretFilter, regionsOption } from '../../../cli/options.js';
import { captureIo } from '../../helpers/cli-io.js';

describe('shared option checks', () => {
  it('--output: the first format by default, a given one as is, else one message with every accepted value', () => {
    expect(outputOption(undefined, ['table', 'json'])).toBe('table');
    expect(outputOption('json', ['text', 'json'])).toBe('json');
    expect(() => outputOption('xml', ['table', 'json', 'html'])).toThrow(
      "--output must be table, json or html; got 'xml'.",
    );
    expect(() => choiceOption('maybe', '--quotas', ['on', 'off'], 'on')).toThrow(
      "--quotas must be on or off; got 'maybe'.",
    );
  });

  it('--region: each value a Region name, duplicates dropped, else the fallback', () => {
    expect(regionsOption(['eu-west-1', 'us-east-1', 'eu-west-1'], ['ap-south-1'])).toEqual([
      'eu-west-1',
      'us-east-1',
    ]);
    expect(regionsOption(undefined, ['ap-south-1'])).toEqual(['ap-south-1']);
    expect(() => regionsOption(['eu-west-1', 'mars-1'], [])).toThrow(
      "--region must be a Region name such as eu-west-1; got 'mars-1'.",
    );
  });

  it('--filter: required where a command needs one', () => {
    expect(() => parseSecretFilter(undefined, { required: true })).toThrow(/--filter is required/);
    expect(parseSecretFilter(['name-prefix:prod/'], { required: true })).toEqual({ namePrefix: 'prod/' });
  });

  it.each([
    ['status', '--output', 'xml', "--output must be table, json or html; got 'xml'."],
    ['doctor', '--output', 'html', "--output must be table or json; got 'html'."],
    ['sweep-certificates', '--output', 'yaml', "--output must be table or json; got 'yaml'."],
    ['rotate-key', '--output', 'table', "--output must be text or json; got 'table'."],
    ['rotate-fleet', '--output', 'text', "--output must be table or json; got 'text'."],
    [
      'rotate-secret',
      '--region',
      'Europe',
      "--region must be a Region name such as eu-west-1; got 'Europe'.",
    ],
    ['status', '--region', 'Europe', "--region must be a Region name such as eu-west-1; got 'Europe'."],
    ['local', '--quotas', 'maybe', "--quotas must be on or off; got 'maybe'."],
  ])('rekey %s %s %s exits 2 with the shared message', async (command, flag, value, message) => {
    const extra =
      command === 'rotate-key' || command === 'rotate-secret'
        ? ['alias/x']
        : command === 'rotate-fleet'
          ? ['--filter', 'name-prefix:x']
          : [];
    const printed = captureIo();
    expect(await main([command, ...extra, flag, value], printed.io)).toBe(2);
    expect(printed.stderr).toContain(`rekey ${command}: ${message}`);
    expect(printed.stdout).toBe('');
  });
});
