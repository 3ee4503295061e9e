import { stopServices } from './global-setup';

/** Stops what test/harness/global-setup.ts started; services given through the environment are left alone. */
export default async function globalTeardown(): Promise<void> {
  const services = globalThis.__ordercastIntegration;
  if (!services) return;
  globalThis.__ordercastIntegration = undefined;
  await stopServices(services);
}
