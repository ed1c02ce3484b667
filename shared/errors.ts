/** Error codes every transport carries unchanged, so the UI can react to a kind of failure. */
export const errorCodes = [
  'invalid_input',
  'unknown_method',
  'not_found',
  'conflict',
  'payload_too_large',
  'unauthorized',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** The serialisable form of an error, as it crosses IPC and HTTP. */
export interface ApiErrorData {
  code: ErrorCode;
  /** What went wrong and what to do about it, in words for the user. */
  message: string;
  /** For invalid_input: the path of the offending field, e.g. "tags.2". */
  field?: string;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
  }

  toJSON(): ApiErrorData {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }

  static fromData(data: ApiErrorData): ApiError {
    return new ApiError(data.code, data.message, data.field);
  }
}

/** Every call answers with an envelope: errors are values across the bridge, not exceptions. */
export type Envelope<T> = { ok: true; result: T } | { ok: false; error: ApiErrorData };

export function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.result;
  throw ApiError.fromData(envelope.error);
}

/**
 * The first line of an error's message, for a sentence that quotes it: libvips, Node and the
 * backends add detail lines that mean nothing to a user.
 */
export function firstLineOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n')[0] ?? message).trim();
}
