// Correctly rounded summation (Shewchuk's algorithm, as Python's math.fsum). Sums no longer
// depend on row order, so shuffling a file cannot change a score, and they sit within half
// an ulp of the exact value, well inside the 1e-9 parity budget against NumPy.
export class ExactSum {
  private partials: number[] = [];
  /** Infinities and NaN bypass the partials, as in fsum. */
  private special = 0;

  add(value: number): void {
    if (!Number.isFinite(value)) {
      this.special += value;
      return;
    }
    let x = value;
    const p = this.partials;
    let i = 0;
    for (let j = 0; j < p.length; j++) {
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
      p.length = 0;
      return;
    }
    p.length = i;
    p.push(x);
  }

  value(): number {
    if (this.special !== 0 || Number.isNaN(this.special)) return this.special;
    const p = this.partials;
    let n = p.length;
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
