import { describe, expect, it } from 'vitest';
import { MEDIA_JSON, MEDIA_PROTOBUF, MEDIA_YAML, negotiateInput, negotiateOutput, negotiateStream, parseAccept } from './negotiation.js';

const KUBECTL_GET = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const KUBECTL_TYPED = 'application/vnd.kubernetes.protobuf,application/json';
const TABLE_V1 = { kind: 'Table', group: 'meta.k8s.io', version: 'v1' };

describe('parseAccept (goautoneg)', () => {
  it('orders by q, then specific before wildcards, else as sent', () => {
    const clauses = parseAccept('*/*;q=0.8, text/*, application/yaml;q=0.9, application/json, text/html;level=1');
    expect(clauses.map((c) => `${c.type}/${c.subType};q=${c.q}`)).toEqual([
      'application/json;q=1',
      'text/html;q=1',
      'text/*;q=1',
      'application/yaml;q=0.9',
      '*/*;q=0.8',
    ]);
    expect(clauses[1]?.params).toEqual({ level: '1' });
  });

  it('skips what is not a media range', () => {
    expect(parseAccept('garbage, a/b/c, ,*')).toEqual([{ type: '*', subType: '*', q: 1, params: {} }]);
  });
});

describe('negotiateOutput (resource endpoints)', () => {
  it.each<{ accept: string | undefined; table?: boolean; want: unknown }>([
    { accept: undefined, want: { mediaType: MEDIA_JSON } },
    { accept: '', want: { mediaType: MEDIA_JSON } },
    { accept: 'application/json', want: { mediaType: MEDIA_JSON } },
    { accept: 'application/yaml', want: { mediaType: MEDIA_YAML } },
    { accept: 'application/vnd.kubernetes.protobuf', want: { mediaType: MEDIA_PROTOBUF } },
    // kubectl's typed commands (create job, create namespace, events, auth can-i)
    { accept: KUBECTL_TYPED, want: { mediaType: MEDIA_PROTOBUF } },
    { accept: 'application/json, */*', want: { mediaType: MEDIA_JSON } },
    { accept: '*/*', want: { mediaType: MEDIA_JSON } },
    { accept: 'application/*', want: { mediaType: MEDIA_JSON } },
    { accept: 'application/yaml, application/json', want: { mediaType: MEDIA_YAML } },
    { accept: 'application/json;q=0.5, application/vnd.kubernetes.protobuf', want: { mediaType: MEDIA_PROTOBUF } },
    { accept: '*/*;q=0.8, application/vnd.kubernetes.protobuf', want: { mediaType: MEDIA_PROTOBUF } },
    { accept: 'text/html, */*;q=0.1', want: { mediaType: MEDIA_JSON } },
    // q=0 is kept, last, as goautoneg does
    { accept: 'application/json;q=0', want: { mediaType: MEDIA_JSON } },
    { accept: 'text/html', want: undefined },
    { accept: 'garbage', want: undefined },
    { accept: 'application/cbor', want: undefined },
    // server-side printing: kubectl get
    { accept: KUBECTL_GET, want: { mediaType: MEDIA_JSON, convert: TABLE_V1 } },
    { accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io', want: { mediaType: MEDIA_JSON, convert: { ...TABLE_V1, version: 'v1beta1' } } },
    { accept: 'application/yaml;as=Table;v=v1;g=meta.k8s.io', want: { mediaType: MEDIA_YAML, convert: TABLE_V1 } },
    { accept: '*/*;as=Table;v=v1;g=meta.k8s.io', want: { mediaType: MEDIA_JSON, convert: TABLE_V1 } },
    // no Table in protobuf (Kubernetes' Table has no protobuf form), nor of another group, nor where nothing prints
    { accept: 'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io', want: undefined },
    { accept: 'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io, application/json', want: { mediaType: MEDIA_JSON } },
    { accept: 'application/json;as=Table;v=v1;g=example.com', want: undefined },
    { accept: KUBECTL_GET, table: false, want: { mediaType: MEDIA_JSON } },
    // conversions jobfleet does not make are skipped, not ignored
    { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io, application/json', want: { mediaType: MEDIA_JSON } },
    { accept: 'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io', want: undefined },
    // stream=watch only where there is a stream form; sv must be the meta version
    { accept: 'application/vnd.kubernetes.protobuf;stream=watch', want: { mediaType: MEDIA_PROTOBUF, stream: 'watch' } },
    { accept: 'application/yaml;stream=watch', want: undefined },
    { accept: 'application/json;stream=other', want: undefined },
    { accept: 'application/json;sv=v2', want: undefined },
    { accept: 'application/json;sv=v1;pretty=1;charset=utf-8', want: { mediaType: MEDIA_JSON } },
  ])('$accept (table: $table) → $want', ({ accept, table, want }) => {
    expect(negotiateOutput(accept, { table: table ?? true })).toEqual(want);
  });
});

describe('negotiateStream (watches)', () => {
  it.each<{ accept: string | undefined; want: string }>([
    { accept: undefined, want: MEDIA_JSON },
    { accept: KUBECTL_TYPED, want: MEDIA_PROTOBUF },
    { accept: 'application/vnd.kubernetes.protobuf;stream=watch', want: MEDIA_PROTOBUF },
    { accept: KUBECTL_GET, want: MEDIA_JSON },
  ])('$accept → $want', ({ accept, want }) => {
    expect(negotiateStream(accept, { table: true }).mediaType).toBe(want);
  });

  it.each(['application/yaml', 'application/yaml, application/json', 'text/html'])('%s → 406 naming the stream types', (accept) => {
    expect(() => negotiateStream(accept, { table: true })).toThrow(
      expect.objectContaining({
        code: 406,
        reason: 'NotAcceptable',
        message: 'only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch',
      }),
    );
  });
});

describe('negotiateInput (request bodies)', () => {
  it.each<{ contentType: string | undefined; want: string }>([
    { contentType: undefined, want: MEDIA_JSON },
    { contentType: '', want: MEDIA_JSON },
    { contentType: 'application/json', want: MEDIA_JSON },
    { contentType: 'application/json; charset=utf-8', want: MEDIA_JSON },
    { contentType: 'Application/YAML', want: MEDIA_YAML },
    { contentType: 'application/vnd.kubernetes.protobuf', want: MEDIA_PROTOBUF },
  ])('$contentType → $want', ({ contentType, want }) => {
    expect(negotiateInput(contentType)).toBe(want);
  });

  it.each(['text/plain', 'application/merge-patch+json', 'application/x-www-form-urlencoded', '*/*', 'garbage'])('%s → 415', (contentType) => {
    expect(() => negotiateInput(contentType)).toThrow(
      expect.objectContaining({
        code: 415,
        reason: 'UnsupportedMediaType',
        message: 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
      }),
    );
  });
});
