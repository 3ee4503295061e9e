import { openUrlCredentials, type SecretBox, type SecretPurpose } from '@ordercast/platform';

/**
 * Opened values kept at most. A registration's sealed values travel unchanged in every change event
 * of its order, so a burst of one order's changes (or a retry) opens the same values again; the
 * values of every registration being delivered to at once fit well within this.
 */
const MAX_OPENED = 2000;

/**
 * The sealed values of the targets being delivered to, opened once and reused: opening one is an
 * AES-GCM decryption, which every attempt paid for each header value, signing secret and URL
 * credential. Keyed by the exact sealed text and its purpose, so a value opens to what
 * {@link SecretBox.decrypt} gives (the key ring does not change while the process runs); a value
 * that does not open is not kept and fails again on every attempt. The plaintexts stay in this
 * process's memory only, as they do while a request is sent; the oldest make way beyond MAX_OPENED.
 */
export class OpenedSecrets {
  private readonly opened = new Map<string, string>();

  constructor(private readonly box: SecretBox, private readonly max = MAX_OPENED) {}

  open(sealed: string, purpose: SecretPurpose): string {
    return this.remembered(`${purpose} ${sealed}`, () => this.box.decrypt(sealed, purpose));
  }

  openValues(values: Record<string, string>, purpose: SecretPurpose): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, this.open(value, purpose)]));
  }

  /** The URL with its credentials opened (see openUrlCredentials). */
  openUrl(url: string): string {
    return this.remembered(`url ${url}`, () => openUrlCredentials(url, this.box));
  }

  private remembered(key: string, open: () => string): string {
    let plain = this.opened.get(key);
    if (plain === undefined) {
      plain = open();
      if (this.opened.size >= this.max) this.opened.delete(this.opened.keys().next().value as string);
      this.opened.set(key, plain);
    }
    return plain;
  }
}
