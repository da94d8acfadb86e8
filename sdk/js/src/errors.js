// Exceptions: one class per kind of failure, each with the HTTP status and
// the hub's own message ({"success": false, "error": "..."}).

export class ContinuataError extends Error {
  constructor(message) {
    super(message);
    this.name = new.target.name;
  }
}

/** The hub could not be asked, or said no; `status` is undefined when no answer arrived. */
export class APIError extends ContinuataError {
  constructor(message, { status, body } = {}) {
    super(status === undefined ? message : `${status}: ${message}`);
    this.message = message;
    this.status = status;
    this.body = body;
  }
}

export class APIConnectionError extends APIError {}
export class APIStatusError extends APIError {}
export class ValidationError extends APIStatusError {}
export class AuthenticationError extends APIStatusError {}
export class PermissionDeniedError extends APIStatusError {}
export class NotFoundError extends APIStatusError {}
export class ConflictError extends APIStatusError {}
export class RateLimitError extends APIStatusError {
  constructor(message, options = {}) {
    super(message, options);
    this.retryAfter = options.retryAfter;
  }
}
export class InternalServerError extends APIStatusError {}
export class OrganizationMismatchError extends ContinuataError {}
export class UploadError extends ContinuataError {}
export class WebhookVerificationError extends ContinuataError {}

const BY_STATUS = {
  400: ValidationError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: ValidationError,
  429: RateLimitError,
};

export function errorForStatus(status, message, body, retryAfter) {
  const Kind = BY_STATUS[status] ?? (status >= 500 ? InternalServerError : APIStatusError);
  return new Kind(message, { status, body, retryAfter });
}
export class LicenseFileError extends ContinuataError {}
