// A real OAuth2 token endpoint for the target-auth tests (oauth2-mock-server, which is ESM only, so
// it runs here as a child process). argv[2] is the client secret every client must present by HTTP
// Basic; the client id "rejected-client" is refused. Prints its port, then one JSON line per token request.
import { OAuth2Server } from 'oauth2-mock-server';

const secret = process.argv[2];
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');

server.service.on('beforeResponse', (response, req) => {
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  const [clientId, clientSecret] = basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' '))) : [];
  if (clientId === undefined || clientSecret !== secret || clientId === 'rejected-client') {
    response.statusCode = 401;
    response.body = { error: 'invalid_client', error_description: 'client authentication failed' };
  }
  process.stdout.write(JSON.stringify({
    clientId: clientId ?? null, status: response.statusCode, token: response.body.access_token ?? null,
    grantType: req.body.grant_type, scope: req.body.scope ?? null, audience: req.body.audience ?? null,
    contentType: req.headers['content-type'],
  }) + '\n');
});

await server.start(0, '127.0.0.1');
process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
