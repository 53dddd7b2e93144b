/**
 * A configuration that SIGHUP can re-read: holds the current value, and on {@link ReloadableConfig.reload} loads a new
 * one; a load that fails (a `ConfigError`, an unreadable file) leaves the current value in place, so a bad edit never
 * takes a running daemon down.
 */

/** Called after a successful reload with the new and the previous configuration. */
export type ConfigChangeListener<T> = (next: T, previous: T) => void;

/** The current configuration of a daemon and the means to re-read it. */
export class ReloadableConfig<T> {
  readonly #load: () => T;
  readonly #listeners = new Set<ConfigChangeListener<T>>();
  #current: T;

  /**
   * Loads the first configuration at once with `load` (typically `() => loadConfig(source)`).
   * @throws whatever `load` throws (a `ConfigError` at startup is fatal; the CLI prints it).
   */
  constructor(load: () => T) {
    this.#load = load;
    this.#current = load();
  }

  /** The configuration in force. */
  get current(): T {
    return this.#current;
  }

  /**
   * Re-reads the configuration. On success it becomes current and the listeners run (in registration order); a
   * listener that throws stops the others and the error propagates, but the new configuration stays current.
   * @throws what `load` throws, in which case the current configuration is kept unchanged.
   */
  reload(): T {
    const next = this.#load();
    const previous = this.#current;
    this.#current = next;
    for (const listener of this.#listeners) listener(next, previous);
    return next;
  }

  /** Registers a listener for successful reloads; returns the function that removes it. */
  onChange(listener: ConfigChangeListener<T>): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
