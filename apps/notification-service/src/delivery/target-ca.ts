import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { NotificationServiceConfig } from '../config/notification-service.config';

/**
 * The certificate authorities trusted for targets, token URLs and Kafka brokers: the system's, plus
 * those of `TARGET_CA_FILE`. Read once at boot, so a missing file stops the service there.
 */
export function targetCertificateAuthorities(config: NotificationServiceConfig): string[] | undefined {
  if (config.targetCaFile === undefined) return undefined;
  let pem: string;
  try {
    pem = readFileSync(config.targetCaFile, 'utf8');
  } catch (error) {
    throw new Error(`TARGET_CA_FILE cannot be read: ${(error as Error).message}`);
  }
  return [...rootCertificates, pem];
}
