// Decimal text to double without making a string per value, and always the double that
// Number() would give (correct rounding), so metrics match peers that parse with strtod.
//
// Up to 15 significant digits, Clinger's fast path is exact: the mantissa and a power of ten
// up to 10^22 are exact doubles, so one multiplication or division rounds once. Values
// printed with 16–19 digits (every shortest round-trip double) divide an exact double-double
// mantissa by 10^k; the quotient is then known to ~2^-100, which decides the rounding unless
// it lies within that margin of a tie. Those rare cases, and every other shape, go through
// Number() on the text.
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX_EXACT = 2 ** 53;
/** Dekker's splitter for exact products without FMA. */
const SPLITTER = 2 ** 27 + 1;

/** Node's Buffer has a native latin1 decoder that @types/node does not declare. */
type LatinSlice = Buffer & { latin1Slice(start: number, end: number): string };

const isSpace = (c: number) => c === 0x20 || c === 0x09;

let productLow = 0;
/** a·b rounded; the exact error is left in productLow (Dekker's TwoProduct). */
function twoProduct(a: number, b: number): number {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  productLow = al * bl - (p - ah * bh - al * bh - ah * bl);
  return p;
}

/** The unit in the last place of a positive normal double. */
function ulp(x: number): number {
  let e = Math.floor(Math.log2(x));
  if (2 ** e > x) e--;
  else if (2 ** (e + 1) <= x) e++;
  return 2 ** (e - 52);
}

/** W / 10^k correctly rounded, W = hi·10^loDigits + lo exactly, or NaN when undecided. */
function divideExact(hi: number, loDigits: number, lo: number, k: number): number {
  // W as an exact double-double (wh, wl): every part is an integer below 2^64.
  const ph = twoProduct(hi, POW10[loDigits] as number);
  const pl = productLow;
  const s = ph + lo;
  const e1 = lo - (s - ph);
  const tail = pl + e1;
  const wh = s + tail;
  const wl = tail - (wh - s);
  const d = POW10[k] as number;
  const q1 = wh / d;
  const p = twoProduct(q1, d);
  const remainder = wh - p - productLow + wl;
  const q2 = remainder / d;
  const sum = q1 + q2;
  const err = q2 - (sum - q1);
  const half = ulp(sum) / 2;
  // Too near a tie (or at a binade edge, where the ulp below differs) to decide here.
  if (Math.abs(Math.abs(err) - half) <= sum * 2 ** -90 || Math.abs(err) >= half) return Number.NaN;
  return sum;
}

/** The value of a decimal number in buf[start, end), or NaN when the text is not one. */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let e = end;
  while (i < e && isSpace(buf[i] as number)) i++;
  while (e > i && isSpace(buf[e - 1] as number)) e--;
  if (i === e) return Number.NaN;
  const textStart = i;
  let negative = false;
  if (buf[i] === 0x2d || buf[i] === 0x2b) {
    negative = buf[i] === 0x2d;
    i++;
  }
  // Significant digits: the first 15 in `hi`, the next 4 in `lo`; more make `tail`.
  let hi = 0;
  let lo = 0;
  let loDigits = 0;
  let significant = 0;
  let digits = 0;
  let exponent = 0;
  let tail = false;
  let fraction = false;
  for (; i < e; i++) {
    const c = buf[i] as number;
    if (c === 0x2e && !fraction) {
      fraction = true;
      continue;
    }
    const d = c - 0x30;
    if (d < 0 || d > 9) break;
    digits++;
    if (significant === 0 && d === 0) {
      if (fraction) exponent--;
      continue;
    }
    if (significant < 15) {
      hi = hi * 10 + d;
      significant++;
      if (fraction) exponent--;
    } else if (significant < 19) {
      lo = lo * 10 + d;
      loDigits++;
      significant++;
      if (fraction) exponent--;
    } else {
      if (!fraction) exponent++;
      if (d !== 0) tail = true;
    }
  }
  if (digits === 0) return Number.NaN;
  if (i < e && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    let expNegative = false;
    if (i < e && (buf[i] === 0x2d || buf[i] === 0x2b)) {
      expNegative = buf[i] === 0x2d;
      i++;
    }
    let expDigits = 0;
    let explicit = 0;
    for (; i < e; i++) {
      const d = (buf[i] as number) - 0x30;
      if (d < 0 || d > 9) break;
      expDigits++;
      if (explicit < 100_000) explicit = explicit * 10 + d;
    }
    if (expDigits === 0) return Number.NaN;
    exponent += expNegative ? -explicit : explicit;
  }
  if (i !== e) return Number.NaN;
  let magnitude = Number.NaN;
  if (!tail) {
    const whole = hi * (POW10[loDigits] as number) + lo;
    if (whole < MAX_EXACT) {
      if (exponent >= -22 && exponent <= 22) {
        magnitude =
          exponent < 0 ? whole / (POW10[-exponent] as number) : whole * (POW10[exponent] as number);
      }
    } else if (exponent < 0 && exponent >= -22) {
      magnitude = divideExact(hi, loDigits, lo, -exponent);
    } else if (exponent === 0) {
      magnitude = Number.NaN;
    }
  }
  if (!Number.isNaN(magnitude)) return negative ? -magnitude : magnitude;
  // Slow path: the grammar is checked, so Number() sees only plain decimals. Buffers
  // decode natively; other arrays by hand.
  if (buf instanceof Buffer) return Number((buf as LatinSlice).latin1Slice(textStart, e));
  let text = "";
  for (let k = textStart; k < e; k++) text += String.fromCharCode(buf[k] as number);
  return Number(text);
}
