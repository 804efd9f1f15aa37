import DataLoader from 'dataloader';

/**
 * A DataLoader that also answers synchronously once it knows a key: `get` returns the value itself
 * when this request already loaded (or primed) it, and the loader's promise otherwise. graphql-js
 * completes a plain value in place, while every promise a field returns costs it a promise of its
 * own, a microtask and a wait for its whole object: a staff page names the same few organisations and
 * catalogue entries hundreds of times (each grant's role, service and scope), so most of those become
 * plain reads. `peek` lets a loader answer from a cache of its own before the first load (the
 * catalogue, kept per process).
 */
export class SettledLoader<K, V> extends DataLoader<K, V, K> {
  private readonly settled = new Map<K, V>();

  constructor(
    batch: DataLoader.BatchLoadFn<K, V>,
    private readonly peek?: (key: K) => { value: V } | undefined,
  ) {
    super(batch);
  }

  /** The value when known now, else the pending load (which then settles it for the next call). */
  get(key: K): V | Promise<V> {
    if (this.settled.has(key)) return this.settled.get(key) as V;
    const known = this.peek?.(key);
    if (known) return known.value;
    return this.load(key).then((value) => {
      this.settled.set(key, value);
      return value;
    });
  }

  override prime(key: K, value: V | PromiseLike<V> | Error): this {
    if (!(value instanceof Error) && !isPromiseLike(value) && !this.settled.has(key)) this.settled.set(key, value);
    return super.prime(key, value);
  }

  override clear(key: K): this {
    this.settled.delete(key);
    return super.clear(key);
  }

  override clearAll(): this {
    this.settled.clear();
    return super.clearAll();
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
