import { ValidationError } from '@vgpu-twin/contracts';
import type { WhatIfRequest } from '@vgpu-twin/twin-core';
import { z } from 'zod';

/** `POST /v1/twin/what-if`'s body: the VM to place and, optionally, the GPUs to consider. */
export const WhatIfBody = z.strictObject({
  vm: z.strictObject({
    profile: z.string().min(1, 'must name a vGPU type such as 8Q'),
    workload: z.string().min(1, 'must name a profiled workload'),
  }),
  candidates: z.array(z.string().min(1)).optional(),
});

/** The body as a request, or a ValidationError (400) naming every bad field by its path. */
export function parseWhatIf(body: unknown): WhatIfRequest {
  const r = WhatIfBody.safeParse(body);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
  throw new ValidationError(
    `bad what-if request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}
