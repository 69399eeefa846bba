#!/usr/bin/env node
/**
 * Build step: writes dist/openapi/definitions.json, the Kubernetes 1.33 schemas (with Kubernetes' own
 * field descriptions) of the kinds jobfleet serves and everything they refer to, from which
 * src/openapi.ts builds /openapi/v2 and /openapi/v3 (`kubectl explain`, `kubectl apply`).
 *
 * Nothing here is written by hand: the source is the npm package kubernetes-models@4.5.1 (a
 * devDependency, generated from Kubernetes 1.33's OpenAPI document), read two ways —
 * - its type declarations (`*.d.ts`, parsed with the TypeScript compiler API): every definition's
 *   properties, which are required, their types, string enums and the JSDoc descriptions, which are
 *   the OpenAPI descriptions (Kubernetes' Go doc comments);
 * - its compiled validators (`_schemas/*.js`), asked about each integer and string property with a
 *   probe value, for the format the OpenAPI document gives it (int32/int64, date-time, …), which
 *   the declarations do not carry.
 * Run by `npm run build` (after tsc); it needs no network.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const require = createRequire(import.meta.url);
const MODELS = dirname(require.resolve('kubernetes-models/package.json'));
const requireFromModels = createRequire(join(MODELS, 'package.json'));
const APIMACHINERY = dirname(requireFromModels.resolve('@kubernetes-models/apimachinery/package.json'));
const MODELS_VERSION = JSON.parse(readFileSync(join(MODELS, 'package.json'), 'utf8')).version;
const KUBERNETES_VERSION = '1.33';

/** The kinds jobfleet serves (and may answer with): their closure is what the documents describe. */
const ROOTS = [
  'batch/v1/Job',
  'batch/v1/JobList',
  'batch/v1/CronJob',
  'batch/v1/CronJobList',
  'v1/Pod',
  'v1/PodList',
  'v1/Namespace',
  'v1/NamespaceList',
  'v1/Node',
  'v1/NodeList',
  'v1/Event',
  'v1/EventList',
  'policy/v1/Eviction',
  'authorization.k8s.io/v1/SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview',
  'authentication.k8s.io/v1/SelfSubjectReview',
  '@apimachinery/apis/meta/v1/Status',
  '@apimachinery/apis/meta/v1/DeleteOptions',
  '@apimachinery/apis/meta/v1/WatchEvent',
];

/** A declaration file (without .d.ts), from its models path. */
function fileOf(modelPath) {
  return modelPath.startsWith('@apimachinery/') ? join(APIMACHINERY, modelPath.slice('@apimachinery/'.length)) : join(MODELS, modelPath);
}

/** Kubernetes' definition name of a models path: batch/v1/Job → io.k8s.api.batch.v1.Job. */
function definitionName(modelPath) {
  if (modelPath.startsWith('@apimachinery/')) return `io.k8s.apimachinery.pkg.${modelPath.slice('@apimachinery/'.length).split('/').join('.')}`;
  const parts = modelPath.split('/');
  if (parts.length === 2) return `io.k8s.api.core.${parts[0]}.${parts[1]}`;
  return `io.k8s.api.${parts[0].split('.')[0]}.${parts[1]}.${parts[2]}`;
}

/** The models path an import specifier of `fromPath` names. */
function resolveImport(fromPath, specifier) {
  if (specifier.startsWith('@kubernetes-models/apimachinery/')) return `@apimachinery/${specifier.slice('@kubernetes-models/apimachinery/'.length)}`;
  if (!specifier.startsWith('.')) return undefined;
  const base = fromPath.startsWith('@apimachinery/') ? join('/@apimachinery', dirname(fromPath.slice('@apimachinery/'.length))) : join('/', dirname(fromPath));
  const resolved = join(base, specifier).replace(/\.js$/, '');
  return resolved.startsWith('/@apimachinery/') ? resolved.slice(1) : resolved.slice(1);
}

