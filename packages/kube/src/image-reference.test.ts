import { describe, expect, it } from 'vitest';
import { IMAGE_NAME_MAX_LENGTH, parseImageReference } from './image-reference.js';

const HEX64 = 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff';

// Cases from distribution/reference's reference_test.go (TestReferenceParse), plus hostile ones.
describe('parseImageReference', () => {
  it.each([
    { ref: 'test_com', want: { name: 'test_com' } },
    { ref: 'test.com:tag', want: { name: 'test.com', tag: 'tag' } },
    { ref: 'test.com:5000', want: { name: 'test.com', tag: '5000' } },
    { ref: 'test.com/repo:tag', want: { domain: 'test.com', name: 'test.com/repo', tag: 'tag' } },
    { ref: 'test:5000/repo', want: { domain: 'test:5000', name: 'test:5000/repo' } },
    { ref: 'test:5000/repo:tag', want: { domain: 'test:5000', name: 'test:5000/repo', tag: 'tag' } },
    { ref: `test:5000/repo@sha256:${HEX64}`, want: { domain: 'test:5000', name: 'test:5000/repo', digest: `sha256:${HEX64}` } },
    { ref: `test:5000/repo:tag@sha256:${HEX64}`, want: { domain: 'test:5000', name: 'test:5000/repo', tag: 'tag', digest: `sha256:${HEX64}` } },
    { ref: 'lowercase:Uppercase', want: { name: 'lowercase', tag: 'Uppercase' } },
    { ref: 'sub-dom1.foo.com/bar/baz/quux', want: { domain: 'sub-dom1.foo.com', name: 'sub-dom1.foo.com/bar/baz/quux' } },
    { ref: 'foo_bar.com:8080', want: { name: 'foo_bar.com', tag: '8080' } },
    { ref: 'foo/foo_bar.com:8080', want: { name: 'foo/foo_bar.com', tag: '8080' } },
    { ref: '[2001:db8::1]:5000/repo', want: { domain: '[2001:db8::1]:5000', name: '[2001:db8::1]:5000/repo' } },
    { ref: 'localhost/repo', want: { domain: 'localhost', name: 'localhost/repo' } },
    { ref: 'xn--n3h.com/myimage:xn--n3h.com', want: { domain: 'xn--n3h.com', name: 'xn--n3h.com/myimage', tag: 'xn--n3h.com' } },
    { ref: 'a__b---c.d_e', want: { name: 'a__b---c.d_e' } },
    { ref: 'busybox', want: { name: 'busybox' } },
  ])('accepts $ref', ({ ref, want }) => {
    expect(parseImageReference(ref)).toEqual(want);
  });

  it.each([
    '',
    ':justtag',
    `@sha256:${HEX64}`,
    `repo@sha256:${HEX64.slice(0, 31)}`,
    `validname@invaliddigest:${HEX64}`.replace('invaliddigest', '1nvalid'),
    'Uppercase:tag',
    'aa/asdf$$^/aa',
    'a:b:c',
    '-foo',
    'foo-',
    'foo//bar',
    '.foo',
    'foo/',
    HEX64,
    `${'a/'.repeat(127)}ab`,
    'a'.repeat(IMAGE_NAME_MAX_LENGTH + 1),
    // Hostile: path traversal and a registry smuggled into the Docker Engine API path.
    'busybox/../../../nonexistent.invalid/x',
    'busybox/../../../127.0.0.1:9999/x',
    '../busybox',
    'busybox/..',
    'busybox?x=1',
    'busybox#frag',
    'busybox%2F..%2Fx',
    'busy box',
    'busybox\n',
    'busybox\u0000',
    'bu\u00dfybox',
    'busybox:' + 'a'.repeat(129),
    'x'.repeat(5000),
  ])('refuses %j', (ref) => {
    expect(parseImageReference(ref)).toBeUndefined();
  });

  it('accepts a name of exactly 255 characters and a 128-character tag', () => {
    expect(parseImageReference(`${'a'.repeat(IMAGE_NAME_MAX_LENGTH)}:${'t'.repeat(128)}`)?.name).toHaveLength(IMAGE_NAME_MAX_LENGTH);
  });
});
