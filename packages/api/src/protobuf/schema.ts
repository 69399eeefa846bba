/**
 * Kubernetes' protobuf messages, from the definitions committed in k8s-descriptors.json (extracted
 * from kubectl by scripts/k8s-descriptors.mjs): the protobufjs types, which message serves which
 * apiVersion and kind, and how the Go struct behind each message writes its fields in JSON.
 * Loaded once, on the first protobuf request (~0.1 s).
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';

export interface DescriptorDocument {
  kubectl: { version: string; binary: string };
  files: string[];
  goFields: Record<string, string>;
  fileDescriptorSet: Record<string, unknown>;
}

/** How Go's JSON writes one field of a message (from the struct's tags; see the descriptor file). */
export interface GoField {
  /** The JSON name: the proto name but for a few (authentication/v1 BoundObjectReference.uID is "uid"). */
  json: string;
  /** An inline (embedded) struct: its fields are the parent's in JSON (Volume's VolumeSource, Probe's handler). */
  inline: boolean;
  /** A pointer in Go: a zero value on the wire was set on purpose (backoffLimit: 0) and is kept. */
  pointer: boolean;
  /** omitempty: Go's JSON leaves the zero value of a plain field out. */
  omitEmpty: boolean;
}

export const META_V1 = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** The proto package of each group version jobfleet serves. */
const PACKAGES: Readonly<Record<string, string>> = {
  v1: 'k8s.io.api.core.v1',
  'batch/v1': 'k8s.io.api.batch.v1',
  'policy/v1': 'k8s.io.api.policy.v1',
  'authorization.k8s.io/v1': 'k8s.io.api.authorization.v1',
  'authentication.k8s.io/v1': 'k8s.io.api.authentication.v1',
  'meta.k8s.io/v1': META_V1,
};

/**
 * Kinds of meta/v1 that every group version serves (apimachinery's AddToGroupVersion: the options
 * and WatchEvent), and the unversioned ones (Status, discovery), encoded with apiVersion "v1".
 */
const META_KINDS = new Set([
  'Status',
  'WatchEvent',
  'DeleteOptions',
  'ListOptions',
  'GetOptions',
  'CreateOptions',
  'UpdateOptions',
  'PatchOptions',
  'APIVersions',
  'APIGroupList',
  'APIGroup',
  'APIResourceList',
]);

export interface ProtobufSchema {
  root: protobuf.Root;
  document: DescriptorDocument;
  /** The message of an apiVersion and kind, or undefined when jobfleet has none for it. */
  messageFor(apiVersion: string, kind: string): protobuf.Type | undefined;
  goField(type: protobuf.Type, field: protobuf.Field): GoField;
  type(name: string): protobuf.Type;
}

let loaded: ProtobufSchema | undefined;

interface MessageDescriptor {
  name: string;
  field?: { name: string; type: string; typeName?: string }[];
  nestedType?: MessageDescriptor[];
  options?: { mapEntry?: boolean };
}

const SCALARS: Readonly<Record<string, string>> = {
  TYPE_STRING: 'string',
  TYPE_BYTES: 'bytes',
  TYPE_BOOL: 'bool',
  TYPE_INT32: 'int32',
  TYPE_INT64: 'int64',
  TYPE_UINT32: 'uint32',
  TYPE_UINT64: 'uint64',
  TYPE_DOUBLE: 'double',
  TYPE_FLOAT: 'float',
};

/**
 * protobufjs' Root.fromDescriptor reads a `map<K, V>` field as the repeated entry messages it is
 * on the wire; this turns each back into a MapField (same wire format), whose value is an object.
 */
function restoreMaps(root: protobuf.Root, document: DescriptorDocument): protobuf.MapField[] {
  const created: protobuf.MapField[] = [];
  const entries = new Map<string, { key: string; value: string }>();
  const typeOf = (f: { type: string; typeName?: string }) => f.typeName ?? SCALARS[f.type] ?? f.type;
  const walk = (prefix: string, message: MessageDescriptor) => {
    const name = `${prefix}.${message.name}`;
    if (message.options?.mapEntry) {
      const [key, value] = message.field ?? [];
      if (key && value) entries.set(name, { key: typeOf(key), value: typeOf(value) });
    }
    for (const nested of message.nestedType ?? []) walk(name, nested);
  };
  for (const file of (document.fileDescriptorSet as { file: { package: string; messageType?: MessageDescriptor[] }[] }).file) {
    for (const message of file.messageType ?? []) walk(`.${file.package}`, message);
  }
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type) {
        for (const field of [...nested.fieldsArray]) {
          const entry = entries.get(field.type);
          if (!entry) continue;
          nested.remove(field);
          const map = new protobuf.MapField(field.name, field.id, entry.key, entry.value);
          nested.add(map);
          created.push(map);
        }
      }
      if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) visit(nested);
    }
  };
  visit(root);
  return created;
}

export function protobufSchema(): ProtobufSchema {
  loaded ??= load();
  return loaded;
}

function load(): ProtobufSchema {
  const document = JSON.parse(readFileSync(new URL('./k8s-descriptors.json', import.meta.url), 'utf8')) as DescriptorDocument;
  const set = descriptor.FileDescriptorSet.fromObject(document.fileDescriptorSet);
  const root = (protobuf.Root as unknown as { fromDescriptor(set: unknown): protobuf.Root }).fromDescriptor(set);
  const maps = restoreMaps(root, document);
  root.resolveAll();
  // resolveAll skips fields added after the types were built.
  for (const field of maps) field.resolve();
  const goFields = new Map<string, Map<string, GoField>>();
  for (const [message, text] of Object.entries(document.goFields)) {
    const fields = new Map<string, GoField>();
    for (const part of text.split(' ')) {
      const m = /^([^=^*?]+)(?:=([^^*?]+))?(\^)?(\*)?(\?)?$/.exec(part);
      if (!m?.[1]) throw new Error(`k8s-descriptors.json: goFields of ${message}: cannot read "${part}"`);
      fields.set(m[1], { json: m[2] ?? m[1], inline: m[3] === '^', pointer: m[4] === '*', omitEmpty: m[5] === '?' });
    }
    goFields.set(`.${message}`, fields);
  }
  const types = new Map<string, protobuf.Type | undefined>();
  const type = (name: string): protobuf.Type => root.lookupType(name);
  const lookup = (name: string): protobuf.Type | undefined => {
    if (!types.has(name)) {
      const found = root.lookup(name);
      types.set(name, found instanceof protobuf.Type ? found : undefined);
    }
    return types.get(name);
  };
  return {
    root,
    document,
    type,
    messageFor(apiVersion, kind) {
      const pkg = PACKAGES[apiVersion];
      if (!pkg || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
      return lookup(`${pkg}.${kind}`) ?? (META_KINDS.has(kind) ? lookup(`${META_V1}.${kind}`) : undefined);
    },
    goField(messageType, field) {
      // A message without Go fields (the special types) never gets here; a field without its entry is read as Go's default: plain and omitempty.
      return goFields.get(messageType.fullName)?.get(field.name) ?? { json: field.name, inline: false, pointer: false, omitEmpty: true };
    },
  };
}
