/** The node's address: configured, else the default route's interface, as the kubelet chooses it. */
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { chooseNodeIP, defaultRouteInterfaces, nodeIP } from './node-ip.js';

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, family: 'IPv4', internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: `${address}/24` });
const v6 = (address: string): NetworkInterfaceInfo => ({ address, family: 'IPv6', internal: false, netmask: 'ffff::', mac: '00:00:00:00:00:00', cidr: `${address}/64`, scopeid: 0 });

const ROUTES = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
eth1\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
down0\t00000000\t0102A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0
`;

describe('node IP', () => {
  it('reads the default route interfaces (up routes to 0.0.0.0 only)', () => {
    expect(defaultRouteInterfaces(ROUTES)).toStrictEqual(['eth1']);
    expect(defaultRouteInterfaces('')).toStrictEqual([]);
  });

  it.each<{ name: string; interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>; routes: string[]; want: string }>([
    { name: 'the default route interface wins', interfaces: { lo: [v4('127.0.0.1', true)], eth0: [v4('192.168.2.5')], eth1: [v6('fe80::1'), v4('10.0.0.7')] }, routes: ['eth1'], want: '10.0.0.7' },
    { name: 'no default route: the first interface that is not Docker\'s', interfaces: { docker0: [v4('172.17.0.1')], 'br-1234': [v4('172.18.0.1')], eth0: [v4('192.168.2.5')] }, routes: [], want: '192.168.2.5' },
    { name: 'nothing but loopback', interfaces: { lo: [v4('127.0.0.1', true)] }, routes: [], want: '127.0.0.1' },
  ])('$name', ({ interfaces, routes, want }) => expect(chooseNodeIP(interfaces, routes)).toBe(want));

  it('takes a configured address as given and refuses one that is not an address', () => {
    expect(nodeIP(' 10.1.2.3 ')).toBe('10.1.2.3');
    expect(nodeIP('fd00::5')).toBe('fd00::5');
    expect(() => nodeIP('my-host')).toThrow('the node IP must be an IPv4 or IPv6 address (--node-ip, JOBFLEET_NODE_IP), got "my-host"');
    expect(nodeIP(undefined)).toMatch(/^[0-9.]+$/);
  });
});
