import { createServer, type Server, type Socket, connect } from 'node:net';

/**
 * A loopback TCP proxy in front of a server whose traffic can be held: `pause()` stops
 * forwarding in both directions (bytes are buffered, connections stay open, as when the
 * server hangs), `resume()` delivers what was held. For tests of "the broker did not answer".
 */
export class PausableProxy {
  private paused = false;
  private refusing = false;
  private readonly pipes = new Set<{ flush: () => void; close: () => void }>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<PausableProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const proxy = new PausableProxy(server, port);
    server.on('connection', (client: Socket) => proxy.forward(client, targetPort, targetHost));
    return proxy;
  }

  pause(): void {
    this.paused = true;
  }

  /** Drop every connection and refuse new ones (as a server that went down). */
  refuse(): void {
    this.refusing = true;
    for (const pipe of this.pipes) pipe.close();
  }

  /** Accept connections again. */
  accept(): void {
    this.refusing = false;
  }

  resume(): void {
    this.paused = false;
    for (const pipe of this.pipes) pipe.flush();
  }

  async close(): Promise<void> {
    for (const pipe of this.pipes) pipe.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket, port: number, host: string): void {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    const held: Array<[Socket, Buffer]> = [];
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (this.paused) held.push([to, chunk]);
      else to.write(chunk);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    const pipe = {
      flush: () => {
        for (const [to, chunk] of held.splice(0)) to.write(chunk);
      },
      close: () => {
        client.destroy();
        upstream.destroy();
      },
    };
    this.pipes.add(pipe);
    const end = (): void => {
      this.pipes.delete(pipe);
      pipe.close();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }
}
