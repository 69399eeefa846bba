/**
 * Kubernetes' name, label and annotation rules (apimachinery util/validation and api/validation),
 * with its messages. The is* functions return the problems found (none means valid).
 */
import { invalid, required, tooLong, type FieldError } from './field-errors.js';
import type { ObjectMeta } from './types.js';

export const DNS1123_LABEL_MAX_LENGTH = 63;
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253;
export const LABEL_VALUE_MAX_LENGTH = 63;
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const ENV_VAR_NAME_FMT = '[-._a-zA-Z][-._a-zA-Z0-9]*';

const STARTS_AND_ENDS = 'and must start and end with an alphanumeric character';
const DNS1123_LABEL_ERR = `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', ${STARTS_AND_ENDS}`;
const DNS1123_SUBDOMAIN_ERR =
  `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', ${STARTS_AND_ENDS}`;
const QUALIFIED_NAME_ERR = `must consist of alphanumeric characters, '-', '_' or '.', ${STARTS_AND_ENDS}`;
const LABEL_VALUE_ERR = `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', ${STARTS_AND_ENDS}`;
const ENV_VAR_NAME_ERR =
  "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit";

const whole = (fmt: string): RegExp => new RegExp(`^${fmt}$`);
const DNS1123_LABEL = whole(DNS1123_LABEL_FMT);
const DNS1123_SUBDOMAIN = whole(DNS1123_SUBDOMAIN_FMT);
const QUALIFIED_NAME = whole(QUALIFIED_NAME_FMT);
const LABEL_VALUE = whole(LABEL_VALUE_FMT);
const ENV_VAR_NAME = whole(ENV_VAR_NAME_FMT);

export function maxLengthMessage(length: number): string {
  return `must be no more than ${length} characters`;
}

/** Kubernetes' RegexError: the rule, examples, then the regular expression. */
function regexMessage(message: string, fmt: string, ...examples: string[]): string {
  const shown = examples.map((e, i) => `${i > 0 ? ' or ' : ''}'${e}', `).join('');
  return examples.length === 0
    ? `${message} (regex used for validation is '${fmt}')`
    : `${message} (e.g. ${shown}regex used for validation is '${fmt}')`;
}

export function isDns1123Label(value: string): string[] {
  const errors = value.length > DNS1123_LABEL_MAX_LENGTH ? [maxLengthMessage(DNS1123_LABEL_MAX_LENGTH)] : [];
  if (DNS1123_LABEL.test(value)) return errors;
  // A valid subdomain that is not a label can only be wrong because of its dots.
  const why = DNS1123_SUBDOMAIN.test(value)
    ? 'must not contain dots'
    : regexMessage(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, 'my-name', '123-abc');
  return [...errors, why];
}

export function isDns1123Subdomain(value: string): string[] {
  const errors = value.length > DNS1123_SUBDOMAIN_MAX_LENGTH ? [maxLengthMessage(DNS1123_SUBDOMAIN_MAX_LENGTH)] : [];
  if (DNS1123_SUBDOMAIN.test(value)) return errors;
  return [...errors, regexMessage(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, 'example.com')];
}

