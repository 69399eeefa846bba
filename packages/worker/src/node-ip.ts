/**
 * The address a worker reports as its pods' status.hostIP and its Node's InternalIP: `--node-ip`
 * (JOBFLEET_NODE_IP) when given, else, as the kubelet's default (ChooseHostInterface), the IPv4
 * address of the interface that holds the default route.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** Interfaces of Docker's own networks: a host's bridge is not where other hosts reach it. */
const CONTAINER_INTERFACES = /^(docker\d*|br-|veth|cni|flannel|virbr)/;

/** The interfaces of the default route in /proc/net/route's text (Destination 00000000, flag RTF_UP). */
export function defaultRouteInterfaces(routeTable: string): string[] {
  const out: string[] = [];
  for (const line of routeTable.split('\n').slice(1)) {
    const [iface, destination, , flags] = line.trim().split(/\s+/);
    if (iface && destination === '00000000' && (Number.parseInt(flags ?? '0', 16) & 1) === 1 && !out.includes(iface)) out.push(iface);
  }
  return out;
}

/**
 * The node's address from its interfaces: the first IPv4 of a default-route interface, else the
 * first global IPv4 of an interface that is not a container network's, else loopback.
 */
export function chooseNodeIP(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>, defaultRoute: readonly string[]): string {
  const ipv4 = (name: string) => (interfaces[name] ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address;
  for (const name of defaultRoute) {
    const address = ipv4(name);
    if (address) return address;
  }
  for (const name of Object.keys(interfaces)) {
    if (CONTAINER_INTERFACES.test(name)) continue;
    const address = ipv4(name);
    if (address) return address;
  }
  return '127.0.0.1';
}

/** `configured` when set (it must be an IP address), else the detected address. */
export function nodeIP(configured: string | undefined): string {
  const value = configured?.trim();
  if (value) {
    if (isIP(value) === 0) throw new Error(`the node IP must be an IPv4 or IPv6 address (--node-ip, JOBFLEET_NODE_IP), got "${value}"`);
    return value;
  }
  let routes = '';
  try {
    routes = readFileSync('/proc/net/route', 'utf8');
  } catch {
    // Not Linux: the interfaces alone decide.
  }
  return chooseNodeIP(networkInterfaces(), defaultRouteInterfaces(routes));
}
