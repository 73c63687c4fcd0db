/**
 * A Map that keeps at most `max` entries, dropping the oldest inserted. Eviction walks one persistent iterator:
 * asking a Map for its first key after many deletions rescans the deleted slots every time.
 * @param max most entries
 * @returns the map's get, set and delete
 */
export function createBoundedMap<K, V>(max: number) {
  const map = new Map<K, V>()
  let oldest = map.keys()
  return {
    map,
    get: (key: K) => map.get(key),
    delete: (key: K) => map.delete(key),
    set(key: K, value: V) {
      map.set(key, value)
      while (map.size > max) {
        let next = oldest.next()
        if (next.done) {
          oldest = map.keys()
          next = oldest.next()
        }
        map.delete(next.value!)
      }
    },
  }
}
