/**
 * The offset of the first byte of `bytes` that does not start or continue a well-formed
 * UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF),
 * or -1 when every byte does. `isUtf8` from node:buffer answers yes or no faster; this
 * runs only to say where a refused body or row went wrong.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    const length =
      lead >= 0xc2 && lead <= 0xdf
        ? 2
        : lead >= 0xe0 && lead <= 0xef
          ? 3
          : lead >= 0xf0 && lead <= 0xf4
            ? 4
            : 0;
    if (length === 0) return index;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const [low, high] =
      lead === 0xe0
        ? [0xa0, 0xbf]
        : lead === 0xed
          ? [0x80, 0x9f]
          : lead === 0xf0
            ? [0x90, 0xbf]
            : lead === 0xf4
              ? [0x80, 0x8f]
              : [0x80, 0xbf];
    for (let next = 1; next < length; next += 1) {
      const byte = bytes[index + next];
      const [min, max] = next === 1 ? [low, high] : [0x80, 0xbf];
      if (byte === undefined || byte < min || byte > max) return index;
    }
    index += length;
  }
  return -1;
}

/** `\uD800`–`\uDFFF` written as a JSON escape: where a lone surrogate can hide in valid UTF-8. */
const escapedSurrogate = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;

/**
 * The path (`payload.title`, `events.2.payload.name`) of the first string of a parsed
 * JSON body, key or value, that holds a lone surrogate: text that UTF-8 cannot store
 * without changing it (RFC 7493, I-JSON). Only escapes can produce one, so a body whose
 * bytes hold no escaped surrogate is not walked at all.
 */
export function loneSurrogatePath(rawBody: Buffer, body: unknown): string | undefined {
  if (rawBody.indexOf('\\u') === -1 || !escapedSurrogate.test(rawBody.toString('latin1')))
    return undefined;
  const stack: { value: unknown; path: string[]; isKey?: true }[] = [{ value: body, path: [] }];
  while (stack.length > 0) {
    const { value, path, isKey } = stack.pop()!;
    if (typeof value === 'string') {
      if (!value.isWellFormed()) return pathText(isKey ? [...path.slice(0, -1), '(key)'] : path);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    for (const [key, child] of Object.entries(value).reverse()) {
      const childPath = [...path, key];
      stack.push({ value: child, path: childPath });
      if (!Array.isArray(value)) stack.push({ value: key, path: childPath, isKey: true });
    }
  }
  return undefined;
}

function pathText(path: string[]): string {
  return path.length > 0 ? path.join('.') : '(root)';
}
