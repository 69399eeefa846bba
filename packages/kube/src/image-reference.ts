/**
 * Docker's image reference grammar (github.com/distribution/reference, regexp.go), ported because
 * the exact grammar is what keeps an image name from being anything but an image name: it is put
 * into Docker Engine API paths (`/images/{name}/json`), where `..` or a `host:port` component would
 * make the request go elsewhere. The API refuses an image that does not match it, and every
 * worker checks it again before it asks Docker anything about the image.
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain '/'] remote-name
 *   domain           := host [':' port-number]
 *   host             := domain-name | '[' IPv6address ']'
 *   remote-name      := path-component ['/' path-component]*
 *   path-component   := [a-z0-9]+ ( ( [._] | __ | [-]+ ) [a-z0-9]+ )*
 *   tag              := [\w][\w.-]{0,127}
 *   digest           := algorithm ":" hex{32,}
 */

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const ipv6Address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainName}|${ipv6Address})(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const name = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;

const REFERENCE = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);
/** A bare 64-character hex string is an image id, not a name (Docker refuses it as a name). */
const IMAGE_ID = /^[a-f0-9]{64}$/;

/** Docker's NameTotalLengthMax. */
export const IMAGE_NAME_MAX_LENGTH = 255;
/** Longest reference jobfleet reads at all: name, tag (128) and a long digest fit well within it. */
const REFERENCE_MAX_LENGTH = 1024;

export const IMAGE_REFERENCE_MESSAGE =
  'must be a valid image reference in Docker\'s format, e.g. "busybox", "busybox:1.36" or "registry.example.com:5000/team/app@sha256:<64 hex digits>"';

export interface ImageReference {
  /** Registry host and port, when the name has one. */
  domain?: string;
  /** The name without its tag or digest, e.g. `registry.example.com:5000/team/app`. */
  name: string;
  tag?: string;
  digest?: string;
}

/** The parts of a valid image reference; undefined for anything else. */
export function parseImageReference(reference: string): ImageReference | undefined {
  if (typeof reference !== 'string' || reference.length > REFERENCE_MAX_LENGTH) return undefined;
  const match = REFERENCE.exec(reference);
  if (!match) return undefined;
  const [, fullName = '', tagPart, digestPart] = match;
  if (fullName.length > IMAGE_NAME_MAX_LENGTH || IMAGE_ID.test(fullName)) return undefined;
  const slash = fullName.indexOf('/');
  const first = slash < 0 ? '' : fullName.slice(0, slash);
  // Docker's splitDockerDomain: the first component is a registry when it looks like a host.
  const domain = first && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) ? first : undefined;
  return { name: fullName, ...(domain ? { domain } : {}), ...(tagPart ? { tag: tagPart } : {}), ...(digestPart ? { digest: digestPart } : {}) };
}

export function isImageReference(reference: string): boolean {
  return parseImageReference(reference) !== undefined;
}
