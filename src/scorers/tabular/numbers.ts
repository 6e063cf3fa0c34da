// Decimal text to double without making a string per value. Clinger's fast path is exact:
// a mantissa below 2^53 and a power of ten up to 10^22 are both exact doubles, so one
// multiplication or division rounds once, correctly. Everything else goes through Number().
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const MAX_EXACT = 2 ** 53;

const isSpace = (c: number) => c === 0x20 || c === 0x09;

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
  let mantissa = 0;
  let exact = true;
  let digits = 0;
  let exponent = 0;
  for (; i < e; i++) {
    const d = (buf[i] as number) - 0x30;
    if (d < 0 || d > 9) break;
    digits++;
    const next = mantissa * 10 + d;
    if (next >= MAX_EXACT) exact = false;
    else mantissa = next;
    if (!exact) exponent++;
  }
  if (i < e && buf[i] === 0x2e) {
    i++;
    for (; i < e; i++) {
      const d = (buf[i] as number) - 0x30;
      if (d < 0 || d > 9) break;
      digits++;
      if (exact) {
        const next = mantissa * 10 + d;
        if (next >= MAX_EXACT) exact = false;
        else {
          mantissa = next;
          exponent--;
        }
      }
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
  if (exact && exponent >= -22 && exponent <= 22) {
    const magnitude =
      exponent < 0
        ? mantissa / (POW10[-exponent] as number)
        : mantissa * (POW10[exponent] as number);
    return negative ? -magnitude : magnitude;
  }
  // Slow path: the grammar is already checked, so Number() sees only plain decimals.
  let text = "";
  for (let k = textStart; k < e; k++) text += String.fromCharCode(buf[k] as number);
  return Number(text);
}