function jsDocText(node) {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const last = docs[docs.length - 1];
  if (!last || last.comment === undefined) return undefined;
  const text = typeof last.comment === 'string' ? last.comment : last.comment.map((c) => c.text).join('');
  return text.trim() || undefined;
}

function propertyName(name) {
  return ts.isStringLiteral(name) || ts.isIdentifier(name) ? name.text : name.getText();
}

/** The compiled validator of a definition, to probe formats with. */
function validatorOf(modelPath) {
  const schemaFile = `${definitionName(modelPath).replace(/^io\.k8s/, 'IoK8s').split('.').map((p) => p[0].toUpperCase() + p.slice(1)).join('')}.js`;
  const dir = modelPath.startsWith('@apimachinery/') ? join(APIMACHINERY, '_schemas') : join(MODELS, '_schemas');
  const file = join(dir, schemaFile);
  return existsSync(file) ? require(file).validate : undefined;
}

/** The format the validator enforces on a property (probed with a value that breaks the usual ones). */
function probeFormat(validate, property, kind, inArray) {
  if (!validate) return undefined;
  const probes = kind === 'integer' ? [2 ** 31, 2 ** 53 + 2] : ['not a valid value: x'];
  for (const probe of probes) {
    validate({ [property]: inArray ? [probe] : probe });
    const path = inArray ? `/${property}/0` : `/${property}`;
    const error = (validate.errors ?? []).find((e) => e.instancePath === path && e.keyword === 'format');
    if (error) return error.params.format;
  }
  return kind === 'integer' ? 'int64' : undefined;
}

/** Whether a `number` property is an integer (the validator refuses 0.5) or a double. */
function isInteger(validate, property, inArray) {
  if (!validate) return true;
  validate({ [property]: inArray ? [0.5] : 0.5 });
  const path = inArray ? `/${property}/0` : `/${property}`;
  return (validate.errors ?? []).some((e) => e.instancePath === path && e.keyword === 'type' && e.params.type === 'integer');
}

const definitions = {};
const queue = [...ROOTS];
const seen = new Set();

