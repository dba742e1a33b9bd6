import { ValidationError, type FieldIssue } from '@vgpu-twin/contracts';

/** Collects configuration problems so one error names every bad key. */
export function check(issues: FieldIssue[], path: string, ok: boolean, message: string): void {
  if (!ok) issues.push({ path, message });
}

export function throwIfInvalid(what: string, issues: readonly FieldIssue[]): void {
  if (issues.length > 0)
    throw new ValidationError(
      `invalid ${what} configuration: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      issues,
    );
}

export const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
