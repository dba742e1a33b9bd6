/** A field-level problem, addressed by a path such as `data.gpuId` or `[3].ts`. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** Input that breaks a contract. Mapped to HTTP 400 at the edges. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    readonly issues: readonly FieldIssue[] = [],
  ) {
    super(message);
  }
}

/** A referenced entity (GPU, VM, workload) is unknown. Mapped to HTTP 404. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** The request is valid but not allowed in the current state. Mapped to HTTP 409. */
export class IllegalStateError extends Error {
  override readonly name = 'IllegalStateError';
}
