import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IssuedCertificate {
  certificate: string;
  privateKey: string;
}

export interface TestPki {
  /** The CA's certificate, also written to `caFile`. */
  ca: string;
  caFile: string;
  /** For 127.0.0.1 (subjectAltName IP). */
  server: IssuedCertificate;
  issue(commonName: string): IssuedCertificate;
  /** A certificate the CA did not sign. */
  selfSigned(commonName: string): IssuedCertificate;
  remove(): void;
}

/** A throwaway certificate authority made with the `openssl` command, P-256 keys, in a temporary directory. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'ordercast-pki-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const newKey = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  newKey('ca');
  openssl('req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=Ordercast Test CA', '-days', '2', '-out', 'ca.pem');
  let serial = 1;
  const issue = (name: string, commonName: string, extensions: string): IssuedCertificate => {
    newKey(name);
    openssl('req', '-new', '-key', `${name}.key`, '-subj', `/CN=${commonName}`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial++), '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
    return { certificate: readFileSync(join(dir, `${name}.pem`), 'utf8'), privateKey: readFileSync(join(dir, `${name}.key`), 'utf8') };
  };
  let clients = 0;
  return {
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    server: issue('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'),
    issue: (commonName) => issue(`client${++clients}`, commonName, 'extendedKeyUsage=clientAuth\n'),
    selfSigned: (commonName) => {
      const name = `self${++clients}`;
      newKey(name);
      openssl('req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${commonName}`, '-days', '2', '-out', `${name}.pem`);
      return { certificate: readFileSync(join(dir, `${name}.pem`), 'utf8'), privateKey: readFileSync(join(dir, `${name}.key`), 'utf8') };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
