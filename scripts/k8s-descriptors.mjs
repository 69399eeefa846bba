#!/usr/bin/env node
/**
 * Extracts Kubernetes' protobuf definitions (the compiled `generated.proto` files of k8s.io/api and
 * k8s.io/apimachinery) from a kubectl binary, into the FileDescriptorSet jobfleet's API serves
 * `application/vnd.kubernetes.protobuf` with (packages/api/src/protobuf/k8s-descriptors.json).
 *
 * Every Go program built with Kubernetes' generated protobuf code registers each generated.proto as
 * a gzipped FileDescriptorProto; kubectl is such a program. This script finds those gzip streams
 * (header 1f 8b 08 00 00 00 00 00), inflates them, keeps the files jobfleet needs and the files they
 * import, and writes them as a FileDescriptorSet in protobufjs' JSON form (loaded with
 * `protobufjs/ext/descriptor`, `Root.fromDescriptor`).
 *
 *   node scripts/k8s-descriptors.mjs                 # rewrites the committed set
 *   node scripts/k8s-descriptors.mjs --check         # exit 1 when the committed set differs
 *   node scripts/k8s-descriptors.mjs --kubectl PATH  # another binary (default: see defaultKubectl)
 *   node scripts/k8s-descriptors.mjs --stdout        # print instead of writing
 *   node scripts/k8s-descriptors.mjs --which         # the binary it would read, and its version
 *
 * Uses only Node and protobufjs (already a dependency of @jobfleet/api).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import descriptor from 'protobufjs/ext/descriptor/index.js';

/** The Kubernetes minor version whose API jobfleet follows: its kubectl is preferred when installed. */
export const KUBERNETES_MINOR = '1.33';

/** The generated.proto files whose messages jobfleet serves (their imports come along). */
export const WANTED = [
  'k8s.io/apimachinery/pkg/runtime/generated.proto',
  'k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto',
  'k8s.io/api/core/v1/generated.proto',
  'k8s.io/api/batch/v1/generated.proto',
  'k8s.io/api/policy/v1/generated.proto',
  'k8s.io/api/authorization/v1/generated.proto',
  'k8s.io/api/authentication/v1/generated.proto',
];

const GOGO_PROTO = 'github.com/gogo/protobuf/gogoproto/gogo.proto';
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]);
/** Longest compressed descriptor looked at (core/v1, the largest, is ~75 KiB compressed). */
const MAX_COMPRESSED = 4 * 1024 * 1024;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT = join(ROOT, 'packages/api/src/protobuf/k8s-descriptors.json');

/** The kubectl on PATH, or its `kubectl.<KUBERNETES_MINOR>` sibling when there is one (Google's dispatcher ships several). */
export function defaultKubectl() {
  let path;
  try {
    path = execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
  if (!path) return undefined;
  const real = realpathSync(path);
  const sibling = join(dirname(real), `kubectl.${KUBERNETES_MINOR}`);
  return existsSync(sibling) ? sibling : real;
}

/** `kubectl version --client` of a binary, e.g. "v1.33.1". */
export function kubectlVersion(binary) {
  const out = execFileSync(binary, ['version', '--client', '-o', 'json'], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '/dev/null' } });
  return JSON.parse(out).clientVersion.gitVersion;
}

/** Every k8s.io FileDescriptorProto registered in the binary, by file name. */
export function scanBinary(bytes) {
  const files = new Map();
  for (let at = bytes.indexOf(GZIP_MAGIC); at >= 0; at = bytes.indexOf(GZIP_MAGIC, at + 1)) {
    let raw;
    try {
      // The 10-byte gzip header has no optional fields (flags 0): the deflate stream follows it.
      raw = inflateRawSync(bytes.subarray(at + 10, at + 10 + MAX_COMPRESSED));
    } catch {
      continue;
    }
    // A FileDescriptorProto starts with its name (field 1, length-delimited).
    if (raw[0] !== 0x0a) continue;
    let file;
    try {
      file = descriptor.FileDescriptorProto.decode(raw);
    } catch {
      continue;
    }
    if (typeof file.name === 'string' && file.name.startsWith('k8s.io/') && file.name.endsWith('.proto') && !files.has(file.name)) files.set(file.name, file);
  }
  return files;
}

/**
 * The Go structs behind the messages, read from the binary's reflection data (Go's runtime type
 * descriptors keep every struct's fields with their tags, stripped binaries included): for each
 * named struct with a package path, its fields as { name, tag, pointer }. What protobuf does not
 * say and JSON needs: whether a field is a pointer (a zero value set on purpose, e.g. backoffLimit: 0)
 * and whether its JSON tag has omitempty (a zero value Go's JSON leaves out). Layout of Go ≥ 1.21
 * on 64-bit little-endian ELF (abi.Type: 48 bytes, Str name offset at 40; struct fields at 56).
 */
