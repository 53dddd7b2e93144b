/** Free loopback ports for test servers. */
import { createServer } from "node:net";

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: bound with port 0, read and released. Another process may take
 * it before the caller binds it; good enough on a test machine, and the way to get a port nothing listens on.
 */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
