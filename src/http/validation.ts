import type { z } from 'zod';
import { errors } from '../shared/errors.js';

/** Parses untrusted input with a zod schema; failures become `validation_failed` with every issue listed. */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  what = 'request',
): z.output<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const summary = issues
    .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
    .join('; ');
  throw errors.validationFailed(`Invalid ${what}: ${summary}`, { issues });
}