export function goStructs(bytes) {
  if (bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) throw new Error('not a 64-bit little-endian ELF binary');
  const u64 = (o) => Number(bytes.readBigUInt64LE(o));
  const shoff = u64(0x28);
  const shentsize = bytes.readUInt16LE(0x3a);
  const shnum = bytes.readUInt16LE(0x3c);
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    sections.push({ nameOff: bytes.readUInt32LE(o), type: bytes.readUInt32LE(o + 4), addr: u64(o + 16), offset: u64(o + 24), size: u64(o + 32) });
  }
  const names = sections[bytes.readUInt16LE(0x3e)];
  for (const s of sections) s.name = bytes.toString('latin1', names.offset + s.nameOff, bytes.indexOf(0, names.offset + s.nameOff));
  const section = (name) => {
    const s = sections.find((x) => x.name === name);
    if (!s) throw new Error(`no ${name} section: not a Go binary?`);
    return s;
  };
  // The type offsets of .typelink count from runtime.types, the start of .rodata in a non-PIE binary.
  const base = section('.rodata').addr;
  const typelink = section('.typelink');
  const SHT_NOBITS = 8;
  const fileOffset = (va) => {
    const s = sections.find((x) => x.addr && x.type !== SHT_NOBITS && va >= x.addr && va < x.addr + x.size);
    if (!s) throw new Error(`address 0x${va.toString(16)} is in no section`);
    return s.offset + (va - s.addr);
  };
  const varint = (o) => {
    let value = 0;
    let shift = 0;
    let b;
    do {
      b = bytes[o++];
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return [value, o];
  };
  /** A reflect name: flags byte, varint length, bytes; then the tag, when flags has bit 1. */
  const readName = (o) => {
    const flags = bytes[o];
    const [len, at] = varint(o + 1);
    const name = bytes.toString('utf8', at, at + len);
    if (!(flags & 2)) return { name, tag: '' };
    const [tagLen, tagAt] = varint(at + len);
    return { name, tag: bytes.toString('utf8', tagAt, tagAt + tagLen) };
  };
  const KIND = { array: 17, chan: 18, map: 21, ptr: 22, slice: 23, struct: 25 };
  const typeAt = (va) => {
    const o = fileOffset(va);
    return { va, o, kind: bytes[o + 23] & 0x1f, tflag: bytes[o + 20] };
  };
  const typeString = (t) => {
    const name = readName(fileOffset(base + bytes.readInt32LE(t.o + 40))).name;
    return t.tflag & 2 ? name.slice(1) : name; // tflagExtraStar
  };
  const structs = new Map();
  const seen = new Set();
  const pending = [];
  for (let i = 0; i < typelink.size; i += 4) pending.push(base + bytes.readInt32LE(typelink.offset + i));
  while (pending.length > 0) {
    const va = pending.pop();
    if (!va || seen.has(va)) continue;
    seen.add(va);
    const t = typeAt(va);
    if (t.kind === KIND.ptr || t.kind === KIND.slice || t.kind === KIND.array || t.kind === KIND.chan) pending.push(u64(t.o + 48));
    if (t.kind === KIND.map) pending.push(u64(t.o + 48), u64(t.o + 56));
    if (t.kind !== KIND.struct) continue;
    const fields = [];
    const [at, count] = [u64(t.o + 56), u64(t.o + 64)];
    for (let i = 0; i < count; i++) {
      const f = fileOffset(at + i * 24);
      const { name, tag } = readName(fileOffset(u64(f)));
      const type = typeAt(u64(f + 8));
      pending.push(type.va);
      fields.push({ name, tag, pointer: type.kind === KIND.ptr });
    }
    // Named types carry an uncommon part after the struct type (80 bytes): its package path first.
    if (t.tflag & 1) {
      const pkg = readName(fileOffset(base + bytes.readInt32LE(t.o + 80))).name;
      const short = typeString(t).replace(/^.*\./, '');
      structs.set(`${pkg.replaceAll('/', '.')}.${short}`, fields);
    }
  }
  return structs;
}

/** The value of one key of a Go struct tag: `json:"name,omitempty"` → "name,omitempty". */
function tagValue(tag, key) {
  return new RegExp(`(?:^|\\s)${key}:"([^"]*)"`).exec(tag)?.[1];
}

/**
 * For each message of the set, its fields as Go's JSON sees them, one string per message: each
 * field's proto name, `=json` when the JSON name differs, `^` for an inline struct (its fields are
 * the parent's in JSON, e.g. Volume's VolumeSource), `*` for a pointer, `?` for omitempty.
 * Messages without a Go struct (Quantity, IntOrString, Time, … with their own JSON form) are left out.
 */
