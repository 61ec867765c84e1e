/**
 * The identities of a SAM template's functions and state machines on the local endpoint. A
 * function's credentials are `ASIA<ACCOUNT><LogicalId>` (any secret key): the endpoint reads
 * the account and the function from the access key id, resolves the role SAM would create for
 * that function in that account and Region (sam-roles.ts, template-roles.ts), and evaluates the
 * request as `arn:aws:sts::ACCOUNT:assumed-role/ROLE/FUNCTION_NAME`, the session Lambda uses.
 * Code that runs a function in-process (the endpoint itself, the local workflow runner, tests)
 * signs its requests with `functionCredentials(...)`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { yamlParse } from 'yaml-cfn';
import type { Identity } from './authorizer.js';
import { PolicyDocumentError } from './errors.js';
import { type SamTemplate, samRoles } from './sam-roles.js';
import {
  roleFromTemplate,
  roleOfResource,
  type TemplateRole,
  type TransformedTemplate,
} from './template-roles.js';

/** The stack name rekey local deploys as: its functions are `rekey-secret-rotation`, ... */
export const LOCAL_STACK_NAME = 'rekey';

const FUNCTION_KEY = /^ASIA(\d{12})([A-Za-z][A-Za-z0-9]*)$/;

/** Credentials that make the local endpoint treat a request as the function's role session. */
export const functionCredentials = (
  logicalId: string,
  accountId: string,
): { accessKeyId: string; secretAccessKey: string } => ({
  accessKeyId: `ASIA${accountId}${logicalId}`,
  secretAccessKey: 'local',
});

/** The project's template.yaml: three folders up from this module's source, one up from dist/. */
export const projectTemplatePath = (): string => {
  const candidates = ['../../../template.yaml', '../template.yaml'].map((up) =>
    fileURLToPath(new URL(up, import.meta.url)),
  );
  return candidates.find((path) => existsSync(path)) ?? (candidates[0] as string);
};

const loaded = new Map<string, TransformedTemplate>();

/** Reads a SAM template file and resolves its function roles as the SAM transform would. */
export const loadSamTemplate = (path: string = projectTemplatePath()): TransformedTemplate => {
  let template = loaded.get(path);
  if (template === undefined) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new PolicyDocumentError(
        `cannot read the template ${path} (${(error as Error).message}); pass --template FILE`,
      );
    }
    template = samRoles(yamlParse(text) as SamTemplate);
    loaded.set(path, template);
  }
  return template;
};

export interface TemplateIdentitiesOptions {
  template?: TransformedTemplate;
  stackName?: string;
  /** Stack parameter values; a parameter not given takes its Default. */
  parameters?: Readonly<Record<string, string>>;
}

/** Functions and state machines of a template, their roles per account and Region, cached. */
export class TemplateIdentities {
  readonly #template: TransformedTemplate;
  readonly #stackName: string;
  readonly #parameters: Readonly<Record<string, string>>;
  readonly #roles = new Map<string, TemplateRole>();

  public constructor(options: TemplateIdentitiesOptions = {}) {
    this.#template = options.template ?? loadSamTemplate();
    this.#stackName = options.stackName ?? LOCAL_STACK_NAME;
    this.#parameters = options.parameters ?? {};
  }

  /** Logical ids of the template's functions and state machines. */
  public runnables(): string[] {
    return Object.entries(this.#template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function' || r.Type === 'AWS::StepFunctions::StateMachine')
      .map(([id]) => id);
  }

  /** The logical id of the function deployed as `functionName` (e.g. `rekey-secret-rotation`). */
  public functionNamed(functionName: string): string | undefined {
    for (const id of this.runnables()) {
      if (this.#template.Resources[id]?.Type !== 'AWS::Lambda::Function') continue;
      if (this.#resolvedName(id) === functionName) return id;
    }
    return undefined;
  }

  #resolvedName(logicalId: string): string {
    const properties = this.#template.Resources[logicalId]?.Properties ?? {};
    const named = properties.FunctionName ?? properties.StateMachineName;
    if (named === undefined) return `${this.#stackName}-${logicalId}`;
    // The names rekey's template gives are `!Sub ${AWS::StackName}-suffix`.
    const text =
      typeof named === 'string'
        ? named
        : String((named as { 'Fn::Sub'?: unknown })['Fn::Sub'] ?? `${this.#stackName}-${logicalId}`);
    return text.replace(/\$\{AWS::StackName\}/g, this.#stackName);
  }

  /** The role of a function or state machine as the stack creates it in `accountId` and `region`. */
  public role(logicalId: string, accountId: string, region: string): TemplateRole {
    const key = `${logicalId}/${accountId}/${region}`;
    let role = this.#roles.get(key);
    if (role === undefined) {
      role = roleFromTemplate(this.#template, roleOfResource(this.#template, logicalId), {
        stackName: this.#stackName,
        region,
        accountId,
        parameters: this.#parameters,
      });
      this.#roles.set(key, role);
    }
    return role;
  }

  /** The identity behind `functionCredentials(logicalId, account)` in `region`; undefined for other keys. */
  public identityOf(accessKeyId: string, region: string): Identity | undefined {
    const match = FUNCTION_KEY.exec(accessKeyId);
    if (!match) return undefined;
    const [, accountId, logicalId] = match as unknown as [string, string, string];
    if (!this.runnables().includes(logicalId)) return undefined;
    const role = this.role(logicalId, accountId, region);
    return {
      principalArn: `arn:aws:sts::${accountId}:assumed-role/${role.roleName}/${this.#resolvedName(logicalId)}`,
      accountId,
      aliases: [role.roleArn],
      policies: role.policies,
    };
  }
}
