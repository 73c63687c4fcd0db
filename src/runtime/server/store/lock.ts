/**
 * Serialises async work per key within this process. Drivers other than Redis have no atomic read-modify-write,
 * so writes to one record (or one index) queue behind each other here.
 */
export function createKeyedLock() {
  const tails = new Map<string, Promise<unknown>>()
  return async function withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve()
    const run = previous.then(work, work)
    const tail = run.catch(() => {})
    tails.set(key, tail)
    try {
      return await run
    }
    finally {
      if (tails.get(key) === tail) {
        tails.delete(key)
      }
    }
  }
}
