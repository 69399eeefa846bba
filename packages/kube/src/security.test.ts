/**
 * Pod security fields: the safe ones are always accepted, the privileged ones only when the server
 * allows them (parseJob's allowPrivileged), each refused on its own path otherwise.
 */
import { describe, expect, it } from 'vitest';
import { InvalidError } from './errors.js';
import { formatFieldError } from './field-errors.js';
import { parseJob } from './parse.js';
import { job, jobWithContainer, jobWithPod, type Manifest } from './__tests__/fixtures.js';

const POD = 'spec.template.spec';
const C0 = `${POD}.containers[0]`;
const NOT_ALLOWED = 'Forbidden: not allowed on this jobfleet server (start the API with --allow-privileged)';
const ID_RANGE = 'must be between 0 and 2147483647, inclusive';

function messages(manifest: Manifest, allowPrivileged?: boolean): string[] {
  try {
    parseJob(manifest, allowPrivileged === undefined ? {} : { allowPrivileged });
    return [];
  } catch (err) {
    if (err instanceof InvalidError) return err.errors.map(formatFieldError);
    throw err;
  }
}

const withHostPath = (hostPath: Manifest, extra: Manifest = {}) =>
  jobWithPod({
    volumes: [{ name: 'host', hostPath, ...extra }],
    containers: [{ name: 'pi', image: 'busybox', volumeMounts: [{ name: 'host', mountPath: '/host' }] }],
  });

/** A hostPath volume that no container mounts: its own errors only. */
const unmounted = (hostPath: Manifest, extra: Manifest = {}) => jobWithPod({ volumes: [{ name: 'host', hostPath, ...extra }] });

interface Case {
  name: string;
  manifest: Manifest;
  want: string[];
}

const PRIVILEGED_CASES: Case[] = [
  {
    name: 'a privileged container',
    manifest: jobWithContainer({ securityContext: { privileged: true } }),
    want: [`${C0}.securityContext.privileged: Forbidden: disallowed by cluster policy`],
  },
  {
    name: 'a privileged init container',
    manifest: jobWithPod({ initContainers: [{ name: 'init', image: 'busybox', securityContext: { privileged: true } }] }),
    want: [`${POD}.initContainers[0].securityContext.privileged: Forbidden: disallowed by cluster policy`],
  },
  {
    name: 'added capabilities',
    manifest: jobWithContainer({ securityContext: { capabilities: { add: ['NET_ADMIN'] } } }),
    want: [`${C0}.securityContext.capabilities.add: ${NOT_ALLOWED}`],
  },
  { name: 'hostNetwork', manifest: jobWithPod({ hostNetwork: true }), want: [`${POD}.hostNetwork: ${NOT_ALLOWED}`] },
  { name: 'hostPID', manifest: jobWithPod({ hostPID: true }), want: [`${POD}.hostPID: ${NOT_ALLOWED}`] },
  { name: 'hostIPC', manifest: jobWithPod({ hostIPC: true }), want: [`${POD}.hostIPC: ${NOT_ALLOWED}`] },
  {
    name: 'a mounted hostPath volume (reported once, its mount is not "Not found")',
    manifest: withHostPath({ path: '/var/run/docker.sock', type: 'Socket' }),
    want: [`${POD}.volumes[0].hostPath: ${NOT_ALLOWED}`],
  },
];

