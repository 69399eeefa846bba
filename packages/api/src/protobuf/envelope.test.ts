/**
 * Hostile protobuf bodies: whatever the bytes, decodeObject answers an object or a 400/413
 * JobfleetError (a Status), never another error, a deep recursion or a long stall.
 */
import { JobfleetError, MAX_TOKENS } from '@jobfleet/kube';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { checkWire, decodeObject, encodeObject, PROTOBUF_MAGIC } from './envelope.js';
import { protobufSchema } from './schema.js';

const JOB = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'pi', labels: { a: 'b' }, creationTimestamp: '2026-01-02T03:04:05Z' },
  spec: {
    backoffLimit: 2,
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['echo', 'hi'], resources: { limits: { cpu: '1' } } }] } },
  },
};

/** The Status a request gets for this body: an object decoded, or the error's code and message. */
function outcome(body: Uint8Array): { code: number; message: string } | 'decoded' {
  try {
    decodeObject(body);
    return 'decoded';
  } catch (err) {
    if (!(err instanceof JobfleetError)) throw new Error(`not a Status error for ${Buffer.from(body).toString('hex').slice(0, 200)}: ${String(err)}`);
    return { code: err.code, message: err.message };
  }
}

function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const unknown = protobufSchema().type('k8s.io.apimachinery.pkg.runtime.Unknown').encode({ typeMeta: { apiVersion, kind }, raw }).finish();
  return Buffer.concat([PROTOBUF_MAGIC, unknown]);
}

