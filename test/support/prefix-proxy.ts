import { createServer, request, type Server } from 'node:http';

/**
 * A reverse proxy on a free loopback port that serves `target` under `prefix` and strips it
 * on the way in, as an ingress with a rewrite (ingress-nginx rewrite-target, Traefik
 * StripPrefix) does: GET {proxy}/tools/x reaches the app as GET /x.
 */
export async function startPrefixProxy(
  target: string,
  prefix: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (!path.startsWith(`${prefix}/`) && path !== prefix) {
      res.writeHead(404).end('not behind the prefix');
      return;
    }
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: path.slice(prefix.length) || '/',
        headers: { ...req.headers, host: upstream.host, 'x-forwarded-prefix': prefix },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.headersSent || res.writeHead(502).end());
    // A client gone (the page closed, the proxy closed) ends the upstream request too: an open
    // event stream would otherwise keep the app from closing.
    res.on('close', () => forwarded.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
