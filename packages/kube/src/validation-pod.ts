/**
 * Kubernetes' pod template rules (core/validation ValidatePodTemplateSpec and ValidatePodSpec) for
 * the pod fields jobfleet keeps, with Kubernetes' paths and messages.
 */
import {
  duplicate,
  forbidden,
  invalid,
  notFound,
  notSupported,
  required,
  type FieldError,
} from './field-errors.js';
import { IMAGE_REFERENCE_MESSAGE, isImageReference } from './image-reference.js';
import { QUANTITY_FORMAT_MESSAGE, tryParseQuantity } from './quantity.js';
import { NOT_SUPPORTED_BY_JOBFLEET } from './schema.js';
import type {
  Affinity,
  Container,
  EnvVar,
  HostPathVolumeSource,
  NodeAffinity,
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  PodSecurityContext,
  PodSpec,
  PodTemplateSpec,
  PreferredSchedulingTerm,
  ResourceRequirements,
  SecurityContext,
  Toleration,
  Volume,
  VolumeMount,
} from './types.js';
import {
  NON_NEGATIVE_MESSAGE,
  invalidEach,
  isDns1123Label,
  isDns1123Subdomain,
  isEnvVarName,
  isLabelValue,
  isQualifiedName,
  validateAnnotations,
  validateLabels,
  validateNonNegative,
} from './validation-meta.js';

/** The extended resource of NVIDIA's device plugin: whole GPUs, which workers hand to containers. */
export const NVIDIA_GPU_RESOURCE = 'nvidia.com/gpu';
/** Container resources jobfleet can enforce. */
export const SUPPORTED_RESOURCES: readonly string[] = ['cpu', 'memory', NVIDIA_GPU_RESOURCE];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
/** The only restartPolicy a container may have (an init container's): a native sidecar. */
const SIDECAR_RESTART_POLICY = 'Always';
/** emptyDir media jobfleet can provide: a directory, or tmpfs for "Memory". */
const EMPTY_DIR_MEDIA = ['', 'Memory'];
/** Pod fields an env var may reference through fieldRef (validEnvDownwardAPIFieldPathExpressions). */
const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
/** Other field labels the downward API knows: "Unsupported value" for these, not a conversion error. */
const OTHER_POD_FIELD_LABELS = [
  'metadata.annotations',
  'metadata.labels',
  'spec.restartPolicy',
  'spec.schedulerName',
  'status.phase',
];
const MAX_INT32 = 2 ** 31 - 1;

/** What the operator of the API server allows in pods. */
export interface PodPolicy {
  /**
   * Privileged containers, added capabilities, the host's network, PID and IPC namespaces and
   * hostPath volumes: each gives a pod power over the Docker host. Off by default.
   */
  allowPrivileged?: boolean;
}

/** Kubernetes' answer for a privileged container when the cluster does not allow them. */
export const DISALLOWED_BY_CLUSTER_POLICY = 'disallowed by cluster policy';
/** jobfleet's answer for the other privileged fields. */
export const PRIVILEGED_NOT_ALLOWED = 'not allowed on this jobfleet server (start the API with --allow-privileged)';
/** Kubernetes' hostPath types but FileOrCreate, which the Docker API cannot do (it creates directories only). */
export const HOST_PATH_TYPES: readonly string[] = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'Socket'];
/** The Linux capabilities (linux/capability.h up to 5.9), without their CAP_ prefix. */
export const LINUX_CAPABILITIES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
];
const CAPABILITY_MESSAGE = 'must be a Linux capability (e.g. "NET_ADMIN" or "CAP_CHOWN") or "ALL"';

export function validatePodTemplate(template: PodTemplateSpec, field: string, policy: PodPolicy = {}): FieldError[] {
  return [
    ...validateLabels(template.metadata?.labels, `${field}.labels`),
    ...validateAnnotations(template.metadata?.annotations, `${field}.annotations`),
    ...validatePodSpec(template.spec, `${field}.spec`, policy),
  ];
}

