import { z } from 'zod';
import {
  isMethodName,
  methods,
  type MethodInput,
  type MethodName,
  type MethodResult,
  type ParsedInput,
} from '../../shared/api.js';
import { ApiError, unwrap, type Envelope } from '../../shared/errors.js';
import { diskFullMessage, isDiskFull } from '../common/disk-space.js';
import { isStoreDamaged, storeDamagedMessage } from '../store/database.js';

export type Handler<M extends MethodName> = (
  input: ParsedInput<M>,
) => MethodResult<M> | Promise<MethodResult<M>>;

export type Handlers = { [M in MethodName]: Handler<M> };

/** The handlers of one group of methods (`'runs'`: runs.list, runs.get, …). */
export type GroupHandlers<G extends string> = {
  [M in MethodName as M extends `${G}.${string}` ? M : never]: Handler<M>;
};

export interface Router {
  /** Validates and runs one call; never throws: failures come back as an error envelope. */
  call(method: string, input: unknown): Promise<Envelope<unknown>>;
}

function describeIssue(issue: z.core.$ZodIssue): { field: string; message: string } {
  const field = issue.path.map(String).join('.');
  const where = field ? `"${field}"` : 'the request';
  return { field, message: `Invalid ${where}: ${issue.message}.` };
}

export interface RouterOptions {
  /** Called with unexpected errors (bugs), which the caller sees only as 'internal'. */
  onInternalError?: (method: string, error: unknown) => void;
}

export function createRouter(handlers: Handlers, options: RouterOptions = {}): Router {
  return {
    async call(method, input) {
      try {
        if (!isMethodName(method)) {
          throw new ApiError(
            'unknown_method',
            `There is no API method "${method}". The app and the engine may be out of date with each other: restart GAN Studio.`,
          );
        }
        const parsed = methods[method].input.safeParse(input ?? {});
        if (!parsed.success) {
          const first = parsed.error.issues[0];
          const { field, message } = first
            ? describeIssue(first)
            : { field: '', message: 'Invalid request.' };
          throw new ApiError('invalid_input', message, field || undefined);
        }
        const handler = handlers[method] as (input: unknown) => unknown;
        const result = await handler(parsed.data);
        return { ok: true, result };
      } catch (err) {
        if (err instanceof ApiError) return { ok: false, error: err.toJSON() };
        // Not a bug: the user can fix it, and should be told how.
        if (isDiskFull(err)) return { ok: false, error: { code: 'unavailable', message: diskFullMessage } };
        if (isStoreDamaged(err))
          return { ok: false, error: { code: 'unavailable', message: storeDamagedMessage } };
        options.onInternalError?.(method, err);
        const detail = err instanceof Error ? err.message : String(err);
        return {
          ok: false,
          error: {
            code: 'internal',
            message: `GAN Studio failed while running "${method}": ${detail}. Try again; if it keeps failing, restart the app and report it with this message.`,
          },
        };
      }
    },
  };
}

/**
 * One call through the router, its result returned and its error thrown as an ApiError: how the
 * CLI (and tests) call the API exactly as the UI does, with the same validation and messages.
 */
export async function invoke<M extends MethodName>(
  router: Router,
  method: M,
  input: MethodInput<M>,
): Promise<MethodResult<M>> {
  return unwrap((await router.call(method, input)) as Envelope<MethodResult<M>>);
}
