/**
 * Creating a JetStream stream only when it is missing: a stream that exists is used as it is (its settings are the
 * operator's, never changed here), so several processes may start together against one NATS cluster.
 */
import type { JetStreamManager, StreamConfig } from "@nats-io/jetstream";

/**
 * Creates stream `config.name` with `config` unless a stream of that name exists. A failed lookup (not found, or NATS
 * not answering yet) goes on to create it, which throws when NATS does not answer.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<void> {
  try {
    await jsm.streams.info(config.name);
    return;
  } catch {
    // not found (or not yet reachable): try to create it below
  }
  await jsm.streams.add(config);
}