/** restartPolicy is left to the caller: a Job allows only OnFailure and Never. */
export function validatePodSpec(spec: PodSpec, field: string, policy: PodPolicy = {}): FieldError[] {
  const volumes = validateVolumes(spec.volumes ?? [], `${field}.volumes`, policy);
  return [
    ...volumes.errors,
    ...validateContainers(spec.containers, volumes.names, `${field}.containers`, policy),
    ...validateInitContainers(spec.initContainers ?? [], spec.containers, volumes.names, `${field}.initContainers`, policy),
    ...validatePodActiveDeadline(spec.activeDeadlineSeconds, `${field}.activeDeadlineSeconds`),
    ...validateNonNegative(spec.terminationGracePeriodSeconds, `${field}.terminationGracePeriodSeconds`),
    ...validateHostNamespaces(spec, field, policy),
    ...validatePodSecurityContext(spec.securityContext, `${field}.securityContext`),
    // Label syntax, as Kubernetes validates a node selector.
    ...validateLabels(spec.nodeSelector, `${field}.nodeSelector`),
    ...validateAffinity(spec.affinity, `${field}.affinity`),
    ...(spec.nodeName ? invalidEach(`${field}.nodeName`, spec.nodeName, isDns1123Subdomain) : []),
    ...validateTolerations(spec.tolerations ?? [], `${field}.tolerations`),
  ];
}

/** validateAffinity: node affinity as Kubernetes checks it (pod (anti-)affinity is not implemented: the schema refuses it as a field jobfleet does not support). */
function validateAffinity(affinity: Affinity | undefined, field: string): FieldError[] {
  return affinity?.nodeAffinity ? validateNodeAffinity(affinity.nodeAffinity, `${field}.nodeAffinity`) : [];
}

/** validateNodeAffinity: required terms must have valid label values (a new object's rule), preferred ones need not. */
function validateNodeAffinity(na: NodeAffinity, field: string): FieldError[] {
  const required = na.requiredDuringSchedulingIgnoredDuringExecution;
  const preferred = na.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  return [
    ...(required ? validateNodeSelector(required, false, `${field}.requiredDuringSchedulingIgnoredDuringExecution`) : []),
    ...validatePreferredSchedulingTerms(preferred, `${field}.preferredDuringSchedulingIgnoredDuringExecution`),
  ];
}

/** ValidateNodeSelector. */
export function validateNodeSelector(selector: NodeSelector, allowInvalidLabelValue: boolean, field: string): FieldError[] {
  const termsField = `${field}.nodeSelectorTerms`;
  if (selector.nodeSelectorTerms.length === 0) return [required(termsField, 'must have at least one node selector term')];
  return selector.nodeSelectorTerms.flatMap((term, i) => validateNodeSelectorTerm(term, allowInvalidLabelValue, `${termsField}[${i}]`));
}

/** ValidateNodeSelectorTerm. */
function validateNodeSelectorTerm(term: NodeSelectorTerm, allowInvalidLabelValue: boolean, field: string): FieldError[] {
  return [
    ...(term.matchExpressions ?? []).flatMap((rq, j) =>
      validateNodeSelectorRequirement(rq, allowInvalidLabelValue, `${field}.matchExpressions[${j}]`),
    ),
    ...(term.matchFields ?? []).flatMap((rq, j) => validateNodeFieldSelectorRequirement(rq, `${field}.matchFields[${j}]`)),
  ];
}

