import { HttpException, HttpStatus } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const slugs: Record<number, [string, string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthenticated', 'Authentication required'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  408: ['request-timeout', 'Request timeout'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Request body too large'],
  414: ['uri-too-long', 'URI too long'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['unprocessable', 'Unprocessable request'],
  429: ['rate-limited', 'Too many requests'],
  431: ['header-fields-too-large', 'Request header fields too large'],
  500: ['internal', 'Internal error'],
  503: ['unavailable', 'Service unavailable'],
};

/** Problem types are URNs: stable identifiers that do not pretend to be web pages. */
export const problemType = (slug: string) => `urn:firstmile:problem:${slug}`;

export function problemFor(status: number, detail?: string, extra: Partial<ProblemDocument> = {}): ProblemDocument {
  const [slug, title] = slugs[status] ?? (status >= 500 ? slugs[500] : slugs[400]);
  return { type: problemType(slug), title, status, ...(detail ? { detail } : {}), ...extra };
}

/** Throw from anywhere to answer with a problem document. */
export class ProblemException extends HttpException {
  constructor(readonly problem: ProblemDocument) {
    super(problem, problem.status);
  }

  static validation(errors: FieldError[]): ProblemException {
    return new ProblemException(
      problemFor(400, `${errors.length} field(s) failed validation`, {
        type: problemType('validation'),
        title: 'Invalid request',
        errors,
      }),
    );
  }

  static notFound(what: string, id: string): ProblemException {
    return new ProblemException(problemFor(404, `${what} ${id} does not exist`));
  }

  static conflict(detail: string, slug = 'conflict'): ProblemException {
    return new ProblemException(problemFor(HttpStatus.CONFLICT, detail, { type: problemType(slug) }));
  }
}