while (queue.length > 0) {
  const modelPath = queue.shift();
  if (seen.has(modelPath)) continue;
  seen.add(modelPath);
  const file = `${fileOf(modelPath)}.d.ts`;
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const imports = new Map();
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement) && statement.importClause?.namedBindings && ts.isNamedImports(statement.importClause.namedBindings)) {
      for (const element of statement.importClause.namedBindings.elements) {
        const target = resolveImport(modelPath, statement.moduleSpecifier.text);
        if (target) imports.set(element.name.text, target);
      }
    }
  }
  const name = definitionName(modelPath);
  const localName = `I${modelPath.split('/').pop()}`;
  const declaration = source.statements.find((s) => (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.name.text === localName);
  if (!declaration) throw new Error(`no declaration ${localName} in ${relative(process.cwd(), file)}`);
  const validate = validatorOf(modelPath);

  /** The schema of a type node; refs as {$ref: definition name}. */
  const schemaOf = (node, property, inArray = false) => {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword: {
        const format = property === undefined ? undefined : probeFormat(validate, property, 'string', inArray);
        return { type: 'string', ...(format ? { format } : {}) };
      }
      case ts.SyntaxKind.NumberKeyword: {
        if (property !== undefined && !isInteger(validate, property, inArray)) return { type: 'number', format: 'double' };
        const format = property === undefined ? undefined : probeFormat(validate, property, 'integer', inArray);
        return { type: 'integer', ...(format ? { format } : {}) };
      }
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.AnyKeyword:
      case ts.SyntaxKind.UnknownKeyword:
        return { type: 'object' };
      case ts.SyntaxKind.LiteralType:
        return { type: 'string' };
      case ts.SyntaxKind.ArrayType:
        return { type: 'array', items: schemaOf(node.elementType, property, true) };
      case ts.SyntaxKind.UnionType: {
        const literals = node.types.filter((t) => ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)).map((t) => t.literal.text);
        if (literals.length === node.types.length) return { type: 'string', enum: literals };
        const kinds = new Set(node.types.map((t) => t.kind));
        if (kinds.has(ts.SyntaxKind.StringKeyword) && kinds.has(ts.SyntaxKind.NumberKeyword)) return { type: 'string', format: 'int-or-string' };
        throw new Error(`${name}.${property}: union ${node.getText()}`);
      }
      case ts.SyntaxKind.TypeLiteral: {
        const index = node.members.find(ts.isIndexSignatureDeclaration);
        if (index && node.members.length === 1) return { type: 'object', additionalProperties: schemaOf(index.type, undefined) };
        throw new Error(`${name}.${property}: type literal ${node.getText()}`);
      }
      case ts.SyntaxKind.TypeReference: {
        const ref = node.typeName.getText();
        if (ref === 'Array' && node.typeArguments?.length === 1) return { type: 'array', items: schemaOf(node.typeArguments[0], property, true) };
        const target = imports.get(ref);
        if (!target) throw new Error(`${name}.${property}: unknown type ${ref}`);
        queue.push(target);
        return { $ref: definitionName(target) };
      }
      default:
        throw new Error(`${name}.${property}: unsupported type ${ts.SyntaxKind[node.kind]} ${node.getText()}`);
    }
  };

  const description = jsDocText(declaration);
  if (ts.isTypeAliasDeclaration(declaration)) {
    definitions[name] = { ...(description ? { description } : {}), ...aliasSchema(name, schemaOf(declaration.type, undefined)) };
    continue;
  }
  const properties = {};
  const required = [];
  let gvk;
  for (const member of declaration.members) {
    if (!ts.isPropertySignature(member) || !member.type) continue;
    const property = propertyName(member.name);
    const literal = ts.isLiteralTypeNode(member.type) && ts.isStringLiteral(member.type.literal) ? member.type.literal.text : undefined;
    if (literal !== undefined && (property === 'apiVersion' || property === 'kind')) {
      // TypeMeta: optional strings in the OpenAPI document; the literals name the group-version-kind.
      gvk = { ...gvk, [property]: literal };
      properties[property] = { type: 'string' };
      continue;
    }
    const doc = jsDocText(member);
    properties[property] = { ...(doc ? { description: doc } : {}), ...schemaOf(member.type, property) };
    if (!member.questionToken) required.push(property);
  }
  const schema = { ...(description ? { description } : {}), type: 'object', properties: sortKeys(properties), ...(required.length ? { required: required.sort() } : {}) };
  if (gvk?.apiVersion && gvk.kind) {
    const [group, version] = gvk.apiVersion.includes('/') ? gvk.apiVersion.split('/') : ['', gvk.apiVersion];
    schema['x-kubernetes-group-version-kind'] = [{ group, kind: gvk.kind, version }];
  }
  definitions[name] = schema;
}

/** Type aliases the declarations flatten: their OpenAPI form. */
function aliasSchema(name, flattened) {
  if (name.endsWith('.Time') || name.endsWith('.MicroTime')) return { type: 'string', format: 'date-time' };
  if (name.endsWith('.Quantity')) return { type: 'string' };
  return flattened;
}

function sortKeys(object) {
  return Object.fromEntries(Object.keys(object).sort().map((k) => [k, object[k]]));
}

// TypeMeta's two descriptions, the same on every kind, as Kubernetes has them (taken from metav1.Status).
const status = definitions['io.k8s.apimachinery.pkg.apis.meta.v1.Status'];
for (const schema of Object.values(definitions)) {
  for (const key of ['apiVersion', 'kind']) {
    const property = schema.properties?.[key];
    const text = status?.properties[key]?.description;
    if (property && property.description === undefined && text) schema.properties[key] = { description: text, ...property };
  }
}

const out = new URL('../dist/openapi/definitions.json', import.meta.url);
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(out, JSON.stringify({ kubernetesVersion: KUBERNETES_VERSION, source: `kubernetes-models@${MODELS_VERSION}`, definitions: sortKeys(definitions) }));
process.stdout.write(`openapi definitions: ${Object.keys(definitions).length} from kubernetes-models@${MODELS_VERSION}\n`);
