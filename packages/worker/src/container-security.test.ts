/** The pod security fields as Docker create options (pure: no Docker needed). */
import { describe, expect, it } from 'vitest';
import type { Container, Pod, PodSpec } from '@jobfleet/kube';
import {
  containerCreateOptions,
  effectiveUser,
  infraCreateOptions,
  verifyRunAsNonRoot,
  type ContainerPlacement,
} from './container-config.js';

function pod(spec: Partial<PodSpec> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pi-abcde', namespace: 'default', uid: 'uid-1' },
    spec: { containers: [container()], restartPolicy: 'Never', ...spec },
    status: { phase: 'Pending' },
  };
}

function container(extra: Partial<Container> = {}): Container {
  return { name: 'main', image: 'busybox', command: ['sh', '-c', 'id'], ...extra };
}

const placement = (extra: Partial<ContainerPlacement> = {}): ContainerPlacement => ({ nodeName: 'node-1', volumes: new Map(), ...extra });

describe('containerCreateOptions: security', () => {
  it('sets nothing security-related for a plain container', () => {
    const options = containerCreateOptions(pod(), container(), placement());
    expect(options.User).toBeUndefined();
    expect(options.Hostname).toBe('pi-abcde');
    expect(options.HostConfig).toStrictEqual({ Binds: [], RestartPolicy: { Name: 'no' } });
  });

  it.each<{ name: string; spec: Partial<PodSpec>; c: Partial<Container>; user: string | undefined }>([
    { name: 'container runAsUser', spec: {}, c: { securityContext: { runAsUser: 65534 } }, user: '65534' },
    { name: 'container runAsUser and runAsGroup', spec: {}, c: { securityContext: { runAsUser: 1000, runAsGroup: 2000 } }, user: '1000:2000' },
    { name: 'pod runAsUser and runAsGroup', spec: { securityContext: { runAsUser: 10, runAsGroup: 20 } }, c: {}, user: '10:20' },
    {
      name: "the container's values override the pod's",
      spec: { securityContext: { runAsUser: 10, runAsGroup: 20 } },
      c: { securityContext: { runAsUser: 11 } },
      user: '11:20',
    },
    { name: 'runAsGroup alone keeps the image user (root here)', spec: {}, c: { securityContext: { runAsGroup: 5 } }, user: '0:5' },
    { name: 'runAsUser 0', spec: {}, c: { securityContext: { runAsUser: 0 } }, user: '0' },
  ])('User for $name', ({ spec, c, user }) => {
    const p = pod(spec);
    expect(containerCreateOptions(p, container(c), placement()).User).toBe(user);
  });

  it('runAsGroup alone keeps the user the image names', () => {
    const c = container({ securityContext: { runAsGroup: 7 } });
    expect(effectiveUser(pod(), c, 'app:app')).toBe('app:7');
    const users = new Map([['busybox', '1000']]);
    expect(containerCreateOptions(pod(), c, placement({ imageUsers: users })).User).toBe('1000:7');
  });

  it('maps readOnlyRootFilesystem, allowPrivilegeEscalation: false and capabilities.drop', () => {
    const c = container({ securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } });
    expect(containerCreateOptions(pod(), c, placement()).HostConfig).toMatchObject({
      ReadonlyRootfs: true,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
    });
  });

  it('leaves the defaults alone for allowPrivilegeEscalation: true, privileged: false and empty lists', () => {
    const c = container({ securityContext: { allowPrivilegeEscalation: true, privileged: false, readOnlyRootFilesystem: false, capabilities: { add: [], drop: [] } } });
    expect(containerCreateOptions(pod(), c, placement()).HostConfig).toStrictEqual({ Binds: [], RestartPolicy: { Name: 'no' } });
  });

  it('maps privileged and capabilities.add', () => {
    const c = container({ securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN', 'SYS_TIME'], drop: ['MKNOD'] } } });
    expect(containerCreateOptions(pod(), c, placement()).HostConfig).toMatchObject({
      Privileged: true,
      CapAdd: ['NET_ADMIN', 'SYS_TIME'],
      CapDrop: ['MKNOD'],
    });
  });

  it('puts a single-container pod with hostNetwork, hostPID and hostIPC in the host namespaces, without its own host name', () => {
    const options = containerCreateOptions(pod({ hostNetwork: true, hostPID: true, hostIPC: true }), container(), placement());
    expect(options.Hostname).toBeUndefined();
    expect(options.HostConfig).toMatchObject({ NetworkMode: 'host', PidMode: 'host', IpcMode: 'host' });
  });

  it("gives a multi-container pod's infra container the host network, and the containers join it", () => {
    const p = pod({ hostNetwork: true, containers: [container(), container({ name: 'side' })] });
    const infra = infraCreateOptions(p, { a: 'b' }, 'busybox:latest');
    expect(infra.HostConfig).toMatchObject({ NetworkMode: 'host' });
    expect(infra.Hostname).toBeUndefined();
    const options = containerCreateOptions(p, container(), placement({ networkMode: 'container:infra' }));
    expect(options.HostConfig?.NetworkMode).toBe('container:infra');
    expect(options.Hostname).toBeUndefined();
  });

  it('keeps the infra container in its own network namespace without hostNetwork', () => {
    const infra = infraCreateOptions(pod(), {}, 'busybox:latest');
    expect(infra.Hostname).toBe('pi-abcde');
    expect(infra.HostConfig).toStrictEqual({ RestartPolicy: { Name: 'no' } });
  });
});

describe('containerCreateOptions: volumes', () => {
  const volumes: PodSpec['volumes'] = [
    { name: 'scratch', emptyDir: {} },
    { name: 'data', hostPath: { path: '/srv/data', type: '' } },
    { name: 'made', hostPath: { path: '/srv/new/', type: 'DirectoryOrCreate' } },
    { name: 'sock', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } },
  ];

  it('binds emptyDir volumes and host paths Docker may create, and mounts the host paths that must exist', () => {
    const c = container({
      volumeMounts: [
        { name: 'scratch', mountPath: '/scratch' },
        { name: 'data', mountPath: '/data', readOnly: true },
        { name: 'made', mountPath: '/made', subPath: 'sub/dir' },
        { name: 'sock', mountPath: '/var/run/docker.sock' },
      ],
    });
    const options = containerCreateOptions(pod({ volumes }), c, placement({ volumes: new Map([['scratch', 'jf_uid-1_scratch']]) }));
    expect(options.HostConfig?.Binds).toStrictEqual(['jf_uid-1_scratch:/scratch', '/srv/data:/data:ro', '/srv/new/sub/dir:/made']);
    expect(options.HostConfig?.Mounts).toStrictEqual([{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock', ReadOnly: false }]);
  });
});

describe('verifyRunAsNonRoot', () => {
  const where = '(pod: "pi-abcde_default(uid-1)", container: main)';

  it.each<{ name: string; spec: Partial<PodSpec>; c: Partial<Container>; imageUser: string; want: string | undefined }>([
    { name: 'no runAsNonRoot', spec: {}, c: {}, imageUser: '', want: undefined },
    { name: 'runAsNonRoot false', spec: {}, c: { securityContext: { runAsNonRoot: false } }, imageUser: '', want: undefined },
    {
      name: 'an image that runs as root',
      spec: {},
      c: { securityContext: { runAsNonRoot: true } },
      imageUser: '',
      want: `container has runAsNonRoot and image will run as root ${where}`,
    },
    {
      name: 'an image whose user is 0',
      spec: { securityContext: { runAsNonRoot: true } },
      c: {},
      imageUser: '0:0',
      want: `container has runAsNonRoot and image will run as root ${where}`,
    },
    { name: 'an image with a numeric user', spec: {}, c: { securityContext: { runAsNonRoot: true } }, imageUser: '1000', want: undefined },
    {
      name: 'an image with a user name',
      spec: {},
      c: { securityContext: { runAsNonRoot: true } },
      imageUser: 'nobody',
      want: `container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root ${where}`,
    },
    { name: 'a non-zero runAsUser', spec: {}, c: { securityContext: { runAsNonRoot: true, runAsUser: 65534 } }, imageUser: '', want: undefined },
    {
      name: 'runAsUser 0',
      spec: { securityContext: { runAsUser: 0 } },
      c: { securityContext: { runAsNonRoot: true } },
      imageUser: '1000',
      want: `container's runAsUser breaks non-root policy ${where}`,
    },
    {
      name: "the container's runAsNonRoot false overrides the pod's",
      spec: { securityContext: { runAsNonRoot: true } },
      c: { securityContext: { runAsNonRoot: false } },
      imageUser: '',
      want: undefined,
    },
  ])('$name', ({ spec, c, imageUser, want }) => {
    expect(verifyRunAsNonRoot(pod(spec), container(c), imageUser)).toBe(want);
  });
});