/** A label key or annotation key: an optional DNS subdomain prefix and '/', then a name. */
export function isQualifiedName(value: string): string[] {
  const parts = value.split('/');
  const [prefixOrName = '', name] = parts;
  if (parts.length > 2) {
    return [
      `a valid label key ${regexMessage(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  const prefixErrors = name === undefined ? [] : qualifiedNamePrefixErrors(prefixOrName);
  return [...prefixErrors, ...qualifiedNamePartErrors(name ?? prefixOrName)];
}

function qualifiedNamePrefixErrors(prefix: string): string[] {
  if (prefix.length === 0) return ['prefix part must be non-empty'];
  return isDns1123Subdomain(prefix).map((message) => `prefix part ${message}`);
}

function qualifiedNamePartErrors(name: string): string[] {
  const errors: string[] = [];
  if (name.length === 0) errors.push('name part must be non-empty');
  else if (name.length > 63) errors.push(`name part ${maxLengthMessage(63)}`);
  if (!QUALIFIED_NAME.test(name)) {
    errors.push(`name part ${regexMessage(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errors;
}

export function isLabelValue(value: string): string[] {
  const errors = value.length > LABEL_VALUE_MAX_LENGTH ? [maxLengthMessage(LABEL_VALUE_MAX_LENGTH)] : [];
  if (LABEL_VALUE.test(value)) return errors;
  return [...errors, regexMessage(LABEL_VALUE_ERR, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345')];
}

/** The strict (pre-RelaxedEnvironmentVariableValidation) rule. */
export function isEnvVarName(value: string): string[] {
  const errors = ENV_VAR_NAME.test(value)
    ? []
    : [regexMessage(ENV_VAR_NAME_ERR, ENV_VAR_NAME_FMT, 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1')];
  if (value === '.') errors.push("must not be '.'");
  else if (value === '..') errors.push("must not be '..'");
  else if (value.startsWith('..')) errors.push("must not start with '..'");
  return errors;
}

/** Each message of `check(value)` as a FieldValueInvalid at `field`. */
export function invalidEach(field: string, value: string, check: (value: string) => string[]): FieldError[] {
  return check(value).map((message) => invalid(field, value, message));
}

export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldError[] {
  return Object.entries(labels ?? {}).flatMap(([key, value]) => [
    ...invalidEach(field, key, isQualifiedName),
    ...invalidEach(field, value, isLabelValue),
  ]);
}

export function validateAnnotations(annotations: Record<string, string> | undefined, field: string): FieldError[] {
  const entries = Object.entries(annotations ?? {});
  // Kubernetes ignores case in annotation keys.
  const keyErrors = entries.flatMap(([key]) => isQualifiedName(key.toLowerCase()).map((m) => invalid(field, key, m)));
  const size = entries.reduce((total, [key, value]) => total + byteLength(key) + byteLength(value), 0);
  const sizeErrors = size > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES ? [tooLong(field, '', TOTAL_ANNOTATION_SIZE_LIMIT_BYTES)] : [];
  return [...keyErrors, ...sizeErrors];
}

/**
 * metadata of a Job: a name (or generateName) that is a DNS-1123 subdomain, and at most 63
 * characters because it becomes the value of the job-name label.
 */
export function validateJobMetadata(meta: ObjectMeta, field = 'metadata'): FieldError[] {
  return [
    ...validateGenerateName(meta.generateName, `${field}.generateName`),
    ...validateJobName(meta, `${field}.name`),
    ...(meta.namespace ? invalidEach(`${field}.namespace`, meta.namespace, isDns1123Label) : []),
    ...validateNonNegative(meta.generation, `${field}.generation`),
    ...validateLabels(meta.labels, `${field}.labels`),
    ...validateAnnotations(meta.annotations, `${field}.annotations`),
  ];
}

function validateGenerateName(generateName: string | undefined, field: string): FieldError[] {
  if (!generateName) return [];
  // A trailing '-' is fine in a prefix: Kubernetes checks it as if followed by a letter.
  const masked = generateName.endsWith('-') ? `${generateName.slice(0, -1)}a` : generateName;
  return isDns1123Subdomain(masked).map((message) => invalid(field, generateName, message));
}

function validateJobName(meta: ObjectMeta, field: string): FieldError[] {
  const name = meta.name;
  if (!name) return meta.generateName ? [] : [required(field, 'name or generateName is required')];
  const tooLongForLabel =
    name.length > LABEL_VALUE_MAX_LENGTH ? [invalid(field, name, maxLengthMessage(LABEL_VALUE_MAX_LENGTH))] : [];
  return [...invalidEach(field, name, isDns1123Subdomain), ...tooLongForLabel];
}

export const NON_NEGATIVE_MESSAGE = 'must be greater than or equal to 0';

export function validateNonNegative(value: number | null | undefined, field: string): FieldError[] {
  return value !== undefined && value !== null && value < 0 ? [invalid(field, value, NON_NEGATIVE_MESSAGE)] : [];
}

const utf8 = new TextEncoder();

function byteLength(text: string): number {
  return utf8.encode(text).length;
}
