/** A positive number from the environment variable `name`, or `fallback` when it is unset. */
export function positiveNumberFromEnvironment(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

/** A positive whole number (a count of users, rounds) from the environment variable `name`, or `fallback`. */
export function positiveIntegerFromEnvironment(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}
