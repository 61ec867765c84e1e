/**
 * The little DER (ASN.1 Distinguished Encoding Rules) the local ACM needs: enough to build
 * X.509 v3 certificates and to read the parts of one that Node's `X509Certificate` does not
 * expose (the KeyUsage bits and the signature algorithm). Not a general ASN.1 library.
 */

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const encodeLength = (length: number): Buffer => {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};

/** One tag-length-value. */
export const tlv = (tag: number, content: Buffer): Buffer =>
  Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);

export const sequence = (...items: Buffer[]): Buffer => tlv(TAG.SEQUENCE, Buffer.concat(items));
export const set = (...items: Buffer[]): Buffer => tlv(TAG.SET, Buffer.concat(items));
export const nullValue = (): Buffer => tlv(TAG.NULL, Buffer.alloc(0));
export const boolean = (value: boolean): Buffer => tlv(TAG.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
export const octetString = (content: Buffer): Buffer => tlv(TAG.OCTET_STRING, content);
export const utf8String = (value: string): Buffer => tlv(TAG.UTF8_STRING, Buffer.from(value, 'utf8'));
export const printableString = (value: string): Buffer =>
  tlv(TAG.PRINTABLE_STRING, Buffer.from(value, 'ascii'));
/** A BIT STRING whose content is whole bytes (signatures, keys). */
export const bitString = (content: Buffer, unusedBits = 0): Buffer =>
  tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), content]));
/** Context-specific tag `[n]`, constructed (EXPLICIT wrapping) unless `primitive`. */
export const context = (n: number, content: Buffer, primitive = false): Buffer =>
  tlv((primitive ? 0x80 : 0xa0) | n, content);

/** A non-negative INTEGER from its big-endian magnitude (a leading 0 is added when the top bit is set). */
export const unsignedInteger = (magnitude: Buffer): Buffer => {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start += 1;
  const trimmed = magnitude.subarray(start);
  const needsPad = (trimmed[0] ?? 0) & 0x80;
  return tlv(TAG.INTEGER, needsPad ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
};

export const smallInteger = (value: number): Buffer => unsignedInteger(Buffer.from([value]));

export const oid = (dotted: string): Buffer => {
  const parts = dotted.split('.').map((p) => Number.parseInt(p, 10));
  const [first = 0, second = 0, ...rest] = parts;
  const bytes: number[] = [first * 40 + second];
  for (const part of rest) {
    const chunk: number[] = [];
    let value = part;
    do {
      chunk.unshift(value % 128);
      value = Math.floor(value / 128);
    } while (value > 0);
    for (let i = 0; i < chunk.length - 1; i += 1) chunk[i] = (chunk[i] ?? 0) | 0x80;
    bytes.push(...chunk);
  }
  return tlv(TAG.OID, Buffer.from(bytes));
};

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 on. */
export const time = (date: Date): Buffer => {
  const year = date.getUTCFullYear();
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(
    date.getUTCMinutes(),
  )}${pad(date.getUTCSeconds())}Z`;
  if (year >= 1950 && year < 2050)
    return tlv(TAG.UTC_TIME, Buffer.from(`${pad(year % 100)}${rest}`, 'ascii'));
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(`${pad(year, 4)}${rest}`, 'ascii'));
};

/** One decoded element: its tag, its content and where it ends in the buffer it came from. */
export interface DerElement {
  readonly tag: number;
  readonly content: Buffer;
  /** The whole element, header included. */
  readonly raw: Buffer;
}

/** Reads the element that starts at `offset`. Throws on truncated or indefinite-length input. */
export const readElement = (buffer: Buffer, offset = 0): DerElement => {
  const tag = buffer[offset];
  let lengthByte = buffer[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw new Error('DER: truncated element header');
  let cursor = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) throw new Error('DER: unsupported length encoding');
    length = 0;
    for (let i = 0; i < count; i += 1) {
      lengthByte = buffer[cursor + i];
      if (lengthByte === undefined) throw new Error('DER: truncated length');
      length = length * 256 + lengthByte;
    }
    cursor += count;
  }
  const end = cursor + length;
  if (end > buffer.length) throw new Error('DER: element runs past the end of its container');
  return { tag, content: buffer.subarray(cursor, end), raw: buffer.subarray(offset, end) };
};

/** The elements inside a constructed element's content. */
export const children = (content: Buffer): DerElement[] => {
  const out: DerElement[] = [];
  let offset = 0;
  while (offset < content.length) {
    const element = readElement(content, offset);
    out.push(element);
    offset += element.raw.length;
  }
  return out;
};

export const decodeOid = (content: Buffer): string => {
  const first = content[0] ?? 0;
  const parts: number[] = [Math.floor(first / 40), first % 40];
  let value = 0;
  for (const byte of content.subarray(1)) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
};
