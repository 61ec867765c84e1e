/**
 * Bundles every function exactly as `sam build` would from template.yaml's
 * `Metadata: BuildMethod: esbuild` / `BuildProperties`, into dist/<LogicalId>/.
 * The static tests reuse `esbuildOptionsFor` so the bundle they check is the one SAM makes.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { functionsOf, loadTemplate } from './template.js';

const root = new URL('..', import.meta.url).pathname;

/** Translates SAM's esbuild BuildProperties into esbuild options. */
export const esbuildOptionsFor = (
  props: Record<string, unknown>,
  codeUri: string,
  outdir: string,
): BuildOptions => {
  const list = (key: string): string[] => (Array.isArray(props[key]) ? (props[key] as string[]) : []);
  const pairs = (key: string): Record<string, string> =>
    Object.fromEntries(
      list(key).map((entry) => {
        const at = entry.indexOf('=');
        return [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  return {
    absWorkingDir: join(root, codeUri),
    entryPoints: list('EntryPoints'),
    bundle: true,
    platform: 'node',
    format: props.Format === 'esm' ? 'esm' : 'cjs',
    minify: props.Minify === true,
    sourcemap: props.Sourcemap === true,
    target: typeof props.Target === 'string' ? props.Target : 'es2020',
    // SAM passes a string as `--main-fields=module,main` (a YAML list would become `--main-fields:module`, which esbuild refuses).
    mainFields: typeof props.MainFields === 'string' ? props.MainFields.split(',') : undefined,
    outExtension: pairs('OutExtension'),
    banner: pairs('Banner'),
    external: list('External'),
    outdir,
    logLevel: 'silent',
    metafile: true,
  };
};

export const buildAll = async (outRoot = join(root, 'dist', 'functions')) => {
  const template = await loadTemplate();
  const results: { logicalId: string; outdir: string; bytes: number }[] = [];
  for (const fn of functionsOf(template)) {
    const outdir = join(outRoot, fn.logicalId);
    await rm(outdir, { recursive: true, force: true });
    await mkdir(outdir, { recursive: true });
    await build(esbuildOptionsFor(fn.buildProperties, fn.codeUri, outdir));
    const main = join(outdir, `${fn.handlerFile}.mjs`);
    results.push({ logicalId: fn.logicalId, outdir, bytes: (await stat(main)).size });
  }
  return results;
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await buildAll()) {
    console.log(`${r.logicalId}: ${(r.bytes / 1024).toFixed(0)} KiB -> ${r.outdir}`);
  }
}