describe('privileged pod fields', () => {
  it.each(PRIVILEGED_CASES)('$name is Forbidden without allowPrivileged', ({ manifest, want }) => {
    expect(messages(manifest)).toStrictEqual(want);
    expect(messages(manifest, false)).toStrictEqual(want);
  });

  it.each(PRIVILEGED_CASES)('$name is accepted with allowPrivileged', ({ manifest }) => {
    expect(messages(manifest, true)).toStrictEqual([]);
  });

  it('reports every privileged field together with the other errors of the manifest', () => {
    const manifest = job({
      spec: {
        completions: -1,
        template: {
          spec: {
            hostNetwork: true,
            hostPID: true,
            hostIPC: true,
            volumes: [{ name: 'h', hostPath: { path: '/' } }],
            containers: [{ name: 'pi', image: 'busybox', securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } } }],
          },
        },
      },
    });
    expect(messages(manifest)).toStrictEqual([
      'spec.completions: Invalid value: -1: must be greater than or equal to 0',
      `${POD}.volumes[0].hostPath: ${NOT_ALLOWED}`,
      `${C0}.securityContext.privileged: Forbidden: disallowed by cluster policy`,
      `${C0}.securityContext.capabilities.add: ${NOT_ALLOWED}`,
      `${POD}.hostNetwork: ${NOT_ALLOWED}`,
      `${POD}.hostPID: ${NOT_ALLOWED}`,
      `${POD}.hostIPC: ${NOT_ALLOWED}`,
    ]);
  });

  it('accepts the privileged fields set to their harmless values without allowPrivileged', () => {
    const manifest = jobWithPod({
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      containers: [{ name: 'pi', image: 'busybox', securityContext: { privileged: false, capabilities: { add: [] } } }],
    });
    expect(messages(manifest)).toStrictEqual([]);
  });

  it('keeps the privileged fields in the parsed Job and defaults hostPath.type', () => {
    const manifest = withHostPath({ path: '/srv/data' });
    const spec = parseJob({ ...manifest }, { allowPrivileged: true, namespace: 'team' });
    expect(spec.metadata.namespace).toBe('team');
    expect(spec.spec.template.spec.volumes).toStrictEqual([{ name: 'host', hostPath: { path: '/srv/data', type: '' } }]);
    const pod = parseJob(jobWithPod({ hostNetwork: true, hostPID: true, hostIPC: true }), { allowPrivileged: true }).spec.template.spec;
    expect(pod).toMatchObject({ hostNetwork: true, hostPID: true, hostIPC: true });
  });
});

describe('hostPath volumes (allowed)', () => {
  it.each<Case>([
    { name: 'an absolute path of each supported type', manifest: withHostPath({ path: '/dev/null', type: 'CharDevice' }), want: [] },
    { name: 'DirectoryOrCreate', manifest: withHostPath({ path: '/tmp/x', type: 'DirectoryOrCreate' }), want: [] },
    { name: 'a missing path', manifest: unmounted({}), want: [`${POD}.volumes[0].hostPath.path: Required value`] },
    {
      name: 'a relative path',
      manifest: unmounted({ path: 'jf_other_volume' }),
      want: [`${POD}.volumes[0].hostPath.path: Invalid value: "jf_other_volume": must be an absolute path`],
    },
    {
      name: 'a path with ..',
      manifest: unmounted({ path: '/srv/../etc' }),
      want: [`${POD}.volumes[0].hostPath.path: Invalid value: "/srv/../etc": must not contain '..'`],
    },
    {
      name: "a path with ':'",
      manifest: unmounted({ path: '/a:/b' }),
      want: [`${POD}.volumes[0].hostPath.path: Invalid value: "/a:/b": must not contain ':'`],
    },
    {
      name: 'FileOrCreate (Docker cannot create a file)',
      manifest: unmounted({ path: '/tmp/f', type: 'FileOrCreate' }),
      want: [
        `${POD}.volumes[0].hostPath.type: Unsupported value: "FileOrCreate": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "Socket"`,
      ],
    },
    {
      name: 'hostPath and emptyDir together',
      manifest: unmounted({ path: '/tmp' }, { emptyDir: {} }),
      want: [`${POD}.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type`],
    },
    {
      name: 'a wrongly typed path',
      manifest: unmounted({ path: 7 }),
      want: [`${POD}.volumes[0].hostPath.path: Invalid value: 7: must be a string`],
    },
  ])('$name', ({ manifest, want }) => {
    expect(messages(manifest, true)).toStrictEqual(want);
  });
});

