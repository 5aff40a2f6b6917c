// A small least-recently-used map: what replay keeps decoded (snapshots,
// blocks of events) is bounded by count, whatever the log's size.

export class Lru<K, V> {
  private readonly map = new Map<K, V>();

  constructor(public capacity: number) {}

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    // Re-insert: a Map iterates in insertion order, so the first key is the least recent.
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  forEach(visit: (value: V, key: K) => void): void {
    this.map.forEach(visit);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