export function goFieldsOf(selected, structs) {
  const out = {};
  const walk = (pkg, message) => {
    const full = `${pkg}.${message.name}`;
    for (const nested of message.nestedType ?? []) walk(full, nested);
    const fields = structs.get(full);
    if (!fields || message.options?.mapEntry) return;
    const byNumber = new Map();
    for (const f of fields) {
      const number = /^\w+,(\d+),/.exec(tagValue(f.tag, 'protobuf') ?? '')?.[1];
      if (number) byNumber.set(Number(number), f);
    }
    // A struct without protobuf tags (Time, MicroTime, Quantity, …) has hand-written protobuf code and its own JSON form.
    if (byNumber.size === 0) return;
    const parts = [];
    for (const field of message.field ?? []) {
      const go = byNumber.get(field.number);
      if (!go) throw new Error(`${full}.${field.name}: no Go field with protobuf tag ${field.number}`);
      const [json = '', ...opts] = (tagValue(go.tag, 'json') ?? '').split(',');
      const inline = opts.includes('inline') ? '^' : '';
      parts.push(`${field.name}${json && json !== field.name ? `=${json}` : ''}${inline}${go.pointer ? '*' : ''}${opts.includes('omitempty') ? '?' : ''}`);
    }
    out[full] = parts.join(' ');
  };
  for (const file of selected) for (const message of file.messageType ?? []) walk(file.package, message);
  return out;
}

/**
 * The wanted files and every k8s.io file they import, in dependency order. The import of gogo.proto
 * is dropped: it only declares gogo's Go code generation options, which carry nothing on the wire.
 */
export function selectFiles(files, wanted = WANTED) {
  const ordered = [];
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    const file = files.get(name);
    if (!file) throw new Error(`${name} is not in the binary`);
    file.dependency = (file.dependency ?? []).filter((dep) => dep !== GOGO_PROTO);
    for (const dep of file.dependency) visit(dep);
    ordered.push(file);
  };
  wanted.forEach(visit);
  return ordered;
}

/** The committed document: where the set came from, and the set. */
export function buildDocument(binary, version, selected, goFields) {
  const set = descriptor.FileDescriptorSet.create({ file: selected });
  return {
    comment: [
      'Kubernetes protobuf definitions (the compiled generated.proto files of k8s.io/api and k8s.io/apimachinery),',
      `extracted from kubectl ${version}, which embeds them as gzipped FileDescriptorProtos.`,
      'The import of gogo.proto (Go code generation options only) is dropped.',
      'goFields: each message field as the Go struct behind it has it, read from the same binary: `=json` a JSON name',
      'that differs, `^` inline (its fields are the parent\'s in JSON), `*` a pointer (a zero value is set on purpose),',
      '`?` omitempty (Go\'s JSON leaves a zero value out).',
      'Regenerate with `node scripts/k8s-descriptors.mjs` (checked by packages/api/src/protobuf/descriptors.test.ts).',
      'Load with protobufjs: Root.fromDescriptor(FileDescriptorSet.fromObject(fileDescriptorSet)).',
    ],
    kubectl: { version, binary },
    files: selected.map((f) => f.name),
    goFields,
    fileDescriptorSet: descriptor.FileDescriptorSet.toObject(set, { enums: String, longs: String, defaults: false }),
  };
}

/** Objects and arrays whose JSON fits on one line of this width stay on one line (one field per line). */
const LINE = 160;

/** The document text: indented, each field descriptor on one line, stable across runs. */
export function render(doc) {
  const write = (value, indent) => {
    const flat = JSON.stringify(value);
    if (value === null || typeof value !== 'object' || flat.length + indent.length <= LINE) return flat;
    const inner = `${indent} `;
    if (Array.isArray(value)) return `[\n${value.map((v) => inner + write(v, inner)).join(',\n')}\n${indent}]`;
    const entries = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${write(v, inner)}`);
    return `{\n${entries.join(',\n')}\n${indent}}`;
  };
  return `${write(doc, '')}\n`;
}

export function extract(binary) {
  const version = kubectlVersion(binary);
  const bytes = readFileSync(binary);
  const selected = selectFiles(scanBinary(bytes));
  return buildDocument(binary.replace(/^.*\//, ''), version, selected, goFieldsOf(selected, goStructs(bytes)));
}

function main(argv) {
  const args = [...argv];
  const flag = (name) => {
    const i = args.indexOf(name);
    if (i < 0) return false;
    args.splice(i, 1);
    return true;
  };
  const option = (name) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const value = args[i + 1];
    args.splice(i, 2);
    return value;
  };
  const check = flag('--check');
  const stdout = flag('--stdout');
  const which = flag('--which');
  const binary = option('--kubectl') ?? defaultKubectl();
  if (args.length > 0) throw new Error(`unknown arguments: ${args.join(' ')}`);
  if (!binary) throw new Error('no kubectl on PATH: install kubectl or pass --kubectl PATH');
  if (which) {
    process.stdout.write(`${binary}\t${kubectlVersion(binary)}\n`);
    return;
  }
  const text = render(extract(binary));
  if (stdout) {
    process.stdout.write(text);
  } else if (check) {
    const committed = existsSync(OUTPUT) ? readFileSync(OUTPUT, 'utf8') : '';
    if (committed !== text) {
      process.stderr.write(`${OUTPUT} differs from what ${binary} yields: run node scripts/k8s-descriptors.mjs\n`);
      process.exit(1);
    }
    process.stdout.write(`ok: ${OUTPUT} matches ${binary}\n`);
  } else {
    writeFileSync(OUTPUT, text);
    process.stdout.write(`wrote ${OUTPUT} from ${binary}\n`);
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