describe('safe securityContext fields (always allowed)', () => {
  it('accepts the pod and container fields jobfleet applies', () => {
    const manifest = jobWithPod({
      securityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true },
      containers: [
        {
          name: 'pi',
          image: 'busybox',
          securityContext: {
            runAsUser: 65534,
            runAsGroup: 65534,
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL', 'NET_RAW', 'cap_chown'] },
          },
        },
      ],
    });
    const parsed = parseJob(manifest);
    expect(parsed.spec.template.spec.securityContext).toStrictEqual({ runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true });
    expect(parsed.spec.template.spec.containers[0]?.securityContext).toMatchObject({ runAsUser: 65534, readOnlyRootFilesystem: true });
  });

  it('drops an empty securityContext, as before', () => {
    const parsed = parseJob(jobWithPod({ securityContext: {}, containers: [{ name: 'pi', image: 'busybox', securityContext: {} }] }));
    expect(parsed.spec.template.spec).not.toHaveProperty('securityContext');
    expect(parsed.spec.template.spec.containers[0]).not.toHaveProperty('securityContext');
  });

  it.each<Case>([
    {
      name: 'a negative container runAsUser',
      manifest: jobWithContainer({ securityContext: { runAsUser: -1 } }),
      want: [`${C0}.securityContext.runAsUser: Invalid value: -1: ${ID_RANGE}`],
    },
    {
      name: 'a container runAsGroup above int32',
      manifest: jobWithContainer({ securityContext: { runAsGroup: 2 ** 31 } }),
      want: [`${C0}.securityContext.runAsGroup: Invalid value: 2147483648: ${ID_RANGE}`],
    },
    {
      name: 'a negative pod runAsUser and runAsGroup',
      manifest: jobWithPod({ securityContext: { runAsUser: -5, runAsGroup: -6 } }),
      want: [`${POD}.securityContext.runAsUser: Invalid value: -5: ${ID_RANGE}`, `${POD}.securityContext.runAsGroup: Invalid value: -6: ${ID_RANGE}`],
    },
    {
      name: 'a runAsUser that is not an integer',
      manifest: jobWithContainer({ securityContext: { runAsUser: 'nobody' } }),
      want: [`${C0}.securityContext.runAsUser: Invalid value: "nobody": must be an integer`],
    },
    {
      name: 'runAsNonRoot that is not a boolean',
      manifest: jobWithPod({ securityContext: { runAsNonRoot: 'yes' } }),
      want: [`${POD}.securityContext.runAsNonRoot: Invalid value: "yes": must be a boolean`],
    },
    {
      name: 'an unknown capability to drop',
      manifest: jobWithContainer({ securityContext: { capabilities: { drop: ['ALL', 'NET_FOO'] } } }),
      want: [`${C0}.securityContext.capabilities.drop[1]: Invalid value: "NET_FOO": must be a Linux capability (e.g. "NET_ADMIN" or "CAP_CHOWN") or "ALL"`],
    },
    {
      name: 'hostNetwork that is not a boolean',
      manifest: jobWithPod({ hostNetwork: 'true' }),
      want: [`${POD}.hostNetwork: Invalid value: "true": must be a boolean`],
    },
    {
      name: 'securityContext fields jobfleet does not implement',
      manifest: jobWithContainer({ securityContext: { seLinuxOptions: { level: 's0' }, procMount: 'Unmasked', runAsUser: 1 } }),
      want: [`${C0}.securityContext.seLinuxOptions: Forbidden: not supported by jobfleet`, `${C0}.securityContext.procMount: Forbidden: not supported by jobfleet`],
    },
  ])('$name', ({ manifest, want }) => {
    expect(messages(manifest)).toStrictEqual(want);
  });

  it.each<Case>([
    {
      name: 'allowPrivilegeEscalation false with privileged',
      manifest: jobWithContainer({ securityContext: { privileged: true, allowPrivilegeEscalation: false } }),
      want: [
        `${C0}.securityContext: Invalid value: {"allowPrivilegeEscalation":false,"privileged":true}: cannot set \`allowPrivilegeEscalation\` to false and \`privileged\` to true`,
      ],
    },
    {
      name: 'allowPrivilegeEscalation false with CAP_SYS_ADMIN',
      manifest: jobWithContainer({ securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN'] } } }),
      want: [
        `${C0}.securityContext: Invalid value: {"allowPrivilegeEscalation":false,"capabilities":{"add":["CAP_SYS_ADMIN"]}}: cannot set \`allowPrivilegeEscalation\` to false and \`capabilities.Add\` CAP_SYS_ADMIN`,
      ],
    },
    {
      name: 'an unknown capability to add',
      manifest: jobWithContainer({ securityContext: { capabilities: { add: ['net_admin', 'FLY'] } } }),
      want: [`${C0}.securityContext.capabilities.add[1]: Invalid value: "FLY": must be a Linux capability (e.g. "NET_ADMIN" or "CAP_CHOWN") or "ALL"`],
    },
  ])('$name (allowed server)', ({ manifest, want }) => {
    expect(messages(manifest, true)).toStrictEqual(want);
  });
});
