/**
 * Equivalents of Kubernetes' field.Error (k8s.io/apimachinery/pkg/util/validation/field):
 * one validation problem at one field path, printed exactly as the API server prints it.
 */

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueTooMany'
  | 'FieldValueTooLong'
  | 'FieldValueForbidden'
  | 'FieldValueNotFound';

export interface FieldError {
  type: FieldErrorType;
  /** Kubernetes field path, e.g. `spec.template.spec.containers[0].name`. */
  field: string;
  badValue?: unknown;
  detail: string;
}

/** A badValue that is left out of the message, like Kubernetes' field.OmitValueType. */
export const OMIT_VALUE: unique symbol = Symbol('jobfleet.omitValue');

/** The text Kubernetes prints for each type (field.ErrorType.String()). */
export const FIELD_ERROR_TYPE_TEXT: Readonly<Record<FieldErrorType, string>> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueTooMany: 'Too many',
  FieldValueTooLong: 'Too long',
  FieldValueForbidden: 'Forbidden',
  FieldValueNotFound: 'Not found',
};

const TYPES_WITHOUT_VALUE: ReadonlySet<FieldErrorType> = new Set([
  'FieldValueRequired',
  'FieldValueForbidden',
  'FieldValueTooLong',
]);

export function required(field: string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field, detail };
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, badValue: value, detail };
}

export function notSupported(field: string, value: unknown, validValues: readonly string[]): FieldError {
  const detail = validValues.length > 0 ? `supported values: ${validValues.map(goQuote).join(', ')}` : '';
  return { type: 'FieldValueNotSupported', field, badValue: value, detail };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, badValue: value, detail: '' };
}

export function notFound(field: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, badValue: value, detail: '' };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, detail };
}

export function tooLong(field: string, value: unknown, maxLength: number): FieldError {
  const unit = maxLength === 1 ? 'byte' : 'bytes';
  return { type: 'FieldValueTooLong', field, badValue: value, detail: `may not be more than ${maxLength} ${unit}` };
}

export function tooMany(field: string, actualQuantity: number, maxQuantity: number): FieldError {
  return { type: 'FieldValueTooMany', field, badValue: actualQuantity, detail: `must have at most ${maxQuantity} items` };
}

/** `field: body`, the text of one entry of a Kubernetes Invalid message. */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/** The message without the field (field.Error.ErrorBody()): what a Status cause carries. */
export function fieldErrorBody(e: FieldError): string {
  const typeText = FIELD_ERROR_TYPE_TEXT[e.type];
  const showsValue = !TYPES_WITHOUT_VALUE.has(e.type) && e.badValue !== OMIT_VALUE;
  const head = showsValue ? `${typeText}: ${formatBadValue(e.badValue)}` : typeText;
  return e.detail ? `${head}: ${e.detail}` : head;
}

/**
 * Prints a value as Kubernetes does: strings quoted, numbers and booleans bare, a missing value
 * as "null". Objects are printed as JSON (Kubernetes prints Go syntax, e.g. `map[string]string{…}`).
 */
export function formatBadValue(value: unknown): string {
  if (value === undefined || value === null) return '"null"';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * A value of untrusted input as text for a message: a string as it is, anything else as JSON. Never
 * String(value) or a template literal: a JSON object like {"toString": 0} makes those throw.
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

/** Go's %q / strconv.Quote for ordinary text (JSON escaping differs only for rare control characters). */
export function goQuote(text: string): string {
  return JSON.stringify(text);
}
