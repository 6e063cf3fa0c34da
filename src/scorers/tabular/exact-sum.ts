// Correctly rounded summation (Shewchuk's algorithm, as Python's math.fsum). Sums no longer
// depend on row order, so shuffling a file cannot change a score, and they sit within half
// an ulp of the exact value, well inside the 1e-9 parity budget against NumPy.

/** Non-overlapping partials of finite doubles never exceed ~40; keep headroom. */
const MAX_PARTIALS = 80;

export class ExactSum {
  private readonly partials = new Float64Array(MAX_PARTIALS);
  private count = 0;
  /** Infinities and NaN bypass the partials, as in fsum. */
  private special = 0;

  add(value: number): void {
    let x = value;
    if (!Number.isFinite(x)) {
      this.special += x;
      return;
    }
    const p = this.partials;
    const n = this.count;
    let i = 0;
    for (let j = 0; j < n; j++) {
      let y = p[j] as number;
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    if (!Number.isFinite(x)) {
      // The running sum overflowed: fsum raises; we report an infinite sum.
      this.special += x;
      this.count = 0;
      return;
    }
    p[i] = x;
    this.count = i + 1;
  }

  value(): number {
    if (this.special !== 0 || Number.isNaN(this.special)) return this.special;
    const p = this.partials;
    let n = this.count;
    if (n === 0) return 0;
    let hi = p[--n] as number;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n] as number;
      hi = x + y;
      const yr = hi - x;
      lo = y - yr;
      if (lo !== 0) break;
    }
    // Round half to even across the remaining partials, as fsum does.
    if (n > 0 && ((lo < 0 && (p[n - 1] as number) < 0) || (lo > 0 && (p[n - 1] as number) > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }
}
