"""bench_report.py — the benchmark's correctness checks and its printed report:
the ceilings (memory bandwidth, plain reads), the throughput table with
ratios, the cost table (JIT, small-data wall time, peak RSS), the I/O probe,
the checks and the issue's targets."""
import datetime
import os
import platform
import subprocess

import numpy as np

# Issue 5's targets (2 threads).
HANDC_RATIO = 0.95   # memory-bound udf ≥ this × the best hand-written C
READ_RATIO = 0.85    # memory-bound udf ≥ this × the best plain read
MASKS16_RATIO = 1.5  # 16 masks ≥ this × the straightforward C loop
JIT_COLD_MS, JIT_CACHED_MS = 50.0, 2.0
SMALL_WALL_S = 0.2
RSS_MB = 300.0


def compare(got, ref, tol):
    """None if `got` equals `ref` within tol × max|ref|, else why not."""
    got, ref = np.asarray(got), np.asarray(ref)
    same_shape = got.shape == ref.shape or got.squeeze().shape == ref.squeeze().shape
    if got.size != ref.size or not same_shape:
        return f"shape {got.shape}, expected {ref.shape}"
    got, ref = got.astype(np.float64).reshape(ref.shape), ref.astype(np.float64)
    if not np.array_equal(np.isnan(got), np.isnan(ref)):
        return "NaN in different places"
    ok = ~np.isnan(ref)
    scale = max(np.abs(ref[ok]).max(initial=0.0), 1e-30)
    err = np.abs(got[ok] - ref[ok]).max(initial=0.0) / scale
    return None if err <= tol else f"max error {err:.2e} of the largest value (tolerance {tol:.0e})"


def check_udf(h5, row, ref_dir, ref_kernel, ref_name="hand-C"):
    """Compares the udf's HDF5 results with those of `ref_kernel` (hand-C, or
    numpy where a row has no hand-C) in ref_dir: [(what, problem or None)]."""
    import h5py
    out = []
    with h5py.File(h5, "r") as f:
        for buf in row.check:
            what = f"{row.label}: udf /{row.udf}/{buf} vs {ref_name}"
            ref = os.path.join(ref_dir, f"{ref_kernel}.{buf}.npy")
            if f"{row.udf}/{buf}" not in f:
                out.append((what, "the udf wrote no such dataset"))
            elif not os.path.exists(ref):
                out.append((what, f"{ref_name} wrote no result"))
            else:
                out.append((what, compare(f[f"{row.udf}/{buf}"][()], np.load(ref), row.tol)))
    return out


def check_numpy(np_dir, row, ref_dir):
    """Compares numpy's results with the hand-C ones (both baselines must agree)."""
    out = []
    for buf in row.check:
        what = f"{row.label}: numpy {buf} vs hand-C"
        got = os.path.join(np_dir, f"{row.numpy[0]}.{buf}.npy")
        ref = os.path.join(ref_dir, f"{row.handc[0]}.{buf}.npy")
        if not (os.path.exists(got) and os.path.exists(ref)):
            out.append((what, "a result file is missing"))
        else:
            out.append((what, compare(np.load(got), np.load(ref), row.tol)))
    return out


def median(values):
    v = [x for x in values if x is not None]
    return float(np.median(v)) if v else None


def fmt(v, spec=".2f", none="n/a"):
    return none if v is None else format(v, spec)


def fmt_median(values, reps):
    """The median, marked * if fewer than `reps` runs made it (slow contenders)."""
    n = sum(v is not None for v in values)
    return fmt(median(values)) + ("*" if 0 < n < reps else "")


def best(*values):
    v = [x for x in values if x is not None]
    return max(v) if v else None


def paired_ratio(num, *dens):
    """Median over rounds of num / the best of dens in the same round: runs made
    next to each other saw the same load from the machine's other users."""
    return median([n / d if n is not None and d else None
                   for n, d in zip(num, (best(*ds) for ds in zip(*dens)))])


def machine_line():
    model = "unknown CPU"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}"


def git_head(repo):
    r = subprocess.run(["git", "-C", repo, "log", "-1", "--format=%h %s"], capture_output=True,
                       text=True)
    return r.stdout.strip() or "unknown"


