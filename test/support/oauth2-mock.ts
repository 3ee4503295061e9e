import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One request the token endpoint answered. */
export interface TokenRequest {
  clientId: string | null;
  status: number;
  token: string | null;
  grantType: string;
  scope: string | null;
  audience: string | null;
  contentType: string;
}

/**
 * The `oauth2-mock-server` package as a child process on loopback (see oauth2-server.mjs): a real
 * token endpoint whose clients must authenticate by HTTP Basic with `clientSecret`.
 */
export class OAuth2Mock {
  readonly requests: TokenRequest[] = [];

  private constructor(private readonly child: ChildProcess, readonly port: number) {}

  static async start(clientSecret: string): Promise<OAuth2Mock> {
    const child = spawn(process.execPath, [`${__dirname}/oauth2-server.mjs`, clientSecret], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    let mock: OAuth2Mock | undefined;
    return new Promise<OAuth2Mock>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`oauth2 mock server exited with ${code}`)));
      lines.on('line', (line) => {
        const message = JSON.parse(line) as { port: number } | TokenRequest;
        if ('port' in message) {
          mock = new OAuth2Mock(child, message.port);
          resolve(mock);
        } else {
          mock?.requests.push(message);
        }
      });
    });
  }

  get tokenUrl(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  requestsOf(clientId: string): TokenRequest[] {
    return this.requests.filter((request) => request.clientId === clientId);
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill();
    });
  }
}
