/** Reads template.yaml (with CloudFormation's short intrinsic tags) for the build and the static tests. */
import { readFile } from 'node:fs/promises';
import { yamlParse } from 'yaml-cfn';

export type Template = {
  Transform?: string | string[];
  Parameters?: Record<string, Record<string, unknown>>;
  Conditions?: Record<string, unknown>;
  Globals?: Record<string, Record<string, unknown>>;
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
  Outputs?: Record<string, { Value: unknown; Description?: string }>;
};

export const templatePath = new URL('../template.yaml', import.meta.url);

export const loadTemplate = async (): Promise<Template> =>
  yamlParse(await readFile(templatePath, 'utf8')) as Template;

export interface FunctionDefinition {
  logicalId: string;
  codeUri: string;
  handler: string;
  /** File part of `Handler` (`handler` of `handler.handler`). */
  handlerFile: string;
  /** Exported name part of `Handler`. */
  handlerExport: string;
  buildProperties: Record<string, unknown>;
  properties: Record<string, unknown>;
}

/** Every AWS::Serverless::Function with its esbuild metadata. */
export const functionsOf = (template: Template): FunctionDefinition[] =>
  Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Serverless::Function')
    .map(([logicalId, r]) => {
      const properties = r.Properties ?? {};
      const handler = String(properties.Handler);
      const dot = handler.lastIndexOf('.');
      return {
        logicalId,
        codeUri: String(properties.CodeUri ?? './'),
        handler,
        handlerFile: handler.slice(0, dot),
        handlerExport: handler.slice(dot + 1),
        buildProperties: (r.Metadata?.BuildProperties ?? {}) as Record<string, unknown>,
        properties,
      };
    });
