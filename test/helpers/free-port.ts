/** Free loopback ports for test servers: TCP ones ({@link freePort}) and UDP ones ({@link freeUdpPort}). */
import { createSocket } from "node:dgram";
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

/**
 * A UDP port on 127.0.0.1 that was free a moment ago, for a program that takes a UDP port number rather than 0 (nfcapd,
 * a collector's listener): a udp4 socket bound with port 0, read and closed. TCP and UDP ports are separate spaces, so
 * a port {@link freePort} found free may be taken for UDP; the same race with other processes as there.
 */
export async function freeUdpPort(): Promise<number> {
  const probe = createSocket("udp4");
  await new Promise<void>((resolve) => probe.bind(0, "127.0.0.1", resolve));
  const port = probe.address().port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
