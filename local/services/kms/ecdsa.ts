import { createECDH, randomBytes } from 'node:crypto';

/**
 * ECDSA over a precomputed digest (KMS `MessageType: DIGEST`). Node's crypto only signs and
 * verifies messages it hashes itself, so this small BigInt implementation of SEC 1, 4.1.3 and
 * 4.1.4 signs and verifies a digest directly. Speed is irrelevant here (a few ms per call);
 * the tests check it against Node's own ECDSA on the same keys.
 */

interface Curve {
  p: bigint;
  a: bigint;
  n: bigint;
}
type Point = { x: bigint; y: bigint } | null;

const h = (hex: string) => BigInt(`0x${hex}`);

const P256P = h('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff');
const P384P = h(
  'fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff',
);
const P521P = (1n << 521n) - 1n;
const K1P = h('fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f');

const CURVES: Record<string, Curve> = {
  prime256v1: {
    p: P256P,
    a: P256P - 3n,
    n: h('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  },
  secp384r1: {
    p: P384P,
    a: P384P - 3n,
    n: h('ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
  },
  secp521r1: {
    p: P521P,
    a: P521P - 3n,
    n: h(
      '01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409',
    ),
  },
  secp256k1: {
    p: K1P,
    a: 0n,
    n: h('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141'),
  },
};

const mod = (a: bigint, m: bigint) => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

const inverse = (a: bigint, m: bigint): bigint => {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
};

const add = (c: Curve, p1: Point, p2: Point): Point => {
  if (p1 === null) return p2;
  if (p2 === null) return p1;
  let slope: bigint;
  if (p1.x === p2.x) {
    if (mod(p1.y + p2.y, c.p) === 0n) return null;
    slope = mod((3n * p1.x * p1.x + c.a) * inverse(2n * p1.y, c.p), c.p);
  } else {
    slope = mod((p2.y - p1.y) * inverse(p2.x - p1.x, c.p), c.p);
  }
  const x = mod(slope * slope - p1.x - p2.x, c.p);
  return { x, y: mod(slope * (p1.x - x) - p1.y, c.p) };
};

const multiply = (c: Curve, k: bigint, point: Point): Point => {
  let result: Point = null;
  let addend = point;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = add(c, result, addend);
    addend = add(c, addend, addend);
  }
  return result;
};

const bitLength = (n: bigint) => n.toString(2).length;

/**
 * k·G through OpenSSL (ECDH derives the public point of private scalar k), which is far faster
 * than the BigInt ladder; the ladder is still needed for u2·Q when verifying.
 */
const multiplyBase = (curveName: string, c: Curve, k: bigint): Point => {
  const size = Math.ceil(bitLength(c.p) / 8);
  const ecdh = createECDH(curveName);
  ecdh.setPrivateKey(Buffer.from(k.toString(16).padStart(size * 2, '0'), 'hex'));
  const point = ecdh.getPublicKey();
  return {
    x: h(point.subarray(1, 1 + size).toString('hex')),
    y: h(point.subarray(1 + size).toString('hex')),
  };
};

/** SEC 1, 4.1.3 step 5: the leftmost bits of the digest, as many as the order has. */
const digestToInt = (c: Curve, digest: Buffer): bigint => {
  let z = digest.length === 0 ? 0n : h(digest.toString('hex'));
  const excess = digest.length * 8 - bitLength(c.n);
  if (excess > 0) z >>= BigInt(excess);
  return z;
};

const curveOf = (name: string): Curve => {
  const c = CURVES[name];
  if (!c) throw new Error(`ECDSA over a digest is not implemented for curve ${name}`);
  return c;
};

const randomScalar = (n: bigint): bigint => {
  const bytes = Math.ceil(bitLength(n) / 8) + 8;
  // 64 extra bits make the modulo bias negligible (FIPS 186-5 A.2.1 "extra random bits").
  return mod(h(randomBytes(bytes).toString('hex')), n - 1n) + 1n;
};

const derInteger = (v: bigint): Buffer => {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02]), derLength(bytes.length), bytes]);
};

const derLength = (len: number): Buffer =>
  len < 0x80
    ? Buffer.from([len])
    : len < 0x100
      ? Buffer.from([0x81, len])
      : Buffer.from([0x82, len >> 8, len & 0xff]);

/** Reads a DER length at `offset`; returns [length, next offset] or null when malformed. */
const readLength = (buf: Buffer, offset: number): [number, number] | null => {
  const first = buf[offset];
  if (first === undefined) return null;
  if (first < 0x80) return [first, offset + 1];
  const count = first & 0x7f;
  if (count === 0 || count > 2 || offset + 1 + count > buf.length) return null;
  let len = 0;
  for (let i = 0; i < count; i++) len = (len << 8) | (buf[offset + 1 + i] ?? 0);
  return [len, offset + 1 + count];
};

const parseSignature = (sig: Buffer): { r: bigint; s: bigint } | null => {
  if (sig[0] !== 0x30) return null;
  const seq = readLength(sig, 1);
  if (!seq || seq[1] + seq[0] !== sig.length) return null;
  const ints: bigint[] = [];
  let at = seq[1];
  for (let i = 0; i < 2; i++) {
    if (sig[at] !== 0x02) return null;
    const len = readLength(sig, at + 1);
    if (!len || len[0] === 0 || len[1] + len[0] > sig.length) return null;
    ints.push(h(sig.subarray(len[1], len[1] + len[0]).toString('hex')));
    at = len[1] + len[0];
  }
  if (at !== sig.length) return null;
  const [r, s] = ints as [bigint, bigint];
  return { r, s };
};

/** Signs `digest` with private scalar `d` (hex) on `curveName`; returns a DER `ECDSA-Sig-Value`. */
export const ecdsaSignDigest = (curveName: string, dHex: string, digest: Buffer): Buffer => {
  const c = curveOf(curveName);
  const d = h(dHex);
  const z = digestToInt(c, digest);
  for (;;) {
    const k = randomScalar(c.n);
    const point = multiplyBase(curveName, c, k);
    if (point === null) continue;
    const r = mod(point.x, c.n);
    if (r === 0n) continue;
    const s = mod(inverse(k, c.n) * (z + r * d), c.n);
    if (s === 0n) continue;
    const body = Buffer.concat([derInteger(r), derInteger(s)]);
    return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
  }
};

/** Verifies a DER ECDSA signature over `digest` against public point (x, y) given in hex. */
export const ecdsaVerifyDigest = (
  curveName: string,
  xHex: string,
  yHex: string,
  digest: Buffer,
  signature: Buffer,
): boolean => {
  const c = curveOf(curveName);
  const parsed = parseSignature(signature);
  if (!parsed) return false;
  const { r, s } = parsed;
  if (r <= 0n || r >= c.n || s <= 0n || s >= c.n) return false;
  const w = inverse(s, c.n);
  const z = digestToInt(c, digest);
  const q: Point = { x: h(xHex), y: h(yHex) };
  const u1 = mod(z * w, c.n);
  const point = add(c, u1 === 0n ? null : multiplyBase(curveName, c, u1), multiply(c, mod(r * w, c.n), q));
  return point !== null && mod(point.x, c.n) === r;
};
