/**
 * A bounded wait, for the core and for store authors: the answer of `work`, or the error
 * `onTimeout()` builds once `ms` have passed. The timer never outlives the race, and an
 * abandoned `work` that fails later is swallowed (never an unhandled rejection).
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      work.catch(() => {});
      reject(onTimeout());
    }, ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