/** A small deterministic PRNG (mulberry32): the same bytes on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('malformed bodies are 400 with what is wrong', () => {
  it.each<{ name: string; body: Uint8Array; message: RegExp }>([
    { name: 'JSON sent as protobuf', body: Buffer.from('{"kind":"Job"}'), message: /does not appear to be a protobuf message, expected prefix \[107 56 115 0\]/ },
    { name: 'the magic alone', body: PROTOBUF_MAGIC, message: /Object 'Kind' is missing/ },
    { name: 'a kind jobfleet does not serve', body: envelope('apps/v1', 'Deployment', new Uint8Array()), message: /no kind "Deployment" is registered for version "apps\/v1"/ },
    { name: 'a kind of another version', body: envelope('batch/v1beta1', 'Job', new Uint8Array()), message: /no kind "Job" is registered/ },
    { name: 'a truncated object', body: encodeObject(JOB).subarray(0, 60), message: /error decoding Unknown: unexpected end of data/ },
    { name: 'a length past the end', body: envelope('batch/v1', 'Job', Buffer.from([0x0a, 0x7f, 0x0a])), message: /error decoding Job: unexpected end of data/ },
    { name: 'a group (wire type 3), which protobufjs would skip by recursion', body: envelope('batch/v1', 'Job', Buffer.from([0x0b, 0x0b, 0x0b, 0x0c, 0x0c, 0x0c])), message: /wire type 3 is not supported/ },
    { name: 'field number 0', body: envelope('batch/v1', 'Job', Buffer.from([0x02, 0x00])), message: /illegal tag 0/ },
    { name: 'a varint of 11 bytes', body: envelope('batch/v1', 'Job', Buffer.from([0x08, ...new Array(11).fill(0xff), 0x01])), message: /varint overflows/ },
    { name: 'a string field that is not UTF-8 where a message is', body: envelope('batch/v1', 'Job', Buffer.from([0x0a, 0x02, 0xff, 0xff])), message: /error decoding/ },
    { name: 'a time out of Go\'s range', body: encodeBadTime(), message: /year outside of range/ },
    { name: 'embedded JSON (managedFields[].fieldsV1) nested too deep', body: encodeDeepFields(), message: /nests more than 100 levels deep/ },
  ])('$name', ({ body, message }) => {
    const result = outcome(body);
    expect(result).not.toBe('decoded');
    expect(result).toMatchObject({ code: 400, message: expect.stringMatching(message) });
  });

  it('past MAX_TOKENS fields: 413, counted before anything is built', () => {
    // A Job whose one container has MAX_TOKENS + 1 empty command arguments: 2 bytes each.
    const container = Buffer.concat([Buffer.from([0x0a, 0x01, 0x61]), Buffer.alloc((MAX_TOKENS + 1) * 2, Buffer.from([0x1a, 0x00]))]);
    const podSpec = Buffer.concat([Buffer.from([0x12]), varint(container.length), container]);
    const template = Buffer.concat([Buffer.from([0x12]), varint(podSpec.length), podSpec]);
    const spec = Buffer.concat([Buffer.from([0x32]), varint(template.length), template]);
    const job = Buffer.concat([Buffer.from([0x12]), varint(spec.length), spec]);
    const started = performance.now();
    expect(outcome(envelope('batch/v1', 'Job', job))).toMatchObject({ code: 413, message: expect.stringContaining(`more than ${MAX_TOKENS} fields`) });
    console.log(`413 for a ${job.length}-byte body in ${(performance.now() - started).toFixed(0)} ms`);
  });

  it('nesting past the bound is a 400 (checked iteratively)', () => {
    const type = protobufSchema().type('k8s.io.api.batch.v1.Job');
    const { raw } = protobufSchema().type('k8s.io.apimachinery.pkg.runtime.Unknown').decode(encodeObject(JOB).subarray(PROTOBUF_MAGIC.length)) as unknown as { raw: Uint8Array };
    expect(() => checkWire(type, raw, { maxDepth: 4, maxFields: 1000 })).toThrow(/nests more than 4 levels deep/);
    expect(() => checkWire(type, raw, { maxDepth: 100, maxFields: 1000 })).not.toThrow();
  });
});

describe('fuzz', () => {
  it('random bytes, and random damage to a valid Job, never get anything but an object or a 400/413', () => {
    const rand = random(12);
    const valid = encodeObject(JOB);
    const started = performance.now();
    let decoded = 0;
    for (let i = 0; i < 3000; i++) {
      let body: Buffer;
      if (i % 3 === 0) {
        body = Buffer.concat([PROTOBUF_MAGIC, Buffer.from(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)))]);
      } else {
        body = Buffer.from(valid);
        const damage = 1 + Math.floor(rand() * 4);
        for (let d = 0; d < damage; d++) {
          const at = PROTOBUF_MAGIC.length + Math.floor(rand() * (body.length - PROTOBUF_MAGIC.length));
          const what = rand();
          if (what < 0.5) body[at] = Math.floor(rand() * 256);
          else if (what < 0.75) body = body.subarray(0, at);
          else body = Buffer.concat([body.subarray(0, at), Buffer.from([Math.floor(rand() * 256)]), body.subarray(at)]);
        }
      }
      const result = outcome(body);
      if (result === 'decoded') decoded++;
      else expect([400, 413]).toContain(result.code);
    }
    const ms = performance.now() - started;
    console.log(`3000 hostile bodies in ${ms.toFixed(0)} ms (${decoded} still decoded)`);
    expect(ms).toBeLessThan(30_000);
  });

  it('random well-framed messages of every kind served (fields of the wrong wire type, unknown fields, odd values)', () => {
    const rand = random(7);
    const kinds: [string, string, string][] = [
      ['batch/v1', 'Job', 'k8s.io.api.batch.v1.Job'],
      ['batch/v1', 'CronJob', 'k8s.io.api.batch.v1.CronJob'],
      ['v1', 'Pod', 'k8s.io.api.core.v1.Pod'],
      ['v1', 'Namespace', 'k8s.io.api.core.v1.Namespace'],
      ['batch/v1', 'DeleteOptions', 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions'],
      ['authorization.k8s.io/v1', 'SelfSubjectAccessReview', 'k8s.io.api.authorization.v1.SelfSubjectAccessReview'],
      ['policy/v1', 'Eviction', 'k8s.io.api.policy.v1.Eviction'],
    ];
    const started = performance.now();
    let decoded = 0;
    for (let i = 0; i < 3000; i++) {
      const [apiVersion, kind, name] = kinds[i % kinds.length] as [string, string, string];
      const result = outcome(envelope(apiVersion, kind, randomMessage(protobufSchema().type(name), rand, 1)));
      if (result === 'decoded') decoded++;
      else expect([400, 413]).toContain(result.code);
    }
    console.log(`3000 random messages in ${(performance.now() - started).toFixed(0)} ms (${decoded} decoded)`);
  });
});

/** A random message on the wire for `type`: its fields (sometimes with the wrong wire type) or unknown ones, nested a few levels. */
function randomMessage(type: protobuf.Type, rand: () => number, depth: number): Buffer {
  const parts: Buffer[] = [];
  const count = Math.floor(rand() * 6);
  for (let i = 0; i < count; i++) {
    const field = rand() < 0.9 ? type.fieldsArray[Math.floor(rand() * type.fieldsArray.length)] : undefined;
    const number = field?.id ?? 1 + Math.floor(rand() * 40);
    const nested = field?.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    const natural = nested || field?.type === 'string' || field?.type === 'bytes' ? 2 : 0;
    const wire = rand() < 0.8 ? natural : [0, 1, 2, 5][Math.floor(rand() * 4)] as number;
    parts.push(varint(number * 8 + wire));
    if (wire === 0) parts.push(varint(rand() < 0.2 ? 2 ** 52 + Math.floor(rand() * 1e6) : Math.floor(rand() * 300)));
    else if (wire === 1) parts.push(Buffer.from(Array.from({ length: 8 }, () => Math.floor(rand() * 256))));
    else if (wire === 5) parts.push(Buffer.from(Array.from({ length: 4 }, () => Math.floor(rand() * 256))));
    else {
      const body = nested && depth < 5 && rand() < 0.8 ? randomMessage(nested, rand, depth + 1) : Buffer.from(Array.from({ length: Math.floor(rand() * 12) }, () => Math.floor(rand() * 256)));
      parts.push(varint(body.length), body);
    }
  }
  return Buffer.concat(parts);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

function encodeDeepFields(): Buffer {
  const schema = protobufSchema();
  const deep = `${'{"f:a":'.repeat(5000)}{}${'}'.repeat(5000)}`;
  const meta = schema.type('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta').encode({ name: 'x', managedFields: [{ manager: 'm', fieldsV1: { Raw: Buffer.from(deep) } }] }).finish();
  return envelope('v1', 'Namespace', Buffer.concat([Buffer.from([0x0a]), varint(meta.length), meta]));
}

function encodeBadTime(): Buffer {
  const schema = protobufSchema();
  const meta = schema.type('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta').encode({ name: 'x', creationTimestamp: { seconds: 1e15 } }).finish();
  return envelope('v1', 'Namespace', Buffer.concat([Buffer.from([0x0a]), varint(meta.length), meta]));
}
