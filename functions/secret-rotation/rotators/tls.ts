import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { TlsSettings } from './database-secret.js';

/**
 * Node TLS options for a connection to `host` under `settings`, or `undefined` for plaintext.
 * Every driver gets its options from here, so the three engines mean the same by each mode.
 * No mode falls back to plaintext: each driver refuses to continue when the server does not
 * offer TLS (pg: "The server does not support SSL connections", mysql2:
 * HANDSHAKE_NO_SSL_SUPPORT, Redis: the TLS handshake fails).
 */
export const nodeTlsOptions = (settings: TlsSettings, host: string): ConnectionOptions | undefined => {
  switch (settings.mode) {
    case 'disable':
      return undefined;
    case 'require':
      // Encrypted but unauthenticated, like libpq's sslmode=require.
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The chain must lead to a trusted CA; the host name is not compared (libpq verify-ca).
      return {
        rejectUnauthorized: true,
        ...(settings.ca === undefined ? {} : { ca: settings.ca }),
        checkServerIdentity: () => undefined,
      };
    case 'verify-full':
      // Node's default checkServerIdentity compares `servername` (or the IP) with the certificate.
      return {
        rejectUnauthorized: true,
        ...(settings.ca === undefined ? {} : { ca: settings.ca }),
        ...(isIP(host) === 0 ? { servername: host } : {}),
      };
  }
};

/** mysql2's `ssl` option: it takes `verifyIdentity` instead of a `checkServerIdentity` function. */
export const mysqlTlsOptions = (
  settings: TlsSettings,
): { rejectUnauthorized: boolean; verifyIdentity: boolean; ca?: string } | undefined => {
  switch (settings.mode) {
    case 'disable':
      return undefined;
    case 'require':
      return { rejectUnauthorized: false, verifyIdentity: false };
    case 'verify-ca':
      return {
        rejectUnauthorized: true,
        verifyIdentity: false,
        ...(settings.ca === undefined ? {} : { ca: settings.ca }),
      };
    case 'verify-full':
      return {
        rejectUnauthorized: true,
        verifyIdentity: true,
        ...(settings.ca === undefined ? {} : { ca: settings.ca }),
      };
  }
};
