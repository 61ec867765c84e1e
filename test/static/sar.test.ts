/**
 * The template can be published to the AWS Serverless Application Repository with `sam publish`:
 * its AWS::ServerlessRepo::Application metadata holds what `sam publish` requires (Name,
 * Description, Author, SemanticVersion: aws-serverlessrepo-python's publish_application
 * validates exactly these) within the limits of SAR's CreateApplication API, and the README and
 * licence it points at exist and agree with package.json.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplate } from '../../scripts/template.js';

const root = new URL('../..', import.meta.url).pathname;

describe('Serverless Application Repository metadata', () => {
  it('holds what sam publish requires, within the CreateApplication limits', async () => {
    const template = (await loadTemplate()) as { Metadata?: Record<string, Record<string, unknown>> };
    const app = template.Metadata?.['AWS::ServerlessRepo::Application'] ?? {};
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      version: string;
      license: string;
    };

    for (const field of [
      'Name',
      'Description',
      'Author',
      'SemanticVersion',
      'SpdxLicenseId',
      'LicenseUrl',
      'ReadmeUrl',
      'Labels',
    ])
      expect(app[field], field).toBeDefined();
    expect(String(app.Name)).toMatch(/^[a-zA-Z0-9-]{1,140}$/);
    expect(String(app.Description).length).toBeLessThanOrEqual(256);
    expect(String(app.Author)).toMatch(/^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$/);
    expect(String(app.Author).length).toBeLessThanOrEqual(127);
    const labels = app.Labels as string[];
    expect(labels.length).toBeGreaterThan(0);
    expect(labels.length).toBeLessThanOrEqual(10);
    for (const label of labels) expect(label).toMatch(/^[a-zA-Z0-9+\-_:/@]{1,127}$/);
    // One version for npm and SAR; the licence both declare.
    expect(app.SemanticVersion).toBe(pkg.version);
    expect(app.SpdxLicenseId).toBe(pkg.license);
    // Either a body or a URL, never both (serverlessrepo's ApplicationMetadata.validate).
    expect('LicenseBody' in app && 'LicenseUrl' in app).toBe(false);
    expect('ReadmeBody' in app && 'ReadmeUrl' in app).toBe(false);
  });

  it('points at a README and a licence that exist, the licence being the one declared', async () => {
    const template = (await loadTemplate()) as { Metadata?: Record<string, Record<string, unknown>> };
    const app = template.Metadata?.['AWS::ServerlessRepo::Application'] ?? {};
    expect(existsSync(join(root, String(app.ReadmeUrl)))).toBe(true);
    const licence = await readFile(join(root, String(app.LicenseUrl)), 'utf8');
    expect(licence).toContain('Apache License');
    expect(licence).toContain('Version 2.0, January 2004');
  });
});