/** ValidateNodeSelectorRequirement: the operator's values, the key a label key, the values label values. */
function validateNodeSelectorRequirement(rq: NodeSelectorRequirement, allowInvalidLabelValue: boolean, field: string): FieldError[] {
  const values = rq.values ?? [];
  const operator: string = rq.operator;
  const operatorErrors = (): FieldError[] => {
    switch (operator) {
      case 'In':
      case 'NotIn':
        return values.length === 0 ? [required(`${field}.values`, "must be specified when `operator` is 'In' or 'NotIn'")] : [];
      case 'Exists':
      case 'DoesNotExist':
        return values.length > 0 ? [forbidden(`${field}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")] : [];
      case 'Gt':
      case 'Lt':
        return values.length !== 1 ? [required(`${field}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'")] : [];
      default:
        return [invalid(`${field}.operator`, operator, 'not a valid selector operator')];
    }
  };
  return [
    ...operatorErrors(),
    ...invalidEach(`${field}.key`, rq.key, isQualifiedName),
    ...(allowInvalidLabelValue ? [] : values.flatMap((value, i) => invalidEach(`${field}.values[${i}]`, value, isLabelValue))),
  ];
}

/** The field a node field selector may use (nodeFieldSelectorValidators): the node's name. */
const NODE_NAME_FIELD = 'metadata.name';

/** ValidateNodeFieldSelectorRequirement: only `metadata.name`, In or NotIn, one value that is a node name. */
function validateNodeFieldSelectorRequirement(rq: NodeSelectorRequirement, field: string): FieldError[] {
  const values = rq.values ?? [];
  const operator: string = rq.operator;
  const operatorErrors =
    operator === 'In' || operator === 'NotIn'
      ? values.length !== 1
        ? [required(`${field}.values`, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector")]
        : []
      : [invalid(`${field}.operator`, operator, 'not a valid selector operator')];
  const keyErrors =
    rq.key === NODE_NAME_FIELD
      ? values.flatMap((value, i) => invalidEach(`${field}.values[${i}]`, value, isDns1123Subdomain))
      : [invalid(`${field}.key`, rq.key, 'not a valid field selector key')];
  return [...operatorErrors, ...keyErrors];
}

/** ValidatePreferredSchedulingTerms: weights 1..100; invalid label values are allowed in preferred terms. */
function validatePreferredSchedulingTerms(terms: readonly PreferredSchedulingTerm[], field: string): FieldError[] {
  return terms.flatMap((term, i) => [
    ...(term.weight <= 0 || term.weight > 100 ? [invalid(`${field}[${i}].weight`, term.weight, 'must be in the range 1-100')] : []),
    ...validateNodeSelectorTerm(term.preference, true, `${field}[${i}].preference`),
  ]);
}

const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** ValidateTolerations. */
export function validateTolerations(tolerations: readonly Toleration[], field: string): FieldError[] {
  return tolerations.flatMap((toleration, i) => validateToleration(toleration, `${field}[${i}]`));
}

function validateToleration(toleration: Toleration, field: string): FieldError[] {
  const key = toleration.key ?? '';
  const operator: string = toleration.operator ?? '';
  const value = toleration.value ?? '';
  const effect: string = toleration.effect ?? '';
  const operatorField = `${field}.operator`;
  const valueErrors = (): FieldError[] => {
    switch (operator) {
      // An empty operator means Equal.
      case '':
      case 'Equal': {
        const messages = isLabelValue(value);
        return messages.length > 0 ? [invalid(operatorField, value, messages.join(';'))] : [];
      }
      case 'Exists':
        return value ? [invalid(operatorField, value, "value must be empty when `operator` is 'Exists'")] : [];
      default:
        return [notSupported(operatorField, operator, TOLERATION_OPERATORS)];
    }
  };
  return [
    ...(key ? invalidEach(`${field}.key`, key, isQualifiedName) : []),
    // An empty key with Exists means "every taint".
    ...(!key && operator !== 'Exists'
      ? [invalid(operatorField, operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"')]
      : []),
    ...(toleration.tolerationSeconds !== undefined && effect !== 'NoExecute'
      ? [invalid(`${field}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set")]
      : []),
    ...valueErrors(),
    // An empty effect means every effect.
    ...(effect && !TAINT_EFFECTS.includes(effect) ? [notSupported(`${field}.effect`, effect, TAINT_EFFECTS)] : []),
  ];
}

/**
 * Only volumes without errors can be mounted, as in Kubernetes. A hostPath the server does not
 * allow is reported once, as Forbidden, and its mounts are not also reported as "Not found".
 */
function validateVolumes(volumes: readonly Volume[], field: string, policy: PodPolicy): { errors: FieldError[]; names: Set<string> } {
  const names = new Set<string>();
  const errors: FieldError[] = [];
  volumes.forEach((volume, i) => {
    const path = `${field}[${i}]`;
    const hostPathForbidden = volume.hostPath !== undefined && policy.allowPrivileged !== true;
    const volumeErrors = validateVolume(volume, path, names, !hostPathForbidden);
    if (volumeErrors.length === 0) names.add(volume.name);
    if (hostPathForbidden) errors.push(forbidden(`${path}.hostPath`, PRIVILEGED_NOT_ALLOWED));
    errors.push(...volumeErrors);
  });
  return { errors, names };
}

function validateVolume(volume: Volume, field: string, seenNames: ReadonlySet<string>, checkHostPath: boolean): FieldError[] {
  const nameField = `${field}.name`;
  return [
    ...validateVolumeSource(volume, field, checkHostPath),
    ...(volume.name ? invalidEach(nameField, volume.name, isDns1123Label) : [required(nameField)]),
    ...(seenNames.has(volume.name) ? [duplicate(nameField, volume.name)] : []),
  ];
}

/** Exactly one source; Kubernetes checks emptyDir before hostPath. */
function validateVolumeSource(volume: Volume, field: string, checkHostPath: boolean): FieldError[] {
  const { emptyDir, hostPath } = volume;
  if (!hostPath) return validateEmptyDir(volume, field);
  if (!emptyDir) return checkHostPath ? validateHostPath(hostPath, `${field}.hostPath`) : [];
  return [...validateEmptyDir(volume, field), forbidden(`${field}.hostPath`, 'may not specify more than 1 volume type')];
}

/**
 * Kubernetes' rules (a path without '..', a known type) and Docker's: the path must be absolute
 * (a bare name would be a Docker volume) and without ':' (which separates the fields of a bind).
 */
function validateHostPath(source: HostPathVolumeSource, field: string): FieldError[] {
  const { path, type = '' } = source;
  const pathField = `${field}.path`;
  if (!path) return [required(pathField)];
  return [
    ...(path.split('/').includes('..') ? [invalid(pathField, path, "must not contain '..'")] : []),
    ...(path.startsWith('/') ? [] : [invalid(pathField, path, 'must be an absolute path')]),
    ...(path.includes(':') ? [invalid(pathField, path, "must not contain ':'")] : []),
    ...(HOST_PATH_TYPES.includes(type) ? [] : [notSupported(`${field}.type`, type, HOST_PATH_TYPES)]),
  ];
}

function validateEmptyDir(volume: Volume, field: string): FieldError[] {
  const emptyDir = volume.emptyDir;
  if (!emptyDir) return [required(field, 'must specify a volume type')];
  const medium = emptyDir.medium ?? '';
  const sizeLimit = emptyDir.sizeLimit === undefined ? undefined : tryParseQuantity(emptyDir.sizeLimit);
  return [
    ...(EMPTY_DIR_MEDIA.includes(medium) ? [] : [notSupported(`${field}.emptyDir.medium`, medium, EMPTY_DIR_MEDIA)]),
    ...(emptyDir.sizeLimit !== undefined && sizeLimit === undefined
      ? [invalid(`${field}.emptyDir.sizeLimit`, emptyDir.sizeLimit, QUANTITY_FORMAT_MESSAGE)]
      : []),
    ...(sizeLimit !== undefined && sizeLimit < 0
      ? [forbidden(`${field}.emptyDir.sizeLimit`, 'SizeLimit field must be a valid resource quantity')]
      : []),
  ];
}

function validateContainers(
  containers: readonly Container[],
  volumeNames: ReadonlySet<string>,
  field: string,
  policy: PodPolicy,
): FieldError[] {
  if (containers.length === 0) return [required(field)];
  const names = new Set<string>();
  return containers.flatMap((container, i) => {
    const path = `${field}[${i}]`;
    const duplicateName = names.has(container.name) ? [duplicate(`${path}.name`, container.name)] : [];
    names.add(container.name);
    // Only init containers can be sidecars (Kubernetes' validateContainers).
    const restartPolicy = container.restartPolicy !== undefined ? [forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers')] : [];
    return [...validateContainer(container, volumeNames, path, policy), ...duplicateName, ...restartPolicy];
  });
}

/** Init container names must differ from each other and from the regular containers'. */
function validateInitContainers(
  initContainers: readonly Container[],
  containers: readonly Container[],
  volumeNames: ReadonlySet<string>,
  field: string,
  policy: PodPolicy,
): FieldError[] {
  const names = new Set(containers.map((c) => c.name));
  return initContainers.flatMap((container, i) => {
    const path = `${field}[${i}]`;
    const duplicateName = names.has(container.name) ? [duplicate(`${path}.name`, container.name)] : [];
    if (container.name) names.add(container.name);
    return [...validateContainer(container, volumeNames, path, policy), ...validateInitContainerRestartPolicy(container, `${path}.restartPolicy`), ...duplicateName];
  });
}

/** A native sidecar is an init container with restartPolicy Always, the one value allowed (validateInitContainerRestartPolicy). */
function validateInitContainerRestartPolicy(container: Container, field: string): FieldError[] {
  const value: unknown = container.restartPolicy;
  return value === undefined || value === SIDECAR_RESTART_POLICY ? [] : [notSupported(field, value, [SIDECAR_RESTART_POLICY])];
}

/** Whether an init container is a native sidecar: it starts in order, then runs alongside the app containers. */
export function isSidecar(container: Pick<Container, 'restartPolicy'>): boolean {
  return container.restartPolicy === SIDECAR_RESTART_POLICY;
}

function validateContainer(container: Container, volumeNames: ReadonlySet<string>, field: string, policy: PodPolicy): FieldError[] {
  return [
    ...(container.name ? invalidEach(`${field}.name`, container.name, isDns1123Label) : [required(`${field}.name`)]),
    ...validateImage(container.image, `${field}.image`),
    ...validatePullPolicy(container.imagePullPolicy, `${field}.imagePullPolicy`),
    ...validateEnv(container.env ?? [], `${field}.env`),
    ...validateVolumeMounts(container.volumeMounts ?? [], volumeNames, `${field}.volumeMounts`),
    ...validateResources(container.resources, `${field}.resources`),
    ...validateSecurityContext(container.securityContext, `${field}.securityContext`, policy),
  ];
}

/** Kubernetes' ValidateSecurityContext for the fields jobfleet implements, plus the server's policy. */
function validateSecurityContext(sc: SecurityContext | undefined, field: string, policy: PodPolicy): FieldError[] {
  if (!sc) return [];
  const allowed = policy.allowPrivileged === true;
  const added = sc.capabilities?.add ?? [];
  return [
    ...(sc.privileged === true && !allowed ? [forbidden(`${field}.privileged`, DISALLOWED_BY_CLUSTER_POLICY)] : []),
    ...(added.length > 0 && !allowed ? [forbidden(`${field}.capabilities.add`, PRIVILEGED_NOT_ALLOWED)] : []),
    ...validateIds(sc, field),
    ...(allowed ? validateCapabilities(added, `${field}.capabilities.add`) : []),
    ...validateCapabilities(sc.capabilities?.drop ?? [], `${field}.capabilities.drop`),
    ...validateNoPrivilegeEscalation(sc, field),
  ];
}

/** IsValidUserID / IsValidGroupID. */
function validateIds(sc: SecurityContext | PodSecurityContext, field: string): FieldError[] {
  const check = (id: number | undefined, path: string) =>
    id === undefined || (id >= 0 && id <= MAX_INT32) ? [] : [invalid(path, id, `must be between 0 and ${MAX_INT32}, inclusive`)];
  return [...check(sc.runAsUser, `${field}.runAsUser`), ...check(sc.runAsGroup, `${field}.runAsGroup`)];
}

/** Docker refuses an unknown capability when it creates the container; jobfleet says so at once. */
function validateCapabilities(names: readonly string[], field: string): FieldError[] {
  return names.flatMap((name, i) => (isCapability(name) ? [] : [invalid(`${field}[${i}]`, name, CAPABILITY_MESSAGE)]));
}

/** Like Docker: any case, with or without the CAP_ prefix. */
export function isCapability(name: string): boolean {
  const upper = name.toUpperCase();
  return upper === 'ALL' || LINUX_CAPABILITIES.includes(upper.startsWith('CAP_') ? upper.slice(4) : upper);
}

function validateNoPrivilegeEscalation(sc: SecurityContext, field: string): FieldError[] {
  if (sc.allowPrivilegeEscalation !== false) return [];
  return [
    ...(sc.privileged === true ? [invalid(field, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true')] : []),
    ...(sc.capabilities?.add ?? [])
      .filter((cap) => cap === 'CAP_SYS_ADMIN')
      .map(() => invalid(field, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN')),
  ];
}

/** hostNetwork, hostPID and hostIPC put a pod's containers in the Docker host's namespaces. */
function validateHostNamespaces(spec: PodSpec, field: string, policy: PodPolicy): FieldError[] {
  if (policy.allowPrivileged === true) return [];
  return (['hostNetwork', 'hostPID', 'hostIPC'] as const)
    .filter((name) => spec[name] === true)
    .map((name) => forbidden(`${field}.${name}`, PRIVILEGED_NOT_ALLOWED));
}

function validatePodSecurityContext(sc: PodSecurityContext | undefined, field: string): FieldError[] {
  return sc ? validateIds(sc, field) : [];
}

/**
 * Kubernetes checks only for whitespace; jobfleet also requires Docker's reference grammar, since
 * the name goes into Docker Engine API paths on every worker (see image-reference.ts).
 */
function validateImage(image: string, field: string): FieldError[] {
  if (image.length === 0) return [required(field)];
  if (image.trim() !== image) return [invalid(field, image, 'must not have leading or trailing whitespace')];
  return isImageReference(image) ? [] : [invalid(field, image.length > 300 ? `${image.slice(0, 300)}…` : image, IMAGE_REFERENCE_MESSAGE)];
}

/** An unset policy is fine here: defaulting sets it. */
function validatePullPolicy(policy: string | undefined, field: string): FieldError[] {
  if (policy === undefined || PULL_POLICIES.includes(policy)) return [];
  return policy === '' ? [required(field)] : [notSupported(field, policy, PULL_POLICIES)];
}

function validateEnv(env: readonly EnvVar[], field: string): FieldError[] {
  return env.flatMap((envVar, i) => {
    const path = `${field}[${i}]`;
    const nameErrors = envVar.name ? invalidEach(`${path}.name`, envVar.name, isEnvVarName) : [required(`${path}.name`)];
    return [...nameErrors, ...validateEnvSource(envVar, `${path}.valueFrom`)];
  });
}

function validateEnvSource(envVar: EnvVar, field: string): FieldError[] {
  const valueFrom = envVar.valueFrom;
  if (!valueFrom) return [];
  if (!valueFrom.fieldRef) {
    return [invalid(field, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`')];
  }
  const both = envVar.value ? [invalid(field, '', 'may not be specified when `value` is not empty')] : [];
  return [...validateFieldRef(valueFrom.fieldRef, `${field}.fieldRef`), ...both];
}

function validateFieldRef(ref: { apiVersion?: string; fieldPath: string }, field: string): FieldError[] {
  if (!ref.apiVersion) return [required(`${field}.apiVersion`)];
  if (!ref.fieldPath) return [required(`${field}.fieldPath`)];
  const pathField = `${field}.fieldPath`;
  const conversionError = (why: string) => [invalid(pathField, ref.fieldPath, `error converting fieldPath: ${why}`)];
  if (ref.apiVersion !== 'v1') return conversionError(`unsupported pod version: ${ref.apiVersion}`);
  const subscripted = /^(.*)\['(.*)'\]$/.exec(ref.fieldPath);
  if (subscripted) {
    const [, path = '', key = ''] = subscripted;
    if (path === 'metadata.labels') return invalidEach(field, key, isQualifiedName);
    if (path === 'metadata.annotations') return invalidEach(field, key.toLowerCase(), isQualifiedName);
    return conversionError(`field label does not support subscript: ${ref.fieldPath}`);
  }
  if (ENV_FIELD_PATHS.includes(ref.fieldPath)) return [];
  if (OTHER_POD_FIELD_LABELS.includes(ref.fieldPath)) return [notSupported(pathField, ref.fieldPath, ENV_FIELD_PATHS)];
  return conversionError(`field label not supported: ${ref.fieldPath}`);
}

function validateVolumeMounts(mounts: readonly VolumeMount[], volumeNames: ReadonlySet<string>, field: string): FieldError[] {
  const mountPaths = new Set<string>();
  return mounts.flatMap((mount, i) => {
    const path = `${field}[${i}]`;
    const errors = [
      ...(mount.name ? [] : [required(`${path}.name`)]),
      ...(volumeNames.has(mount.name) ? [] : [notFound(`${path}.name`, mount.name)]),
      ...validateMountPath(mount.mountPath, `${path}.mountPath`, mountPaths),
      ...(mount.subPath ? validateSubPath(mount.subPath, `${path}.subPath`) : []),
    ];
    mountPaths.add(mount.mountPath);
    return errors;
  });
}

/** Docker needs an absolute path inside the container; Kubernetes does not check this. */
function validateMountPath(mountPath: string, field: string, seen: ReadonlySet<string>): FieldError[] {
  if (mountPath.length === 0) return [required(field)];
  return [
    ...(mountPath.startsWith('/') ? [] : [invalid(field, mountPath, 'must be an absolute path')]),
    ...(seen.has(mountPath) ? [invalid(field, mountPath, 'must be unique')] : []),
  ];
}

function validateSubPath(subPath: string, field: string): FieldError[] {
  return [
    ...(subPath.startsWith('/') ? [invalid(field, subPath, 'must be a relative path')] : []),
    ...(subPath.split('/').includes('..') ? [invalid(field, subPath, "must not contain '..'")] : []),
  ];
}

function validateResources(resources: ResourceRequirements | undefined, field: string): FieldError[] {
  const limits = resources?.limits ?? {};
  const requests = resources?.requests ?? {};
  return [
    ...Object.entries(limits).flatMap(([name, q]) => validateResourceQuantity(name, q, `${field}.limits[${name}]`)),
    ...Object.entries(requests).flatMap(([name, q]) => [
      ...validateResourceQuantity(name, q, `${field}.requests[${name}]`),
      ...validateRequestAgainstLimit(name, q, limits[name], field),
    ]),
  ];
}

/** Kubernetes' helper.IsNativeResource: no domain, or a kubernetes.io one. */
function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

/** Kubernetes' helper.IsOvercommitAllowed: native resources but hugepages (so not nvidia.com/gpu). */
function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !name.startsWith('hugepages-');
}

/** Kubernetes' helper.IsExtendedResourceName: counted in whole units (helper.IsIntegerResourceName). */
function isExtendedResource(name: string): boolean {
  return !isNativeResource(name) && !name.startsWith('requests.');
}

/** A quantity in thousandths, rounded up as resource.Quantity.MilliValue does. */
function milliValue(value: number): number {
  return Math.ceil(Number((value * 1000).toPrecision(15)));
}

const NOT_INTEGER_MESSAGE = 'must be an integer';

/** ValidateResourceQuantityValue: non-negative, and a whole number for an extended resource. */
function validateResourceQuantity(name: string, quantity: string | number, field: string): FieldError[] {
  if (!SUPPORTED_RESOURCES.includes(name)) return [forbidden(field, NOT_SUPPORTED_BY_JOBFLEET)];
  const value = tryParseQuantity(quantity);
  if (value === undefined) return [invalid(field, String(quantity), QUANTITY_FORMAT_MESSAGE)];
  return [
    ...(value < 0 ? [invalid(field, String(quantity), NON_NEGATIVE_MESSAGE)] : []),
    ...(isExtendedResource(name) && milliValue(value) % 1000 !== 0 ? [invalid(field, String(quantity), NOT_INTEGER_MESSAGE)] : []),
  ];
}

/**
 * A request may not exceed its limit; for a resource that cannot be overcommitted it must equal
 * the limit, and the limit must be set (validateResourceRequirements).
 */
function validateRequestAgainstLimit(name: string, request: string | number, limit: string | number | undefined, field: string): FieldError[] {
  if (!SUPPORTED_RESOURCES.includes(name)) return [];
  const overcommit = isOvercommitAllowed(name);
  if (limit === undefined) return overcommit ? [] : [required(`${field}.limits`, 'Limit must be set for non overcommitable resources')];
  const requested = tryParseQuantity(request);
  const allowed = tryParseQuantity(limit);
  if (requested === undefined || allowed === undefined) return [];
  if (!overcommit && milliValue(requested) !== milliValue(allowed)) {
    return [invalid(`${field}.requests`, String(request), `must be equal to ${name} limit of ${String(limit)}`)];
  }
  if (requested <= allowed) return [];
  return [invalid(`${field}.requests`, String(request), `must be less than or equal to ${name} limit of ${String(limit)}`)];
}

/** A pod's own deadline must be positive (a Job's may be 0). */
function validatePodActiveDeadline(seconds: number | undefined, field: string): FieldError[] {
  if (seconds === undefined || (seconds >= 1 && seconds <= MAX_INT32)) return [];
  return [invalid(field, seconds, `must be between 1 and ${MAX_INT32}, inclusive`)];
}
