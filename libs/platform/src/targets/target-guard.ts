import { BadRequestException, Inject, Injectable, Optional } from '@nestjs/common';
import { lookup as dnsLookup, LookupAddress, LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import { isForbiddenAddress } from './address-policy';

export const ALLOW_PRIVATE_TARGETS = Symbol('ALLOW_PRIVATE_TARGETS');

/** Injection token of an optional {@link HostResolver}; without one the system resolver (dns.lookup) is used. */
export const HOST_RESOLVER = Symbol('HOST_RESOLVER');

/** Every address a host name resolves to now; both checks go through it, so both see what a socket would. */
export type HostResolver = (hostname: string, options: LookupAllOptions) => Promise<LookupAddress[]>;

const systemResolver: HostResolver = promisify(dnsLookup) as HostResolver;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Checks webhook targets against SSRF twice: when a registration is made (the URL's host
 * must not resolve to a forbidden address) and at connect time, through {@link lookup},
 * which an HTTP agent uses instead of dns.lookup, so a host that later resolves to a
 * private address (DNS rebinding) is refused before a socket opens.
 */
@Injectable()
export class TargetGuard {
  constructor(
    @Inject(ALLOW_PRIVATE_TARGETS) readonly allowPrivate: boolean,
    @Optional() @Inject(HOST_RESOLVER) private readonly resolve: HostResolver = systemResolver,
  ) {}

  /** Throws 400 when the URL's host is or resolves to a forbidden address. */
  async assertAllowed(url: string, field = 'url'): Promise<void> {
    const reason = await this.refusal(url);
    if (reason) throw new BadRequestException({ message: [`${field}: ${reason}`], error: 'Bad Request', statusCode: 400 });
  }

  /** Throws 400 when a host (a Kafka broker's, say) is or resolves to a forbidden address. */
  async assertHostAllowed(host: string, field: string): Promise<void> {
    const reason = await this.hostRefusal(host.replace(/^\[|\]$/g, '').replace(/\.$/, ''));
    if (reason) throw new BadRequestException({ message: [`${field}: ${reason}`], error: 'Bad Request', statusCode: 400 });
  }

  /** Why a URL is refused, or null when it is allowed. */
  async refusal(url: string): Promise<string | null> {
    let host: string;
    try {
      const parsed = new URL(url.replace(/\{[a-z_.]+\}/g, 'x'));
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'only http and https targets are allowed';
      // A trailing dot names the same host (`localhost.`), so it must not get around the name checks.
      host = parsed.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
    } catch {
      return 'not a valid URL';
    }
    return this.hostRefusal(host);
  }

  private async hostRefusal(host: string): Promise<string | null> {
    if (this.allowPrivate) return null;
    if (host === 'localhost' || host.endsWith('.localhost')) return `target host "${host}" is a loopback address`;
    if (isIP(host)) return isForbiddenAddress(host) ? `target address ${host} is private, loopback, link-local or reserved` : null;
    try {
      const addresses = await this.resolve(host, { all: true });
      const bad = addresses.find((a) => isForbiddenAddress(a.address));
      return bad ? `target host "${host}" resolves to ${bad.address}, a private, loopback, link-local or reserved address` : null;
    } catch {
      // An unresolvable host is allowed at registration (it may exist later); the connect-time check still applies.
      return null;
    }
  }

  /** A `lookup` for http(s).Agent that refuses forbidden addresses at connect time. */
  readonly lookup = (hostname: string, options: object, callback: LookupCallback): void => {
    this.resolve(hostname, { ...options, all: true }).then((list) => {
      if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      const refused = this.allowPrivate ? undefined : list.find((a) => isForbiddenAddress(a.address));
      if (refused) {
        const blockedError: NodeJS.ErrnoException = new Error(`refused to connect to ${hostname} (${refused.address}): private, loopback, link-local or reserved address`);
        blockedError.code = 'ETARGETBLOCKED';
        return callback(blockedError, '');
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    }, (error: NodeJS.ErrnoException) => callback(error, ''));
  };
}