def table(out, header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                               for i, (c, w) in enumerate(zip(r, widths)))
    print(line(header), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in rows:
        print(line(r), file=out)


def print_targets(p, targets):
    """The issue's targets, grouped: which rows miss each, with their values.
    `targets` holds (what, ">=" or "<=", limit, unit, row label, value)."""
    missed = {}
    for what, op, limit, unit, label, value in targets:
        ok = value is not None and (value >= limit if op == ">=" else value <= limit)
        if not ok:
            missed.setdefault(f"{what} {op} {limit:g}{unit}", []).append(f"{label} {fmt(value)}")
    n_missed = sum(len(v) for v in missed.values())
    p(f"targets of issue 5: {len(targets) - n_missed} of {len(targets)} met")
    for name, rows in missed.items():
        p(f"  missed {name}: {', '.join(rows)}")


def print_report(out, bench, rows, available, probe, res, seconds):
    a = bench.args
    read_pread, read_mmap = (median([v for row in rows for v in res[row.label][k]])
                             for k in ("read_pread", "read_mmap"))
    p = lambda *x: print(*x, file=out)
    p(f"udf benchmark — {datetime.date.today()} — {machine_line()}")
    p(f"udfc {a.udfc} at {git_head(bench.repo)}; {a.threads} threads; medians of {a.reps}")
    p(f"data: {bench.data} (u16 {a.nav.replace(',', 'x')}x{a.sig.replace(',', 'x')}, "
      f"{bench.bytes / 2**30:.2f} GiB, in the page cache); stdlib: {' '.join(available)}")
    p("")
    p(f"ceilings (medians over the rounds): memory bandwidth {fmt(median(res['membw']))} GB/s "
      f"(in-memory u16 sum, {a.threads} threads)")
    p(f"  plain read {fmt(read_pread)} GB/s (pread, 1 MiB buffer, no compute), "
      f"{fmt(read_mmap)} GB/s (mmap 8 MiB windows + u16 sum); 'read' below is the faster")
    p("")

    thr, cost, targets = [], [], []
    for row in rows:
        m = res[row.label]
        udf = median(m["udf"])
        r_hand = paired_ratio(m["udf"], m["handc_pread"], m["handc_mmap"])
        r_read = paired_ratio(m["udf"], m["read_pread"], m["read_mmap"])
        r_np = paired_ratio(m["udf"], m["numpy"])
        thr.append([row.label] + [fmt_median(m[k], a.reps) for k in
                                  ("udf", "handc_pread", "handc_mmap", "numpy")] +
                   [fmt(r_hand), fmt(r_read), fmt(r_np, ".1f")])
        jit_cold, jit_cached = median(m["jit_cold"]), median(m["jit_cached"])
        small = median(m["small"])
        rss_udf, rss_h, rss_np = (max((v for v in m[k] if v is not None), default=None)
                                  for k in ("rss_udf", "rss_handc", "rss_numpy"))
        cost.append([row.label, fmt(jit_cold, ".1f"), fmt(jit_cached, ".1f"), fmt(small, ".3f"),
                     fmt(rss_udf, ".0f"), fmt(rss_h, ".0f"), fmt(rss_np, ".0f")])
        if row.udf not in available or udf is None or not row.targets:
            continue
        t = lambda what, op, limit, unit, value: targets.append(
            (what, op, limit, unit, row.label, value))
        if row.memory_bound and row.handc:
            t("memory-bound udf/hand-C", ">=", HANDC_RATIO, "", r_hand)
            t("memory-bound udf/read", ">=", READ_RATIO, "", r_read)
        if row.label == "16 masks":
            t("16 masks udf/hand-C", ">=", MASKS16_RATIO, "", r_hand)
        t("JIT cold", "<=", JIT_COLD_MS, " ms", jit_cold)
        t("JIT from the cache", "<=", JIT_CACHED_MS, " ms", jit_cached)
        t("wall on 64x64x64x64", "<=", SMALL_WALL_S, " s", small)
        t("peak RSS", "<=", RSS_MB, " MB", rss_udf)

    p("throughput, GB/s of the file (higher is better); ratios are medians of per-round ratios,")
    p("against the faster hand-C and the faster plain read of the same round; * = a slow")
    p("contender, measured in fewer rounds (SLOW_SECONDS in bench.py)")
    table(out, ["udf", "udf", "hand-C pread", "hand-C mmap", "numpy", "udf/hand-C", "udf/read",
                "udf/numpy"], thr)
    p("")
    p("costs: JIT compile (`compile … ms` of --stats; medians: cold = with an empty kernel")
    p("cache, cached = runs served from the cache), wall time of a whole `udfc run` on")
    p("64x64x64x64 u16 with an empty kernel cache, peak RSS of the runs on the 2 GiB scan")
    table(out, ["udf", "JIT cold ms", "JIT cached ms", "64^4 wall s", "RSS udf MB",
                "RSS hand-C MB", "RSS numpy MB"], cost)
    p("")
    p(f"I/O probe ({a.threads} threads, whole file, u16 sum unless 'nocompute'/'touch'):")
    table(out, ["variant", "GB/s", "peak RSS MB"],
          [[k, fmt(v[0]), fmt(v[1], ".0f")] for k, v in probe.items()])
    p("")

    checks = [c for row in rows for c in res[row.label]["checks"]]
    bad = [c for c in checks if c[1]]
    p(f"checks: {len(checks) - len(bad)} of {len(checks)} results agree with hand-C (or numpy)")
    for what, why in bad:
        p(f"  WARNING: MISMATCH {what}: {why}")
    print_targets(p, targets)
    errors = [(row.label, e) for row in rows for e in dict.fromkeys(res[row.label]["errors"])]
    for label, e in errors:
        p(f"  error: {label}: {e}")
    p(f"bench time {seconds:.0f} s")
