/**
 * What CloudFormation would reject before deploying, judged by cfn-lint (AWS's linter, with the
 * SAM transform), plus the project's own rules: every parameter constrained, described and used,
 * and an output for every function, state machine, bus and topic.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTemplate, type Template } from '../../scripts/template.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

let template: Template & { Conditions?: Record<string, unknown> };
beforeAll(async () => {
  template = await loadTemplate();
});

/** Every intrinsic reference in a value: Ref, GetAtt, ${...} in Sub, Condition names in If. */
const referencesIn = (
  node: unknown,
  out: { refs: string[]; conditions: string[] } = { refs: [], conditions: [] },
) => {
  if (Array.isArray(node)) for (const n of node) referencesIn(n, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'Ref' && typeof value === 'string') out.refs.push(value);
      else if (key === 'Fn::GetAtt')
        out.refs.push(String(Array.isArray(value) ? value[0] : String(value).split('.')[0]));
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(value) ? String(value[0]) : String(value);
        const locals = Array.isArray(value) && value[1] ? Object.keys(value[1] as object) : [];
        for (const m of text.matchAll(/\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z]+)?\}/g)) {
          if (!locals.includes(m[1] ?? '')) out.refs.push(m[1] ?? '');
        }
        if (Array.isArray(value)) referencesIn(value[1], out);
      } else if (key === 'Fn::If' && Array.isArray(value)) {
        out.conditions.push(String(value[0]));
        referencesIn(value.slice(1), out);
      } else referencesIn(value, out);
    }
  }
  return out;
};

describe('template resources', () => {
  // CloudFormation's own linter judges types, properties, references and conditions, after
  // running the SAM transform itself (so references to SAM-generated resources are checked too).
  it('passes cfn-lint with no error, warning or informational finding', async () => {
    const result = await run('cfn-lint', ['--format', 'parseable', '--', 'template.yaml'], {
      cwd: root,
    }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? 1,
        out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
      }),
    );
    expect(result.out.trim(), 'cfn-lint findings').toBe('');
    expect(result.code).toBe(0);
  });

  it('constrains every parameter and uses every one', () => {
    const { refs } = referencesIn([
      template.Resources,
      template.Outputs,
      template.Conditions,
      template.Globals,
    ]);
    for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
      const constrained = ['AllowedValues', 'AllowedPattern', 'MinValue', 'MaxValue'].some(
        (k) => k in parameter,
      );
      expect(constrained, `parameter ${name} has constraints`).toBe(true);
      expect(parameter.Description, `parameter ${name} is described`).toBeTypeOf('string');
      expect(refs, `parameter ${name} is used`).toContain(name);
    }
  });

  it('outputs the ARN of every function, state machine, bus and topic', () => {
    const outputs = JSON.stringify(template.Outputs ?? {});
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (
        [
          'AWS::Serverless::Function',
          'AWS::Serverless::StateMachine',
          'AWS::Events::EventBus',
          'AWS::SNS::Topic',
        ].includes(resource.Type)
      ) {
        expect(outputs, `an output for ${id}`).toContain(`"${id}`);
      }
    }
  });
});
