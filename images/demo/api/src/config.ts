// What the environment says, checked once at start: a missing URL is a
// mistake in the service's conf, and the API refuses to start with a
// message naming the variable rather than failing on each request.
export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (see conf.d/api.conf)`);
  return v;
}

// A promise that fails after ms, for checks that must answer in time.
export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
