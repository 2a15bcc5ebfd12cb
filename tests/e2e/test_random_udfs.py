"""Differential random test of the compiler: from a fixed seed, generates
random valid udf programs (SPEC §2, docs/language.md) together with an
independent numpy evaluation of each, runs them with udfc on small random data
sets (u8, u16, i16, i32, f32, f64; odd nav and sig shapes such as 5x7, 1x9 and
1-D scans, so that groups of four jammed frames are left short) and compares
every output buffer with numpy.

The programs cover what the compiler schedules specially: per-pixel
arithmetic, casts, comparisons, select, min/max/clamp, abs and every math
function; lets (chains, lets read in several statements, lets that must keep
their value after the buffers they read change); reductions (sum, mean, min,
max, count) of whole frames and of parts (masks from coordinates, params and
data); frame[y, x] coordinates; scalar, array, sig and nav params; nav, sig
and single buffers with = and += -= *= /= (also with extra dims, free indices,
literal and computed indices, scatters); if/else if/else, also on type
queries (constant per data type, so only the taken branch is compiled),
alone or joined with a per-frame condition; several statements
per frame (fused and jammed); sums that are the same in every frame (added
once per tile); `x += select(c, v, 0)`; the integer-range cases of
compiler/range.c (`log(float(frame) - min(frame) + 1)`, wrapping integer
versions of it); sums of a pixel value times a function of a coordinate
(row factors, `sum(float(frame) * (y - 3))`); user merges (Welford/Chan, products, explicit sums and
maxima, a counter-dependent sum) and result bodies (derived results, whole-
buffer reductions, gradient). Every data set runs with -j 1 and -j 2 and
several --partitions (one makes tiles of 25 frames, several per partition),
with a region of interest for 2-D scans, and built ahead of time for
x86-64-v2 (math written out in IR) and run by udfrun when CTest gives UDFRUN:
results must match numpy in each, and runs that differ only in -j must be
bit-identical.

Tolerances. The reference computes every operation in the udf's own types
(wrapping integers, f32 where the udf computes in f32), so integers and bools
are compared exactly. Alongside each float value it carries a bound on how far
a correct compiler may differ, and floats must lie within it (NaN where numpy
has NaN, the same infinities):
- nothing for operations that are deterministic on identical inputs: + - /
  sqrt and conversions are correctly rounded in both, and so is a product that
  is exact (integers below 2^24 in f32);
- one ulp for a product that rounds (LLVM may fuse it into an FMA), and one
  ulp for any operation whose inputs already carry an error;
- 5 ulp (9 for f64) for exp, log, log1p, sin, cos, tan, atan2 and **, plus the
  input error times the derivative: libmvec is within 4 ulp, the reference is
  numpy's f64 function (within 4 ulp of f64 where numpy uses SVML) rounded to
  the type; none where every libm is exact (exp(0), log(1), sin(0), ...);
- (n + 2)·u·Σ|x| for a float sum of n terms in a type with unit roundoff u
  (any order, blocks, Kahan, per-tile multiplication, partitions), none if
  every term is an integer and Σ|x| is below 2^24 (f32) or 2^53 (f64);
- Welford/Chan (a template below): 4(n + 2)·u·max|x| for the mean, and the
  matching bound for the variance.
Where a discontinuous operation (comparison, floor, ceil, round, a float to
integer cast, a division by a value that may be 0, a float // or %, an `if`)
gets an input whose bound straddles its discontinuity, the element is
"undecided" and not compared (nor anything computed from it); the generator
keeps such elements rare and the test fails if outputs are more than 5%
undecided on average.

UDF_RANDOM_SEED=N runs another seed, UDF_RANDOM_ROUNDS=N that many seeds from
it, UDF_RANDOM_KEEP=DIR keeps the data, params and udfs there,
UDF_RANDOM_VERBOSE=1 lists the outputs with undecided elements. On a failure
the seed, the data set, the command and the program are printed. The end of
the file holds focused checks of the bugs the generator found, reduced by
hand (all fixed since)."""
import math
import os
import subprocess

import h5py
import numpy as np

from udftest import UDFC, fail, tempdir

UDFRUN = os.environ.get("UDFRUN")   # set by CTest; without it the AOT runs are skipped

SEED = int(os.environ.get("UDF_RANDOM_SEED", "20261128"))
ROUNDS = int(os.environ.get("UDF_RANDOM_ROUNDS", "1"))

# ---------------------------------------------------------------- types

NP = {"bool": np.bool_, "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
      "u8": np.uint8, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
      "f32": np.float32, "f64": np.float64}
INTS = ("i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64")
BITS = {"bool": 1, "i8": 8, "u8": 8, "i16": 16, "u16": 16, "i32": 32, "u32": 32, "f32": 32,
        "i64": 64, "u64": 64, "f64": 64}
UNIT = {"f32": 2.0 ** -24, "f64": 2.0 ** -53}   # unit roundoff
MANT = {"f32": 2.0 ** 24, "f64": 2.0 ** 53}     # integers up to this are exact
# exp, log, sin, ... : libmvec is within 4 ulp; the reference is numpy's f64
# function (itself within 4 ulp where numpy uses SVML), rounded to the type
MATH_ULP = {"f32": 5, "f64": 9}



def is_float(t):
    return t in ("f32", "f64")


def is_int(t):
    return t in INTS


def is_signed(t):
    return t[0] in "if"


def float_of(t):
    """The float type of t (SPEC §2.3: f32 for integers up to 16 bits)."""
    return t if is_float(t) else ("f32" if BITS[t] <= 16 else "f64")


def promote(a, b):
    """Integer op integer: the wider; mixed signs: a signed type wide enough
    for both; integer op float: f32 for <=16-bit integers with f32, else f64."""
    if a == b:
        return a
    if a == "bool":
        return b
    if b == "bool":
        return a
    if is_float(a) and is_float(b):
        return "f64"
    if is_float(a) or is_float(b):
        f, i = (a, b) if is_float(a) else (b, a)
        return "f32" if f == "f32" and BITS[i] <= 16 else "f64"
    if is_signed(a) == is_signed(b):
        return a if BITS[a] >= BITS[b] else b
    s, u = (a, b) if is_signed(a) else (b, a)
    if BITS[s] > BITS[u]:
        return s
    return {8: "i16", 16: "i32"}.get(BITS[u], "i64")


LOGICAL = ("&&", "||", "==", "!=")
COMPARE = ("==", "!=", "<", "<=", ">", ">=")


def op_type(op, t):
    """The type an operator computes in: bools count in arithmetic and
    ordering (i64); `/` always gives a float."""
    if t == "bool" and op not in LOGICAL:
        t = "i64"
    return float_of(t) if op == "/" else t


def operand_type(nodes):
    """The common type of operands: literals take the type of the others (a
    float literal next to integers their float type)."""
    t, float_lit = None, False
    for n in nodes:
        if n.lit:
            float_lit |= is_float(n.t)
            continue
        t = n.t if t is None else promote(t, n.t)
    if t is None:
        t = "bool"
        for n in nodes:
            t = promote(t, n.t)
        return t
    return float_of(t) if float_lit else t


def resolve(t, dtype):
    return float_of(dtype) if t == "float" else dtype if t == "input" else t


# ---------------------------------------------------------------- values

class V:
    """A value of udf type t (a numpy array), with a bound `e` on the absolute
    difference a correct compiler may show (floats) and a mask `w` of
    undecided elements."""
    __slots__ = ("a", "t", "e", "w")

    def __init__(self, a, t, e=0.0, w=False):
        self.a = np.asarray(a).astype(NP[t], copy=False)
        self.t = t
        self.e = np.asarray(e, dtype=np.float64)
        self.w = np.asarray(w, dtype=bool)


def spacing(r):
    """One ulp at r, in r's float type, as f64 (0 for non-finite r)."""
    with np.errstate(all="ignore"):
        s = np.abs(np.spacing(np.abs(r))).astype(np.float64)
    return np.where(np.isfinite(s), s, 0.0)


def finish(r, t, e, w, inputs_finite=None, can_overflow=False):
    """Float result r: e where finite (else 0; undecided if e is not finite
    but r is); overflow to inf from finite inputs is undecided when the
    inputs carry errors or the op may be fused."""
    with np.errstate(all="ignore"):
        fin = np.isfinite(r)
        w = w | (fin & ~np.isfinite(e))
        if inputs_finite is not None:
            w = w | (~fin & ~np.isnan(r) & inputs_finite & (can_overflow | (e > 0)))
        e = np.where(fin & np.isfinite(e), e, 0.0)
    return V(r, t, e, w)


def conv(v, t):
    """Assignment and cast semantics: integers wrap, floats to integers
    truncate and saturate with NaN -> 0, anything to bool is `!= 0`."""
    if v.t == t:
        return v
    a = v.a
    with np.errstate(all="ignore"):
        if t == "bool":
            w = v.w
            if is_float(v.t):
                w = w | ((v.e > 0) & (np.abs(a) <= v.e))
            return V(a != 0, "bool", 0.0, w)
        if v.t == "bool" or (is_int(v.t) and is_int(t)):
            return V(a.astype(NP[t]), t, 0.0, v.w)
        if is_int(v.t):
            r = a.astype(NP[t])
            inexact = np.abs(a.astype(np.float64)) > MANT[t]
            return V(r, t, np.where(inexact, spacing(r), 0.0), v.w)
        if is_float(t):
            r = a.astype(NP[t])
            fin = np.isfinite(a)
            e = np.where(v.e > 0, v.e + spacing(r), 0.0)
            w = v.w | (fin & ~np.isfinite(r) & (v.e > 0))
            return V(r, t, e, w)
        # float to integer
        x = a.astype(np.float64)
        info = np.iinfo(NP[t])
        hi, lo = float(info.max) + 1.0, float(info.min)   # both powers of two: exact
        tr = np.trunc(np.where(np.isnan(x), 0.0, x))
        over, under = tr >= hi, tr < lo
        r = np.where(over | under, 0.0, tr).astype(NP[t])
        # typed bounds: with 0-d arrays numpy 1.24 promotes a Python int
        # 2^64 - 1 beside int64 to float64, whose cast back to u64 gives 0
        top, bottom = np.array(info.max, NP[t]), np.array(info.min, NP[t])
        r = np.where(over, top, np.where(under, bottom, r)).astype(NP[t])
        d = v.e
        w = v.w | ((d > 0) & (np.trunc(x - d) != np.trunc(x + d)))
        return V(r, t, 0.0, w)


def lit_value(n, t):
    """A literal converted to type t (as lowering does: the literal's value
    in t)."""
    if n.litval is None:
        raise AssertionError("not a literal")
    base = V(np.float64(n.litval) if n.t == "f64" else
             np.int64(n.litval) if n.t == "i64" else np.bool_(n.litval), n.t)
    return conv(base, t)


def two_sum_exact(a, b, s):
    with np.errstate(all="ignore"):
        bb = s - a
        return (a - (s - bb)) + (b - bb) == 0


def mul_exact(x, y, r, t):
    with np.errstate(all="ignore"):
        if t == "f32":
            return r.astype(np.float64) == x.astype(np.float64) * y.astype(np.float64)
        c = 134217729.0

        def split(a):
            p = c * a
            hi = p - (p - a)
            return hi, a - hi
        xh, xl = split(x)
        yh, yl = split(y)
        err = ((xh * yh - r) + xh * yl + xl * yh) + xl * yl
        return err == 0


def fmax(x, y, is_max):
    """LLVM's maximum/minimum: NaN propagates; max(0, -0) = 0, min = -0."""
    with np.errstate(all="ignore"):
        r = np.maximum(x, y) if is_max else np.minimum(x, y)
        if x.dtype.kind == "f":
            zero = (x == 0) & (y == 0)
            r = np.where(zero, (x + y) if is_max else -((-x) + (-y)), r)
    return r


def extreme_error(r, vs):
    """The bound of r = min or max of x and y: the bound of the one chosen, or
    the larger where x and y are within reach of each other."""
    x, y = vs
    with np.errstate(invalid="ignore"):
        close = np.abs(x.a.astype(np.float64) - y.a.astype(np.float64)) <= x.e + y.e
    return np.where(close, np.maximum(x.e, y.e), np.where(r == x.a, x.e, y.e))


def bin_values(op, A, B, t):
    """A op B, both already of type t (the op type)."""
    x, y = A.a, B.a
    w = A.w | B.w
    with np.errstate(all="ignore"):
        if op in COMPARE:
            f = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
                 ">": np.greater, ">=": np.greater_equal}[op]
            r = f(x, y)
            if is_float(t):
                d = A.e + B.e
                close = np.abs(x.astype(np.float64) - y.astype(np.float64)) <= d
                w = w | ((d > 0) & close)
            return V(r, "bool", 0.0, w)
        if op in ("&&", "||"):
            return V((x & y) if op == "&&" else (x | y), "bool", 0.0, w)
        if not is_float(t):
            if op == "+":
                r = x + y
            elif op == "-":
                r = x - y
            elif op == "*":
                r = x * y
            elif op == "//":
                r = np.floor_divide(x, y)
                if is_signed(t):
                    r = np.where(y == -1, -x, r)
            elif op == "%":
                r = np.remainder(x, y)
                if is_signed(t):
                    r = np.where(y == -1, 0, r)
            elif op == "**":   # in f64, converted back (saturating); exponents 2, 3
                x64, y64 = x.astype(np.float64), y.astype(np.float64)
                p = np.where(y64 == 2, x64 * x64, np.where(y64 == 3, x64 * x64 * x64,
                                                           np.power(x64, y64)))
                v = conv(V(p, "f64"), t)
                big = np.abs(p) >= 2.0 ** 53
                # beyond 2^53 the f64 power is rounded: a 64-bit result may differ
                return V(v.a, t, 0.0, w | (big & (BITS[t] == 64)))
            else:
                raise AssertionError(op)
            return V(np.asarray(r).astype(NP[t]), t, 0.0, w)
        fin = np.isfinite(x) & np.isfinite(y)
        if op in ("+", "-"):
            r = x + y if op == "+" else x - y
            p = A.e + B.e
            e = p + np.where(p > 0, spacing(r), 0.0)
            return finish(r, t, e, w, fin)
        if op == "*":
            r = x * y
            ax, ay = np.abs(x).astype(np.float64), np.abs(y).astype(np.float64)
            p = ax * B.e + ay * A.e + A.e * B.e
            inexact = ~mul_exact(x, y, r, t)
            e = p + np.where((p > 0) | inexact, spacing(r), 0.0)
            return finish(r, t, e, w, fin, can_overflow=True)
        if op == "/":
            r = x / y
            den = np.abs(y).astype(np.float64) - B.e
            w = w | ((B.e > 0) & (den <= 0))
            # x / 0 is +inf, -inf or NaN by the sign of x: undecided where x's
            # error reaches 0 (a rounded sum whose exact value is 0)
            w = w | ((y == 0) & (A.e > 0) & (np.abs(x).astype(np.float64) <= A.e))
            p = (A.e + np.abs(r).astype(np.float64) * B.e) / np.where(den > 0, den, 1.0)
            e = p + np.where(p > 0, spacing(r), 0.0)
            return finish(r, t, e, w, fin)
        if op in ("//", "%"):   # Python's (numpy's) floor of the exact quotient
            q = bin_values("/", A, B, t)
            w = q.w | ((q.e > 0) & (np.floor(q.a - q.e) != np.floor(q.a + q.e)))
            if op == "//":
                return V(np.floor_divide(x, y), t, 0.0, w)
            r = np.remainder(x, y)
            n = np.floor(q.a.astype(np.float64))
            e = A.e + np.abs(n) * B.e
            e = e + np.where(e > 0, 2 * spacing(np.maximum(np.abs(x), np.abs(y))), 0.0)
            return finish(r, t, e, w)
        if op == "**":
            x64, y64 = x.astype(np.float64), y.astype(np.float64)
            if np.all(y64 == 2) and np.all(B.e == 0):   # LLVM makes pow(x, 2) x * x
                return bin_values("*", A, A, t)
            r = np.power(x64, y64).astype(NP[t])
            ax = np.abs(x64)
            d = A.e
            # |d/dx x^p| bound on [x - d, x + d]; x^0.5 near 0 by its Hoelder bound
            dev = np.abs(y64) * np.power(ax + d, np.abs(y64 - 1)) * d
            half = (y64 == 0.5)
            root = d / (np.sqrt(np.maximum(ax - d, 0)) + np.sqrt(ax))
            dev = np.where(half, np.where(ax > d, root, np.sqrt(d)), dev)
            w = w | (half & (d > 0) & (x64 - d < 0) & (x64 + d >= 0))
            exact = (d == 0) & (B.e == 0) & ((x64 == 0) & (y64 > 0) | (x64 == 1) | (y64 == 1))
            e = np.where(exact, 0.0, dev + MATH_ULP[t] * spacing(r))
            return finish(r, t, e, w, fin, can_overflow=True)
    raise AssertionError(op)


EXACT_AT = {"exp": 0.0, "log": 1.0, "log1p": 0.0, "sin": 0.0, "cos": 0.0, "tan": 0.0}


def float_fn(fn, args, t):
    """exp, log, ... of values of type t: numpy's f64 function rounded to t.
    Every libm is exact where the result is exact: exp(0), log(1), sin(0), ..."""
    v = float_fn_bounds(fn, args, t)
    if fn in EXACT_AT:
        exact = (args[0].e == 0) & (args[0].a == EXACT_AT[fn])
        v.e = np.where(exact, 0.0, v.e)
    elif fn == "atan2":
        exact = (args[0].e == 0) & (args[1].e == 0) & (args[0].a == 0) & (args[1].a > 0)
        v.e = np.where(exact, 0.0, v.e)
    return v


def float_fn_bounds(fn, args, t):
    x = args[0]
    a = x.a.astype(np.float64)
    d = x.e
    w = x.w.copy() if x.w.ndim else x.w
    with np.errstate(all="ignore"):
        if fn in ("floor", "ceil", "round"):
            f = {"floor": np.floor, "ceil": np.ceil, "round": np.rint}[fn]
            r = f(x.a)
            w = w | ((d > 0) & (f(a - d) != f(a + d)))
            return V(r, t, 0.0, w)
        fin = np.isfinite(a)
        if fn == "sqrt":
            r = np.sqrt(a)
            w = w | ((d > 0) & (a - d < 0) & (a + d >= 0))
            dev = np.where(a > d, d / (np.sqrt(np.maximum(a - d, 0)) + np.sqrt(a)), np.sqrt(d))
            rt = r.astype(NP[t])
            return finish(rt, t, dev + np.where(d > 0, spacing(rt), 0.0), w)
        if fn == "exp":
            r = np.exp(a)
            dev = r * np.expm1(d)
            rt = r.astype(NP[t])
            big = np.exp(a + d).astype(NP[t])
            w = w | (fin & ~np.isfinite(big) & (d > 0)) | (np.isfinite(a) & ~np.isfinite(rt))
            return finish(rt, t, dev + MATH_ULP[t] * spacing(rt), w)
        if fn in ("log", "log1p"):
            arg = a if fn == "log" else a + 1.0
            r = np.log(a) if fn == "log" else np.log1p(a)
            w = w | ((d > 0) & (arg - d <= 0) & (arg + d >= 0))
            dev = -np.log1p(-d / np.where(arg > d, arg, np.inf))
            rt = r.astype(NP[t])
            return finish(rt, t, dev + MATH_ULP[t] * spacing(rt), w)
        if fn in ("sin", "cos"):
            r = (np.sin if fn == "sin" else np.cos)(a)
            rt = r.astype(NP[t])
            return finish(rt, t, d + MATH_ULP[t] * spacing(rt), w | ~np.isfinite(a) & (d > 0))
        if fn == "tan":
            r = np.tan(a)
            c = np.abs(np.cos(a))
            w = w | ((d > 0) & (c <= 1.01 * d))
            dev = d * (1 + (np.abs(r) + d / np.where(c > d, c - d, 1)) ** 2) * 1.01
            rt = r.astype(NP[t])
            return finish(rt, t, dev + MATH_ULP[t] * spacing(rt), w)
        if fn == "atan2":
            y, xx = a, args[1].a.astype(np.float64)
            dy, dx = d, args[1].e
            w = w | args[1].w
            r = np.arctan2(y, xx)
            rr = y * y + xx * xx
            near = (np.abs(y) <= dy) & (xx <= dx)      # the branch cut
            near |= (np.abs(y) <= dy) & (np.abs(xx) <= dx) & (dy + dx > 0)
            w = w | (near & (dy + dx > 0))
            reach = np.maximum(np.sqrt(rr) - dx - dy, 0)
            dev = (np.abs(xx) * dy + np.abs(y) * dx + dx * dy) / np.where(reach > 0, reach ** 2, 1)
            w = w | ((dy + dx > 0) & (reach <= 0))
            rt = r.astype(NP[t])
            return finish(rt, t, dev + MATH_ULP[t] * spacing(rt), w)
    raise AssertionError(fn)


def reduce(fn, v, axis):
    """sum, mean, min, max, count over the pixels (frame bodies: axes 1, 2)
    or over a whole buffer (result bodies)."""
    t = v.t
    a = v.a
    n = int(np.prod([a.shape[i] for i in axis])) if axis is not None else a.size
    w = np.any(np.broadcast_to(v.w, a.shape), axis=axis, keepdims=axis is not None)
    e = np.broadcast_to(v.e, a.shape)
    kd = axis is not None
    with np.errstate(all="ignore"):
        if fn == "count":
            return V(np.sum(a != 0, axis=axis, keepdims=kd, dtype=np.int64), "i64", 0.0, w)
        if fn in ("min", "max"):
            r = (np.min if fn == "min" else np.max)(a, axis=axis, keepdims=kd)
            if is_float(t):
                zeros = a == 0
                neg = np.any(zeros & np.signbit(a), axis=axis, keepdims=kd)
                pos = np.any(zeros & ~np.signbit(a), axis=axis, keepdims=kd)
                sign = neg if fn == "min" else ~pos
                r = np.where(r == 0, np.where(sign, -0.0, 0.0), r).astype(NP[t])
                # only values within reach of the extreme can become it
                top = np.max(e, axis=axis, keepdims=kd)
                near = np.abs(a.astype(np.float64) - r) <= e + top
                return V(r, t, np.max(np.where(near, e, 0.0), axis=axis, keepdims=kd), w)
            return V(r, t, 0.0, w)
        if not is_float(t):
            st = "u64" if is_int(t) and not is_signed(t) else "i64"
            s = np.sum(a.astype(NP[st]), axis=axis, keepdims=kd, dtype=NP[st])
            if fn == "sum":
                return V(s, st, 0.0, w)
            m = s.astype(np.float64) / n
            return V(m, "f64", 0.0, w)
        a64 = a.astype(np.float64)
        s = np.sum(a64, axis=axis, keepdims=kd) + 0.0
        absum = np.sum(np.abs(a64), axis=axis, keepdims=kd)
        esum = np.sum(e, axis=axis, keepdims=kd)
        exact = (esum == 0) & np.all(a64 == np.trunc(a64), axis=axis, keepdims=kd) & \
            (absum <= MANT[t])
        fin_in = np.all(np.isfinite(a64), axis=axis, keepdims=kd)
        e = esum + np.where(exact, 0.0, (n + 2) * UNIT[t] * absum)
        if fn == "mean":
            s = s / n
            e = e / n
        r = s.astype(NP[t])
        e = e + np.where(exact & (fn == "sum"), 0.0, spacing(r))
        w = w | (fin_in & (absum >= float(np.finfo(NP[t]).max) / 4))
        return finish(r, t, e, w)


# ---------------------------------------------------------------- expressions

class N:
    """An expression node: kind, udf type t, shape ('s' one number per frame
    or in total, 'p' per pixel, 'n' per scan position), lit (a literal that
    adapts to the other operand), children and fields."""
    __slots__ = ("kind", "t", "shape", "lit", "litval", "text", "op", "args", "name", "extra")

    def __init__(self, kind, t, shape="s", args=(), op=None, name=None, lit=False, litval=None,
                 text=None, extra=None):
        self.kind, self.t, self.shape, self.args = kind, t, shape, list(args)
        self.op, self.name, self.lit, self.litval, self.text, self.extra = \
            op, name, lit, litval, text, extra


PREC = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "+": 4, "-": 4,
        "*": 5, "/": 5, "//": 5, "%": 5, "**": 7}


def src(n):
    """Source text with the fewest parentheses the documented precedence
    needs (plus redundant ones the generator asked for)."""
    s, _ = src_prec(n)
    return s


def src_prec(n):
    k = n.kind
    if k == "lit":
        return n.text, (6 if n.text.startswith("-") else 9)
    if k in ("frame", "coord", "index", "let", "free", "size"):
        return n.name, 9
    if k == "shape":
        return "%s[%d]" % (n.name, n.extra), 9
    if k in ("buf", "param"):
        if not n.args:
            return n.name, 9
        return "%s[%s]" % (n.name, ", ".join(src(a) for a in n.args)), 9
    if k == "field":
        return n.name, 9
    if k == "paren":
        return "(" + src(n.args[0]) + ")", 9
    if k == "un":
        inner, p = src_prec(n.args[0])
        if p < 6:
            inner = "(" + inner + ")"
        return n.op + inner, 6
    if k == "bin":
        p = PREC[n.op]
        (l, lp), (r, rp) = src_prec(n.args[0]), src_prec(n.args[1])
        if n.op == "**":
            if lp <= p:
                l = "(" + l + ")"
            if rp < p and rp != 6:
                r = "(" + r + ")"
        elif p == 3:
            if lp <= p:
                l = "(" + l + ")"
            if rp <= p:
                r = "(" + r + ")"
        else:
            if lp < p:
                l = "(" + l + ")"
            if rp <= p:
                r = "(" + r + ")"
        return "%s %s %s" % (l, n.op, r), p
    if k in ("call", "red", "grad"):
        return "%s(%s)" % (n.op, ", ".join(src(a) for a in n.args)), 9
    if k == "query":
        return "%s(%s)" % (n.op, n.name), 9
    if k == "cast":
        return "%s(%s)" % (n.op, src(n.args[0])), 9
    raise AssertionError(k)


def paren(n):
    p = N("paren", n.t, n.shape, [n], lit=n.lit, litval=n.litval)
    return p


class Env:
    """What a body sees: the frames (all of them at once, axis 0), params,
    nav buffers (per frame, extra dims last), constant sig buffers, lets,
    free index values; in result bodies whole buffers."""

    def __init__(self, ds, place="frame"):
        self.ds = ds
        self.place = place
        self.lets = {}
        self.free = {}
        self.values = {}     # buffer name -> V (frame: nav (F,1,1,*dims); result: whole)
        self.memo = {}

    def clear(self):
        self.memo = {}


def ev_as(n, t, env):
    if n.lit:
        if n.kind == "bin":   # a literal expression: computed in its own type
            return conv(ev(n, env), t)
        if n.kind == "paren":
            return ev_as(n.args[0], t, env)
        if n.kind == "un":
            v = ev_as(n.args[0], t, env)
            return unary_value("-", v)
        return lit_value(n, t)
    return conv(ev(n, env), t)


def snapshot(v):
    """v with arrays of its own: a let keeps the value it had where it stands,
    while the buffers it read are updated in place."""
    return V(np.array(v.a, copy=True), v.t, np.array(v.e, copy=True), np.array(v.w, copy=True))


def unary_value(op, v):
    with np.errstate(all="ignore"):
        if op == "!":
            return V(~v.a, "bool", 0.0, v.w)
        return V(np.negative(v.a), v.t, v.e, v.w)


def element(v, idx, lead):
    """v.a[..., i, j] for index values idx (ints or V of indices, gathered;
    outside the dims gives 0), `lead` leading axes."""
    dims = v.a.shape[lead:]
    if all(isinstance(i, int) for i in idx):
        sl = (Ellipsis,) + tuple(idx)
        return V(v.a[sl], v.t, np.broadcast_to(v.e, v.a.shape)[sl] if v.e.ndim else v.e,
                 np.broadcast_to(v.w, v.a.shape)[sl] if v.w.ndim else v.w)
    ivs = [i if isinstance(i, V) else V(np.int64(i), "i64") for i in idx]
    shape = np.broadcast_shapes(v.a.shape[:lead], *[i.a.shape for i in ivs])
    ok = np.ones(shape, bool)
    w = np.zeros(shape, bool)
    cl = []
    for i, d in zip(ivs, dims):
        ia = np.broadcast_to(conv(i, "i64").a, shape)
        ok &= (ia >= 0) & (ia < d)
        cl.append(np.clip(ia, 0, d - 1))
        w = w | i.w
    base = np.broadcast_to(v.a, shape + dims)
    ee = np.broadcast_to(v.e, v.a.shape)
    ww = np.broadcast_to(v.w, v.a.shape)
    grid = np.indices(shape, sparse=True)
    sl = tuple(grid) + tuple(cl)
    r = np.where(ok, base[sl], 0).astype(v.a.dtype)
    e = np.where(ok, np.broadcast_to(ee, shape + dims)[sl], 0.0)
    w = w | np.where(ok, np.broadcast_to(ww, shape + dims)[sl], False)
    return V(r, v.t, e, w)


def index_values(args, env):
    out = []
    for a in args:
        if a.kind == "lit":
            out.append(int(a.litval))
        elif a.kind == "free":
            out.append(env.free[a.name])
        else:
            out.append(ev(a, env))
    return out


def ev(n, env):
    got = env.memo.get(id(n))
    if got is not None and got[0] is n:   # (the node is kept: its id is not reused)
        return got[1]
    v = ev_uncached(n, env)
    env.memo[id(n)] = (n, v)
    return v


def ev_uncached(n, env):
    k = n.kind
    ds = env.ds
    if k == "lit":
        return lit_value(n, n.t)
    if k == "query":
        t = resolve(n.name, ds.dtype)
        answer = {"is_float": is_float(t), "is_signed": is_signed(t),
                  "bits": 8 * np.dtype(NP[t]).itemsize}[n.op]
        return V(answer, n.t)
    if k == "paren":
        return ev(n.args[0], env)
    if k == "frame":
        return ds.frame_v
    if k == "coord":
        return ds.coord_v[n.extra]
    if k == "index":
        return ds.index_v
    if k == "shape":
        shape = ds.nav_shape if n.name == "nav_shape" else ds.sig_shape
        return V(np.int64(shape[n.extra]), "i64")
    if k == "size":
        return V(np.int64(np.prod(ds.nav_shape if n.name == "nav_size" else ds.sig_shape)), "i64")
    if k == "let":
        return env.lets[n.name]
    if k == "free":
        return V(np.int64(env.free[n.name]), "i64")
    if k == "param":
        p = n.extra
        v = env.params[p.name]
        if not n.args:
            return v
        lead = v.a.ndim - len(p.dims)
        return element(v, index_values(n.args, env), lead)
    if k == "buf":
        b = n.extra
        v = env.values[b.name]
        if not n.args:
            return v
        return element(v, index_values(n.args, env), v.a.ndim - len(b.dims))
    if k == "un":
        if n.op == "!":
            return unary_value("!", ev(n.args[0], env))
        if n.lit:
            return ev_as(n, n.t, env)
        return unary_value("-", ev(n.args[0], env))
    if k == "bin":
        t = op_type(n.op, operand_type(n.args))
        A = ev_as(n.args[0], t, env)
        B = ev_as(n.args[1], t, env)
        return bin_values(n.op, A, B, t)
    if k == "cast":
        return conv(ev(n.args[0], env), n.t)
    if k == "red":
        v = ev(n.args[0], env)
        if env.place == "frame":   # over every pixel of each frame
            shape = (v.a.shape[0] if v.a.ndim == 3 else 1,) + ds.sig_shape
            v = V(np.broadcast_to(v.a, shape), v.t, v.e, v.w)
            return reduce(n.op, v, (1, 2))
        return reduce(n.op, v, None)
    if k == "grad":
        return gradient(ev(n.args[0], env), n.extra, n.t)
    if k == "call":
        f = n.op
        if f == "select":
            t = operand_type(n.args[1:])
            c = conv(ev(n.args[0], env), "bool")
            A, B = ev_as(n.args[1], t, env), ev_as(n.args[2], t, env)
            r = np.where(c.a, A.a, B.a)
            e = np.where(c.a, A.e, B.e)
            w = np.where(c.a, A.w, B.w) | (c.w & (A.a != B.a))
            return V(r, t, e, w)
        if f == "isnan":
            v = ev(n.args[0], env)
            return V(np.isnan(v.a) if is_float(v.t) else np.zeros(v.a.shape, bool), "bool", 0.0,
                     v.w)
        t = operand_type(n.args)
        if f in ("abs", "min", "max", "clamp"):
            vs = [ev_as(a, t, env) for a in n.args]
            with np.errstate(all="ignore"):
                if f == "abs":
                    x = vs[0]
                    return V(np.abs(x.a) if is_signed(t) else x.a, t, x.e, x.w)
                if f == "clamp":
                    r = fmax(vs[0].a, vs[1].a, True)
                    vs = [V(r, t, extreme_error(r, vs[:2]), vs[0].w | vs[1].w), vs[2]]
                    f = "min"
                x, y = vs
                r = fmax(x.a, y.a, f == "max")
                return V(r, t, extreme_error(r, [x, y]), x.w | y.w)
        ft = float_of(t)
        return float_fn(f, [ev_as(a, ft, env) for a in n.args], ft)
    raise AssertionError(k)


def gradient(v, d, t):
    """numpy.gradient along axis d, first order at the edges, 0 along a dim
    of size 1, computed in t."""
    x = conv(v, t)
    a = np.moveaxis(x.a, d, 0)
    e = np.moveaxis(np.broadcast_to(x.e, x.a.shape), d, 0)
    w = np.moveaxis(np.broadcast_to(x.w, x.a.shape), d, 0)
    m = a.shape[0]
    if m == 1:   # 0, whatever the values (docs/language.md)
        return V(np.zeros(x.a.shape, NP[t]), t, 0.0, np.zeros(x.a.shape, bool))
    lo = V(np.concatenate([a[:1], a[:-2], a[-2:-1]]), t,
           np.concatenate([e[:1], e[:-2], e[-2:-1]]), np.concatenate([w[:1], w[:-2], w[-2:-1]]))
    hi = V(np.concatenate([a[1:2], a[2:], a[-1:]]), t,
           np.concatenate([e[1:2], e[2:], e[-1:]]), np.concatenate([w[1:2], w[2:], w[-1:]]))
    diff = bin_values("-", hi, lo, t)
    den = np.ones(a.shape, np.float64)
    if m > 2:
        den[1:-1] = 2.0
    r = bin_values("/", diff, V(den.astype(NP[t]), t), t)
    return V(np.moveaxis(r.a, 0, d), t, np.moveaxis(np.broadcast_to(r.e, r.a.shape), 0, d),
             np.moveaxis(np.broadcast_to(r.w, r.a.shape), 0, d))


# ---------------------------------------------------------------- data sets

class Dataset:
    """One data set: frames of dtype `dtype` on a nav grid, small sig shape."""

    def __init__(self, name, dtype, nav_shape, sig_shape, rng):
        self.name, self.dtype = name, dtype
        self.nav_shape, self.sig_shape = tuple(nav_shape), tuple(sig_shape)
        self.F = int(np.prod(nav_shape))
        sy, sx = sig_shape
        self.data = make_data(dtype, self.nav_shape + self.sig_shape, rng)
        self.frame_v = V(self.data.reshape(self.F, sy, sx), dtype)
        self.coord_v = {0: V(np.arange(sy).reshape(1, sy, 1), "i64"),
                        1: V(np.arange(sx).reshape(1, 1, sx), "i64")}
        self.index_v = V(np.arange(self.F).reshape(self.F, 1, 1), "i64")
        self.roi = None
        if len(nav_shape) == 2 and nav_shape[0] > 1 and nav_shape[1] > 2:
            ny, nx = nav_shape
            self.roi = (0, ny - ny // 2, 1, nx - 1)  # Y0:Y1,X0:X1
        self.describe = "%s data, nav %s, sig %s" % (dtype, self.nav_shape, self.sig_shape)

    def selection(self, roi):
        sel = np.ones(self.nav_shape, bool)
        if roi:
            y0, y1, x0, x1 = self.roi
            sel[:] = False
            sel[y0:y1, x0:x1] = True
        return sel.reshape(self.F)


def make_data(dtype, shape, rng):
    """Random frames with the type's extremes, zeros and ties in them (NaN in
    f32 data, inf in f64 data)."""
    t = NP[dtype]
    if dtype == "u8":
        d = rng.integers(0, 256, size=shape)
    elif dtype == "u16":
        d = np.where(rng.random(shape) < 0.8, rng.integers(0, 1200, size=shape),
                     rng.integers(0, 65536, size=shape))
    elif dtype == "i16":
        d = rng.integers(-400, 400, size=shape)
    elif dtype == "i32":
        d = np.where(rng.random(shape) < 0.85, rng.integers(-3000, 3000, size=shape),
                     rng.integers(-2 ** 31, 2 ** 31, size=shape))
    elif dtype == "f32":
        d = rng.normal(100, 40, size=shape)
        d = np.where(rng.random(shape) < 0.2, np.round(d), d)
    else:
        d = rng.normal(0, 30, size=shape) * np.where(rng.random(shape) < 0.1, 1e-3, 1.0)
    d = d.astype(t)
    flat = d.reshape(-1)
    n = flat.size
    if t(0).dtype.kind in "iu":
        info = np.iinfo(t)
        for v in (info.min, info.max, 0, 0, 1):
            flat[rng.integers(0, n)] = v
    else:
        for v in (0.0, -0.0, 1.0, -3.5):
            flat[rng.integers(0, n)] = v
        if dtype == "f32":
            flat[rng.integers(0, n)] = np.nan
        if dtype == "f64":
            flat[rng.integers(0, n)] = np.inf
    return d


# ---------------------------------------------------------------- programs

class Param:
    def __init__(self, name, kind, t, dims=(), dims_src=(), default=None):
        self.name, self.kind, self.t = name, kind, t
        self.dims, self.dims_src = list(dims), list(dims_src)
        self.default = default          # an expression node (scalar params)
        self.cli = None                 # the --param value text
        self.array = None               # the value (numpy, file layout)
        self.file = False               # given as @FILE.npy
        self.is_dim = False             # used as a buffer's dim

    def decl(self):
        kind = {"scalar": "", "array": "", "sig": "sig ", "nav": "nav "}[self.kind]
        dims = "[%s]" % ", ".join(self.dims_src) if self.dims_src else ""
        default = " = " + src(self.default) if self.default is not None else ""
        return "param %s%s %s%s%s;" % (kind, self.t, self.name, dims, default)


class Buf:
    def __init__(self, name, kind, t, rt, dims=(), dims_src=(), init=None, private=False):
        self.name, self.kind, self.t, self.rt = name, kind, t, rt
        self.dims, self.dims_src = list(dims), list(dims_src)
        self.init = init                # literal text or None
        self.private = private
        self.update = None              # sum, max, min (sig/single), set (nav)
        self.assigned = False           # by a statement of the frame body

    def decl(self):
        dims = "[%s]" % ", ".join(self.dims_src) if self.dims_src else ""
        init = " = " + self.init if self.init is not None else ""
        return "%s%s %s %s%s%s;" % ("private " if self.private else "", self.kind, self.t,
                                    self.name, dims, init)

    def init_value(self):
        if self.init is None:
            return 0
        return float(self.init)


class S:
    """A statement: let, assign (target buffer, indices, op, value), if,
    derived (result bodies)."""

    def __init__(self, kind, **kw):
        self.kind = kind
        self.name = kw.get("name")
        self.value = kw.get("value")
        self.buf = kw.get("buf")
        self.idx = kw.get("idx", [])
        self.op = kw.get("op", "=")
        self.free = kw.get("free", {})      # free index name -> range
        self.cond = kw.get("cond")
        self.then = kw.get("then", [])
        self.els = kw.get("els", [])

    def lines(self, ind):
        pad = "    " * ind
        if self.kind == "raw":
            return [pad + self.name]
        if getattr(self, "text", None):
            return [pad + self.text]
        if self.kind == "let":
            return [pad + "let %s = %s;" % (self.name, src(self.value))]
        if self.kind == "assign":
            target = self.buf.name
            if self.idx:
                target += "[%s]" % ", ".join(src(i) for i in self.idx)
            return [pad + "%s %s %s;" % (target, self.op, src(self.value))]
        if self.kind == "derived":
            return [pad + "%s %s %s = %s;" % (self.buf.kind, self.buf.t, self.buf.name,
                                              src(self.value))]
        out = [pad + "if %s {" % src(self.cond)]
        for s in self.then:
            out += s.lines(ind + 1)
        els = self.els
        while len(els) == 1 and els[0].kind == "if":
            out.append(pad + "} else if %s {" % src(els[0].cond))
            for s in els[0].then:
                out += s.lines(ind + 1)
            els = els[0].els
        if els:
            out.append(pad + "} else {")
            for s in els:
                out += s.lines(ind + 1)
        out.append(pad + "}")
        return out


class Program:
    def __init__(self, name, ds):
        self.name, self.ds = name, ds
        self.params, self.bufs, self.body, self.result = [], [], [], []
        self.coords = None
        self.merge = []
        self.closed = {}            # buffer -> function(ds, sel) giving its expected V
        self.skip_roi = False

    def source(self):
        lines = ["udf %s {" % self.name]
        lines += ["    " + p.decl() for p in self.params]
        lines += ["    " + b.decl() for b in self.bufs]
        lines.append("    frame%s {" % ("[%s]" % ", ".join(self.coords) if self.coords else ""))
        for s in self.body:
            lines += s.lines(2)
        lines.append("    }")
        if self.merge:
            lines.append("    merge(a, b) {")
            lines += ["        " + m for m in self.merge]
            lines.append("    }")
        if self.result:
            lines.append("    result {")
            for s in self.result:
                lines += s.lines(2)
            lines.append("    }")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def outputs(self):
        out = [b for b in self.bufs if not b.private]
        out += [s.buf for s in self.result if s.kind in ("derived", "raw") and s.buf is not None]
        return out

    def cli(self):
        args = []
        for p in self.params:
            if p.cli is not None:
                args += ["--param", "%s=%s" % (p.name, p.cli)]
        return args


# ---------------------------------------------------------------- execution

def param_value(p, ds, place):
    """A param as a V shaped for frame bodies (frames on axis 0, extra dims
    last) or result bodies (whole arrays)."""
    a = p.array
    F = ds.F
    sy, sx = ds.sig_shape
    if p.kind == "scalar":
        return V(a, p.t)
    if p.kind == "array":
        return V(a, p.t)
    if p.kind == "sig":
        if p.dims:
            a = np.moveaxis(a, 0, -1)          # (n, sy, sx) -> (sy, sx, n)
        return V(a if place == "result" else a.reshape((1, sy, sx) + a.shape[2:]), p.t)
    a = a.reshape(ds.nav_shape + tuple(p.dims))
    return V(a if place == "result" else a.reshape((F, 1, 1) + tuple(p.dims)), p.t)


class Acc:
    """What a frame body adds into one sig or single buffer: per element, the
    sum (or max/min) of the contributions of the selected frames, with the
    data for its error bound."""

    def __init__(self, buf, ds):
        self.buf = buf
        shape = ((1,) + ds.sig_shape if buf.kind == "sig" else (1, 1, 1)) + tuple(buf.dims)
        self.shape = shape
        self.kind = None
        self.val = None
        self.abs = np.zeros(shape)
        self.err = np.zeros(shape)
        self.wild = np.zeros(shape, bool)
        self.n = np.zeros(shape)
        self.nonint = np.zeros(shape, bool)   # a term that is not an integer

    def add(self, pos, c, mask, cwild, kind, npix=None, absval=None, nonint=None):
        """c: this statement's contributions (V, per frame and pixel for sig,
        per frame for single), mask: the frames it applies to."""
        t = self.buf.rt
        self.kind = kind
        sl = (Ellipsis,) + tuple(pos)
        a = np.broadcast_to(c.a, np.broadcast_shapes(c.a.shape, mask.shape))
        m = np.broadcast_to(mask, a.shape)
        e = np.broadcast_to(c.e, a.shape)
        w = np.broadcast_to(c.w, a.shape)
        # frames whose `if` is undecided may or may not contribute, in the mask or not
        maybe = np.broadcast_to(cwild, a.shape) & (((a != 0) | w) if kind == "sum" else True)
        if self.buf.kind == "sig":
            a = np.broadcast_to(a, (a.shape[0],) + self.shape[1:3])
            m, e, w, maybe = [np.broadcast_to(x, a.shape) for x in (m, e, w, maybe)]
        if self.val is None:
            if kind == "sum":
                self.val = np.zeros(self.shape, np.float64 if is_float(t) else NP[t])
            else:
                self.val = np.full(self.shape, np.nan, np.float64) if is_float(t) else \
                    np.zeros(self.shape, NP[t])
                self.seen = np.zeros(self.shape, bool)
        with np.errstate(all="ignore"):
            if kind == "sum":
                if is_float(t):
                    v = np.where(m, a.astype(np.float64), 0.0)
                    self.val[sl] += v.sum(axis=0)
                    av = np.abs(v) if absval is None else np.where(m, absval, 0.0)
                    frac = (v != np.trunc(v)) if nonint is None else np.where(m, nonint, False)
                    self.nonint[sl] |= frac.any(axis=0)
                    self.abs[sl] += av.sum(axis=0)
                    self.err[sl] += np.where(m, e, 0.0).sum(axis=0)
                    self.n[sl] += (m.sum(axis=0) * (npix or 1))
                else:
                    v = np.where(m, a, 0).astype(NP[t])
                    self.val[sl] = (self.val[sl] + v.sum(axis=0, dtype=NP[t])).astype(NP[t])
            else:
                big = kind == "max"
                if is_float(t):
                    fill = -np.inf if big else np.inf
                    v = np.where(m, a.astype(np.float64), fill)
                    red = v[0]
                    for f in range(1, v.shape[0]):
                        red = fmax(red, v[f], big)
                    anym = m.any(axis=0)
                    cur = self.val[sl]
                    self.val[sl] = np.where(anym, np.where(self.seen[sl], fmax(cur, red, big), red),
                                            cur)
                else:
                    info = np.iinfo(NP[t])
                    fill = info.min if big else info.max
                    v = np.where(m, a, fill).astype(NP[t])
                    red = v.max(axis=0) if big else v.min(axis=0)
                    anym = m.any(axis=0)
                    cur = self.val[sl]
                    both = np.maximum(cur, red) if big else np.minimum(cur, red)
                    self.val[sl] = np.where(anym, np.where(self.seen[sl], both, red), cur)
                self.seen[sl] |= m.any(axis=0)
                self.err[sl] = np.maximum(self.err[sl], np.where(m, e, 0.0).max(axis=0))
            self.wild[sl] |= (w & m).any(axis=0) | maybe.any(axis=0)

    def final(self):
        """The buffer after all frames (sig: (sy, sx, *dims), single: dims)."""
        t = self.buf.rt
        init = self.buf.init_value()
        shape = self.shape
        if self.val is None:
            out = V(np.full(shape, init).astype(NP[t]) if is_float(t) else
                    np.full(shape, int(init)).astype(NP[t]), t)
        elif self.kind == "sum":
            if is_float(t):
                with np.errstate(all="ignore"):
                    s = self.val + init
                    absum = self.abs + abs(init)
                    exact = (self.err == 0) & ~self.nonint & (absum <= MANT[t]) & \
                        (init == math.trunc(init) if math.isfinite(init) else False)
                    r = s.astype(NP[t])
                    e = self.err + np.where(exact, 0.0, (self.n + 2) * UNIT[t] * absum + spacing(r))
                out = finish(r, t, e, self.wild.copy())
            else:
                out = V((self.val + np.array(int(init)).astype(NP[t])).astype(NP[t]), t, 0.0,
                        self.wild.copy())
        else:
            big = self.kind == "max"
            if is_float(t):
                # float, so that fmax sees a float start and orders its zeros
                # (an int 0 went through numpy's maximum, which keeps max(0, -0) = -0)
                iv = np.full(shape, float(init))
                r = np.where(self.seen, fmax(iv, self.val, big), iv).astype(NP[t])
            else:
                iv = np.full(shape, int(init)).astype(NP[t])
                both = np.maximum(iv, self.val) if big else np.minimum(iv, self.val)
                r = np.where(self.seen, both, iv).astype(NP[t])
            out = V(r, t, self.err, self.wild.copy())
        lead = 1 if self.buf.kind == "sig" else 3
        squeeze = lambda x: np.asarray(x).reshape(np.asarray(x).shape[lead:]) \
            if np.asarray(x).ndim else x
        return V(squeeze(out.a), t, squeeze(np.broadcast_to(out.e, out.a.shape)),
                 squeeze(np.broadcast_to(out.w, out.a.shape)))


class Run:
    """Executes a program's bodies on a data set for one frame selection:
    the reference. The generator runs statements through it as it makes them,
    to see their values."""

    def __init__(self, prog, ds, sel):
        self.prog, self.ds, self.sel = prog, ds, sel
        F = ds.F
        self.env = Env(ds)
        self.env.params = {p.name: param_value(p, ds, "frame") for p in prog.params}
        self.accs = {}
        for b in prog.bufs:
            self.init_buf(b)
        self.mask = sel.reshape(F, 1, 1)

    def init_buf(self, b):
        F = self.ds.F
        if b.kind == "nav":
            shape = (F, 1, 1) + tuple(b.dims)
            self.env.values[b.name] = V(np.zeros(shape, NP[b.rt]), b.rt, np.zeros(shape),
                                        np.zeros(shape, bool))
        else:
            sy, sx = self.ds.sig_shape
            shape = ((1, sy, sx) if b.kind == "sig" else ()) + tuple(b.dims)
            init = b.init_value()
            a = np.full(shape, init if is_float(b.rt) else int(init)).astype(NP[b.rt])
            self.env.values[b.name] = V(a, b.rt)
            self.accs[b.name] = Acc(b, self.ds)

    def stmts(self, stmts, mask, cwild):
        added = []
        for s in stmts:
            self.stmt(s, mask, cwild)
            if s.kind == "let":
                added.append(s.name)
        for name in added:
            del self.env.lets[name]

    def stmt(self, s, mask, cwild):
        env = self.env
        env.clear()
        env.free = {}
        if s.kind == "raw":   # a template's statement: its buffers are checked in closed form
            return
        if s.kind == "let":
            env.lets[s.name] = snapshot(ev(s.value, env))
            return
        if s.kind == "if":
            c = conv(ev(s.cond, env), "bool")
            cw = cwild | (c.w & mask)
            self.stmts(s.then, mask & c.a, cw)
            self.stmts(s.els, mask & ~c.a, cw)
            env.clear()
            return
        for env.free in free_values(s.free):
            env.clear()
            if s.buf.kind == "nav":
                self.nav_assign(s, mask, cwild)
            else:
                self.acc_assign(s, mask, cwild)
        env.free = {}
        env.clear()

    def step_value(self, s, old):
        """old op= value (old op value, where a literal adapts to the
        buffer's type as in any operation), or = value, converted to the
        buffer's type."""
        env = self.env
        t = s.buf.rt
        if s.op == "=":
            return conv(ev(s.value, env), t)
        op = s.op[0]
        lit_t = float_of(t) if is_float(s.value.t) else t
        st = op_type(op, lit_t if s.value.lit else promote(t, s.value.t))
        return conv(bin_values(op, conv(old, st), ev_as(s.value, st, env), st), t)

    def nav_assign(self, s, mask, cwild):
        env = self.env
        cur = env.values[s.buf.name]
        dims = s.buf.dims
        idx = index_values(s.idx, env)
        if any(i.shape == "p" for i in s.idx):
            return self.nav_scatter(s, idx, mask, cwild)
        positions = [tuple(i if isinstance(i, int) else None for i in idx)]
        computed = any(isinstance(i, V) for i in idx)
        if computed:
            positions = list(np.ndindex(*dims))
        for pos in positions:
            m = mask
            iw = False
            if computed:
                for i, p in zip(idx, pos):
                    if isinstance(i, V):
                        m = m & (conv(i, "i64").a == p)
                        iw = iw | (i.w & mask)
                    else:
                        m = m & (i == p)
            old = element(cur, pos, 3)
            new = self.step_value(s, old)
            self.write_nav(cur, pos, old, new, m, cwild | iw)

    def write_nav(self, cur, pos, old, new, m, cwild):
        sl = (Ellipsis,) + tuple(pos)
        shape = cur.a[sl].shape
        na = np.broadcast_to(new.a, shape)
        cur.a[sl] = np.where(m, na, cur.a[sl])
        cur.e[sl] = np.where(m, np.broadcast_to(new.e, shape), cur.e[sl])
        cur.w[sl] = np.where(m, np.broadcast_to(new.w, shape), cur.w[sl]) | \
            np.broadcast_to(cwild, shape)

    def nav_scatter(self, s, idx, mask, cwild):
        env = self.env
        cur = env.values[s.buf.name]
        t = s.buf.rt
        c = ev(s.value, env)
        st = promote(t, c.t)
        c = conv(c, st if is_float(st) else t)
        F = self.ds.F
        sy, sx = self.ds.sig_shape
        shape = (F, sy, sx)
        ivs = [np.broadcast_to(conv(i, "i64").a, shape) if isinstance(i, V) else
               np.full(shape, i) for i in idx]
        iw = np.zeros(shape, bool)
        for i in idx:
            if isinstance(i, V):
                iw = iw | np.broadcast_to(i.w, shape)
        ca = np.broadcast_to(c.a, shape)
        ce = np.broadcast_to(c.e, shape)
        cw = np.broadcast_to(c.w, shape)
        for pos in np.ndindex(*s.buf.dims):
            hit = np.ones(shape, bool)
            for iv, p in zip(ivs, pos):
                hit &= iv == p
            old = element(cur, pos, 3)
            with np.errstate(all="ignore"):
                if is_float(t):
                    v = np.where(hit, ca.astype(np.float64), 0.0)
                    tot = old.a.astype(np.float64) + v.sum(axis=(1, 2), keepdims=True)
                    absum = np.abs(old.a.astype(np.float64)) + \
                        np.abs(v).sum(axis=(1, 2), keepdims=True)
                    nterm = hit.sum(axis=(1, 2), keepdims=True)
                    r = tot.astype(NP[t])
                    err = old.e + np.where(hit, ce, 0).sum(axis=(1, 2), keepdims=True)
                    integral = (v == np.trunc(v)).all(axis=(1, 2), keepdims=True) & \
                        (old.a == np.trunc(old.a))
                    exact = (err == 0) & integral & (absum <= MANT[t])
                    e = err + np.where(exact, 0.0, (nterm + 2) * UNIT[t] * absum + spacing(r))
                    new = finish(r, t, e, old.w)
                else:
                    v = np.where(hit, ca, 0).astype(NP[t])
                    new = V((old.a + v.sum(axis=(1, 2), keepdims=True, dtype=NP[t])).astype(NP[t]),
                            t, 0.0, old.w)
            new.w = new.w | ((cw | iw) & mask).any(axis=(1, 2), keepdims=True)
            self.write_nav(cur, pos, old, new, mask, cwild)

    def acc_assign(self, s, mask, cwild):
        env = self.env
        b = s.buf
        t = b.rt
        acc = self.accs[b.name]
        m = mask & self.sel.reshape(-1, 1, 1)
        cwild = np.asarray(cwild) & self.sel.reshape(-1, 1, 1)
        if s.op in ("+=", "-="):
            c = ev_as(s.value, op_type(s.op[0], t if s.value.lit else promote(t, s.value.t)), env)
            if s.op == "-=":
                c = unary_value("-", c)
            kind = "sum"
        else:  # b = max(b, X): X is the call's second argument
            c = ev(s.value.args[1], env)
            kind = s.value.op
        c = conv(c, "f64" if is_float(t) else t)
        idx = index_values(s.idx, env)
        pix = [i for i in idx if isinstance(i, V)]
        F = self.ds.F
        sy, sx = self.ds.sig_shape
        if not pix:
            if b.kind == "single":
                c = V(np.broadcast_to(c.a, (F, 1, 1)), c.t, c.e, c.w)
            acc.add(tuple(idx), c, m, cwild, kind)
            return
        # scatter: each pixel (or frame) adds to the element its indices name
        per_pixel = any(i.shape == "p" for i in s.idx)
        shape = (F, sy, sx) if per_pixel else (F, 1, 1)
        ivs = [np.broadcast_to(conv(i, "i64").a, shape) if isinstance(i, V) else np.full(shape, i)
               for i in idx]
        iw = np.zeros(shape, bool)
        for i in pix:
            iw = iw | np.broadcast_to(i.w, shape)
        ca = np.broadcast_to(c.a, shape)
        ce = np.broadcast_to(c.e, shape)
        cw = np.broadcast_to(c.w, shape)
        anyw = (iw & m).any()
        for pos in np.ndindex(*b.dims):
            hit = np.ones(shape, bool)
            for iv, p in zip(ivs, pos):
                hit &= iv == p
            if b.kind == "sig":
                cc = V(np.where(hit, ca, 0), c.t, np.where(hit, ce, 0.0), (cw & hit) | iw)
                acc.add(pos, cc, m, cwild, kind)
            else:
                with np.errstate(all="ignore"):
                    if is_float(t):
                        v = np.where(hit, ca, 0.0)
                        cc = V(v.sum(axis=(1, 2), keepdims=True), "f64",
                               np.where(hit, ce, 0.0).sum(axis=(1, 2), keepdims=True),
                               ((cw & hit) | iw).any(axis=(1, 2), keepdims=True) | anyw)
                        # (the pixels' terms may be fractions whose sum in this
                        # order is an integer: udfc adds them in another)
                        acc.add(pos, cc, m, cwild, kind, npix=sy * sx,
                                absval=np.abs(v).sum(axis=(1, 2), keepdims=True),
                                nonint=(v != np.trunc(v)).any(axis=(1, 2), keepdims=True))
                    else:
                        v = np.where(hit, ca, 0).astype(NP[t])
                        cc = V(v.sum(axis=(1, 2), keepdims=True, dtype=NP[t]), t, 0.0,
                               ((cw & hit) | iw).any(axis=(1, 2), keepdims=True) | anyw)
                        acc.add(pos, cc, m, cwild, kind)

    def finals(self):
        """Every buffer after the frame body, as whole arrays (nav: the scan
        grid, unselected positions NaN or 0)."""
        out = {}
        ds = self.ds
        for b in self.prog.bufs:
            if b.kind == "nav":
                v = self.env.values[b.name]
                shape = ds.nav_shape + tuple(b.dims)
                sel = self.sel.reshape((ds.F, 1, 1) + (1,) * len(b.dims))
                fill = np.nan if is_float(b.rt) else 0
                a = np.where(sel, v.a, fill).astype(NP[b.rt]).reshape(shape)
                e = np.where(sel, v.e, 0.0).reshape(shape)
                w = np.where(sel, v.w, False).reshape(shape)
                out[b.name] = V(a, b.rt, e, w)
            else:
                out[b.name] = self.accs[b.name].final()
        for name, closed in self.prog.closed.items():
            out[name] = closed(ds, self.sel)
        return out


def free_values(free):
    """Every assignment of values to the free indices {name: size}, in order."""
    combos = [{}]
    for name, size in free.items():
        combos = [dict(c, **{name: k}) for c in combos for k in range(size)]
    return combos


def reference(prog, ds, sel):
    """Every output of prog on ds with frames `sel` selected."""
    run = Run(prog, ds, sel)
    run.stmts(prog.body, run.mask, np.zeros((ds.F, 1, 1), bool))
    values = run.finals()
    if prog.result:
        env = Env(ds, "result")
        env.params = {p.name: param_value(p, ds, "result") for p in prog.params}
        env.values = values
        for s in prog.result:
            env.clear()
            if s.kind == "raw":
                continue
            if s.kind == "let":
                env.lets[s.name] = snapshot(ev(s.value, env))
                continue
            if s.kind == "derived":
                values[s.buf.name] = conv(ev(s.value, env), s.buf.rt)
                continue
            cur = values[s.buf.name]
            new = V(cur.a.copy(), cur.t, np.broadcast_to(cur.e, cur.a.shape).copy(),
                    np.broadcast_to(cur.w, cur.a.shape).copy())
            for env.free in free_values(s.free):
                env.clear()
                pos = tuple(index_values(s.idx, env))
                v = conv(ev(s.value, env), s.buf.rt)
                sl = (Ellipsis,) + pos
                new.a[sl] = v.a
                new.e[sl] = v.e
                new.w[sl] = v.w
            values[s.buf.name] = new
            env.free = {}
    return values


# ---------------------------------------------------------------- generator

def mk_lit(value, kind, text=None):
    if kind == "float":
        if text is None:
            text = repr(float(value))
        return N("lit", "f64", "s", lit=True, litval=float(value), text=text)
    if kind == "bool":
        return N("lit", "bool", "s", lit=True, litval=bool(value),
                 text="true" if value else "false")
    return N("lit", "i64", "s", lit=True, litval=int(value), text=text or str(int(value)))


def mk_shape(*args):
    return "p" if "p" in [a.shape for a in args] else "n" if "n" in [a.shape for a in args] else "s"


def mk_bin(op, a, b):
    t = op_type(op, operand_type([a, b]))
    rt = "bool" if op in COMPARE or op in ("&&", "||") else t
    return N("bin", rt, mk_shape(a, b), [a, b], op=op, lit=a.lit and b.lit)


def mk_un(op, a):
    return N("un", "bool" if op == "!" else a.t, a.shape, [a], op=op, lit=a.lit and op == "-")


def mk_cast(t, a, ds):
    return N("cast", resolve(t, ds.dtype), a.shape, [a], op=t)


def mk_call(fn, args):
    if fn == "select":
        t = operand_type(args[1:])
    elif fn == "isnan":
        t = "bool"
    else:
        t = operand_type(args)
        if fn not in ("abs", "min", "max", "clamp"):
            t = float_of(t)
    return N("call", t, mk_shape(*args), args, op=fn)


def mk_red(fn, a):
    t = a.t
    if fn == "count":
        rt = "i64"
    elif fn == "mean":
        rt = t if is_float(t) else "f64"
    elif fn == "sum" and not is_float(t):
        rt = "i64" if is_signed(t) or t == "bool" else "u64"
    else:
        rt = t
    return N("red", rt, "s", [a], op=fn)


FLOAT_LITS = [0.5, 0.25, 1.5, 2.0, 3.0, 10.0, 0.1, 100.0, 2.5, 0.75, 1e-3, math.pi]


class Gen:
    """Makes one random program for a data set, running each statement through
    the reference as it is made (to keep values finite and decisions clear)."""

    def __init__(self, rng, prog, ds):
        self.r = rng
        self.prog, self.ds = prog, ds
        self.n = 0
        self.lets = []          # visible lets: (name, type, shape)
        self.free = {}          # free index name -> (size, dims_src)
        self.mask = None
        self.cwild = None
        self.invariant_lets = set()
        self.target = None      # the buffer a scatter or free index assigns
        self.rlets = []         # lets of the result body

    # -- helpers
    def name(self, prefix):
        self.n += 1
        return "%s%d" % (prefix, self.n)

    def chance(self, p):
        return self.r.random() < p

    def pick(self, items, weights=None):
        if weights is None:
            return items[int(self.r.integers(0, len(items)))]
        w = np.array(weights, float)
        return items[int(self.r.choice(len(items), p=w / w.sum()))]

    def val(self, n):
        return ev(n, self.run.env)

    def quality(self, n):
        """(fraction undecided, fraction not finite) of n's values in the
        frames the statement applies to."""
        v = self.val(n)
        shape = np.broadcast_shapes(v.a.shape, self.mask.shape)
        m = np.broadcast_to(self.mask, shape)
        if not m.any():
            return 0.0, 0.0
        w = np.broadcast_to(v.w, shape)[m].mean()
        if is_float(v.t):
            bad = ~np.isfinite(np.broadcast_to(v.a, shape)[m])
            return w, bad.mean()
        return w, 0.0

    def good(self, n, nonfinite=0.3, wild=0.05):
        w, bad = self.quality(n)
        return w <= wild and bad <= nonfinite

    def lit_for(self, t, values=None, nonzero=False):
        """A literal that adapts to operand type t (in its range), near the
        operand's values when given."""
        if t == "bool":
            t = "i64"
        if (is_float(t) and self.chance(0.8)) or (values is not None and is_float(values.t)):
            if values is not None and self.chance(0.6):
                a = np.asarray(values.a, np.float64).ravel()
                a = a[np.isfinite(a)]
                if a.size:
                    q = float(np.quantile(a, self.r.random()))
                    if abs(q) < 1e30 and q != 0:
                        digits = max(0, 3 - int(math.floor(math.log10(abs(q)))))
                        q = round(q, min(digits, 6))
                        if q != 0 or not nonzero:
                            if q < 0 and not is_signed(t):
                                q = -q
                            return mk_lit(q, "float")
            v = self.pick(FLOAT_LITS)
            text = "pi" if v == math.pi else "1e-3" if v == 1e-3 else None
            if is_signed(t) and self.chance(0.3):
                return mk_lit(-v, "float", None if text is None else "-" + text)
            return mk_lit(v, "float", text)
        info = np.iinfo(NP[t]) if is_int(t) else np.iinfo(np.int64)
        lo, hi = max(int(info.min), -60), min(int(info.max), 60)
        if values is not None and self.chance(0.6):
            a = np.asarray(values.a).ravel()
            if a.size:
                q = np.quantile(a.astype(np.float64), self.r.random())
                q = int(q) if abs(q) < 2.0 ** 62 else 0
                if int(info.min) <= q <= int(info.max) and not (nonzero and q == 0) and \
                        (q >= 0 or is_signed(t)):
                    return mk_lit(q, "int")
        v = int(self.r.integers(lo, hi + 1))
        if nonzero and v == 0:
            v = 1
        if v >= 0 and self.chance(0.15):
            return mk_lit(v, "int", hex(v))
        return mk_lit(v, "int")

    def cut_for(self, a):
        """A literal to compare a's values with: between two of them, as far
        from both as a short decimal allows (so that the comparison splits
        the values and is decided), else an ordinary literal."""
        v = self.val(a)
        vals = np.unique(np.asarray(v.a, np.float64))
        vals = vals[np.isfinite(vals) & (np.abs(vals) < 1e30)]
        if not is_float(a.t) or vals.size < 2:
            return self.lit_for(a.t, v)
        i = int(self.r.integers(0, vals.size - 1))
        lo, hi = vals[i], vals[i + 1]
        for digits in range(0, 17):
            x = round((lo + hi) / 2, digits)
            if lo < x < hi and (x >= 0 or is_signed(a.t)):
                return mk_lit(x, "float")
        return self.lit_for(a.t, v)

    # -- leaves
    def pixel_lets(self, pred=None):
        return [l for l in self.lets if l[2] == "p" and (pred is None or pred(l))]

    def scalar_lets(self):
        return [l for l in self.lets if l[2] == "s"]

    def let_node(self, l):
        return N("let", l[1], l[2], name=l[0])

    def params(self, kind):
        return [p for p in self.prog.params if p.kind == kind]

    def free_read(self, p):
        """An index for array p's dim: a free index of the same dim, a
        literal inside it, or a computed one."""
        size, dsrc = p.dims[0], p.dims_src[0]
        same = [k for k, (n, s) in self.free.items() if s == dsrc]
        if same and self.chance(0.8):
            return N("free", "i64", "s", name=self.pick(same))
        if self.chance(0.7):
            return mk_lit(int(self.r.integers(0, size)), "int")
        return self.int_scalar(size + 1)

    def pix_leaf(self):
        ds = self.ds
        opts, weights = [], []
        opts.append(lambda: N("frame", ds.dtype, "p", name="frame"))
        weights.append(6)
        opts.append(lambda: mk_cast(self.pick(["float", "f64", "i32", "f32", "i64", "input"]),
                                    N("frame", ds.dtype, "p", name="frame"), ds))
        weights.append(2)
        if self.prog.coords:
            for axis, nm in enumerate(self.prog.coords):
                opts.append(lambda axis=axis, nm=nm: N("coord", "i64", "p", name=nm, extra=axis))
                weights.append(1)
        pl = self.pixel_lets(lambda l: l[1] != "bool")
        if pl:
            opts.append(lambda: self.let_node(self.pick(pl)))
            weights.append(4)
        for p in self.params("sig"):
            if p.dims:
                opts.append(lambda p=p: N("param", p.t, "p", [self.free_read(p)], name=p.name,
                                          extra=p))
            else:
                opts.append(lambda p=p: N("param", p.t, "p", name=p.name, extra=p))
            weights.append(1.5)
        for b in self.prog.bufs:
            if b.kind == "sig" and b.update == "const":
                opts.append(lambda b=b: N("buf", b.rt, "p", name=b.name, extra=b))
                weights.append(0.5)
        for p in self.params("array"):   # a gather: lut[i64(frame) % 4]
            opts.append(lambda p=p: N("param", p.t, "p", [self.int_pixel(p.dims[0])],
                                      name=p.name, extra=p))
            weights.append(0.7)
        return self.pick(opts, weights)()

    def scalar_leaf(self, depth=2):
        opts, weights = [], []
        opts.append(lambda: self.reduction(depth))
        weights.append(6)
        sl = [l for l in self.scalar_lets() if l[1] != "bool"]
        if sl:
            opts.append(lambda: self.let_node(self.pick(sl)))
            weights.append(3)
        for p in self.params("scalar"):
            opts.append(lambda p=p: N("param", p.t, "s", name=p.name, extra=p))
            weights.append(1.5)
        for p in self.params("array"):
            opts.append(lambda p=p: N("param", p.t, "s", [self.free_read(p)], name=p.name, extra=p))
            weights.append(1.5)
        for p in self.params("nav"):
            if p.dims:
                opts.append(lambda p=p: N("param", p.t, "s", [self.free_read(p)], name=p.name,
                                          extra=p))
            else:
                opts.append(lambda p=p: N("param", p.t, "s", name=p.name, extra=p))
            weights.append(1)
        opts.append(lambda: N("index", "i64", "s", name="index"))
        weights.append(0.7)
        opts.append(lambda: N("shape", "i64", "s", name=self.pick(["nav_shape", "sig_shape"]),
                              extra=0))
        weights.append(0.3)
        opts.append(lambda: N("size", "i64", "s", name=self.pick(["nav_size", "sig_size"])))
        weights.append(0.2)
        for b in self.prog.bufs:
            if b.kind == "single" and b.update == "const":
                opts.append(lambda b=b: N("buf", b.rt, "s", name=b.name, extra=b))
                weights.append(0.5)
        # (not the buffer a scatter or free index assigns: each pixel or index
        # would see the others' updates, in an order the SPEC leaves open)
        navs = [b for b in self.prog.bufs if b.kind == "nav" and b is not self.target]
        if navs:
            def nav_read():
                b = self.pick(navs)
                args = [mk_lit(int(self.r.integers(0, d)), "int") for d in b.dims]
                return N("buf", b.rt, "s", args, name=b.name, extra=b)
            opts.append(nav_read)
            weights.append(2)
        if self.free:
            opts.append(lambda: N("free", "i64", "s", name=self.pick(list(self.free))))
            weights.append(3)
        return self.pick(opts, weights)()

    def leaf(self, shape, depth=2):
        return self.pix_leaf() if shape == "p" else self.scalar_leaf(depth)

    def reduction(self, depth):
        fn = self.pick(["sum", "mean", "min", "max", "count"], [4, 2, 2, 2, 1.5])
        if fn == "count":
            return mk_red("count", self.boolean("p", depth))
        if fn in ("sum", "mean") and self.prog.coords and self.chance(0.15):
            return mk_red(fn, self.row_weighted())
        arg = self.num("p", depth)
        if self.chance(0.25):   # over a part of the frame
            arg = mk_call("select", [self.boolean("p", 1), arg, mk_lit(0, "int")])
        return mk_red(fn, arg)

    def row_weighted(self):
        """A pixel value times an integer function of a coordinate before the
        last (com's `f * float(y)`): lowering sums the value along each row
        and multiplies the row's sum, where the value's integer range is
        known (integer frames); a last coordinate is not factored."""
        ds, coords = self.ds, self.prog.coords
        part = mk_cast(self.pick(["float", "f64", "f32"]), N("frame", ds.dtype, "p", name="frame"),
                       ds)
        if self.chance(0.4):
            part = mk_call("select", [self.boolean("p", 1), part, mk_lit(0, "int")])
        axis = int(self.r.integers(0, len(coords)))
        y = N("coord", "i64", "p", name=coords[axis], extra=axis)
        if self.chance(0.5):
            y = mk_bin("-", y, mk_lit(int(self.r.integers(-3, 20)), "int"))
        if self.chance(0.3):
            y = mk_bin("*", y, mk_lit(int(self.r.integers(-4, 5)), "int"))
        if self.chance(0.5):
            y = mk_cast(self.pick(["float", "f64", "f32"]), y, ds)
        return mk_bin("*", part, y) if self.chance(0.7) else mk_bin("*", y, part)

    # -- expressions
    def num(self, shape, depth):
        """A numeric expression; shape 'p' involves pixels, 's' does not."""
        if depth <= 0 or self.chance(0.2):
            return self.leaf(shape, max(depth, 1))
        kinds = ["arith", "div", "idiv", "pow", "neg", "fn", "minmax", "clamp", "select", "cast",
                 "paren"]
        weights = [30, 7, 5, 3, 3, 14, 8, 3, 7, 7, 2]
        if shape == "p":
            kinds.append("motif")
            weights.append(5)
        kind = self.pick(kinds, weights)
        return getattr(self, "n_" + kind)(shape, depth)

    def other(self, a, shape, depth, nonzero=False):
        """The second operand: a literal of a's type, a scalar or a pixel expression."""
        if self.chance(0.35):
            return self.lit_for(a.t, self.val(a), nonzero)
        s2 = shape if shape == "s" or self.chance(0.5) else "s"
        return self.num(s2, depth - 1)

    def pair(self, a, b):
        return (b, a) if self.chance(0.3) and not b.lit else (a, b)

    def n_arith(self, shape, depth):
        a = self.num(shape, depth - 1)
        b = self.other(a, shape, depth)
        op = self.pick(["+", "-", "*"], [3, 3, 2])
        x, y = self.pair(a, b)
        return mk_bin(op, x, y)

    def n_div(self, shape, depth):
        a = self.num(shape, depth - 1)
        b = self.other(a, shape, depth, nonzero=True)
        x, y = self.pair(a, b)
        return mk_bin("/", x, y)

    def n_idiv(self, shape, depth):
        a = self.num(shape, depth - 1)
        op = self.pick(["//", "%"])
        if is_float(a.t) or self.chance(0.5):
            t = a.t
            if is_float(t):
                v = self.pick([0.5, 1.5, 2.0, 3.5, 7.0, 10.0, 0.1])
                b = mk_lit(-v if self.chance(0.2) else v, "float")
            else:
                b = self.lit_for(t, nonzero=self.chance(0.8))
            return mk_bin(op, a, b)
        b = self.num("s" if self.chance(0.5) else shape, depth - 1)
        if is_float(b.t):
            b = mk_cast(self.pick(["i32", "i64", "i16"]), b, self.ds)
        return mk_bin(op, a, b)

    def n_pow(self, shape, depth):
        a = self.num(shape, depth - 1)
        if is_float(a.t) or self.chance(0.3):
            e = self.pick([mk_lit(2, "int"), mk_lit(3, "int"), mk_lit(0.5, "float")])
        else:
            e = self.pick([mk_lit(2, "int"), mk_lit(3, "int")])
        return mk_bin("**", a, e)

    def n_neg(self, shape, depth):
        a = self.num(shape, depth - 1)
        if not is_signed(a.t):
            a = mk_cast(self.pick(["i32", "f32", "f64", "i64"]), a, self.ds)
        return mk_un("-", a)

    def n_fn(self, shape, depth):
        fn = self.pick(["sqrt", "exp", "log", "log1p", "sin", "cos", "tan", "atan2", "floor",
                        "ceil", "round", "abs"], [3, 3, 4, 2, 2, 2, 1, 2, 1.5, 1.5, 1.5, 2])
        a = self.num(shape, depth - 1)
        v = self.val(a)
        fin = np.asarray(v.a, np.float64)
        fin = fin[np.isfinite(fin)]
        big = float(np.max(np.abs(fin))) if fin.size else 0.0
        if fn in ("sqrt", "log", "log1p") and self.chance(0.6):
            a = mk_bin("+", mk_call("abs", [a]), mk_lit(1, "int"))
        elif fn == "exp" and big > 30:
            k = int(math.ceil(math.log2(big / 8)))
            a = mk_bin("*", a, mk_lit(2.0 ** -k, "float"))
        elif fn in ("sin", "cos", "tan") and big > 1000:
            a = mk_bin("*", a, mk_lit(1e-3, "float", "1e-3"))
        elif fn in ("floor", "ceil", "round") and not is_float(a.t):
            a = mk_bin("/", a, self.lit_for(a.t, nonzero=True) if self.chance(0.5)
                       else mk_lit(self.pick([2.0, 3.0, 0.5, 7.0]), "float"))
        if fn == "atan2":
            b = self.num("s" if self.chance(0.4) else shape, depth - 1)
            return mk_call("atan2", list(self.pair(a, b)))
        return mk_call(fn, [a])

    def n_minmax(self, shape, depth):
        a = self.num(shape, depth - 1)
        b = self.other(a, shape, depth)
        return mk_call(self.pick(["min", "max"]), list(self.pair(a, b)))

    def n_clamp(self, shape, depth):
        a = self.num(shape, depth - 1)
        v = np.asarray(self.val(a).a, np.float64).ravel()
        v = v[np.isfinite(v)]
        if v.size == 0:
            return a
        lo, hi = np.quantile(v, sorted(self.r.random(2)))
        if max(abs(lo), abs(hi)) > 2.0 ** 53:
            return a
        if is_float(a.t):
            lo, hi = round(float(lo), 2), round(float(hi), 2)
            if hi < lo:
                hi = lo
            return mk_call("clamp", [a, mk_lit(lo, "float"), mk_lit(hi, "float")])
        lo, hi = int(lo), int(hi)
        if not is_signed(a.t):
            lo, hi = max(lo, 0), max(hi, 0)
        return mk_call("clamp", [a, mk_lit(lo, "int"), mk_lit(hi, "int")])

    def n_select(self, shape, depth):
        c = self.boolean(shape if self.chance(0.7) else "s", depth - 1)
        a = self.num(shape, depth - 1)
        b = self.other(a, shape, depth)
        a, b = self.pair(a, b)
        return mk_call("select", [c, a, b])

    def n_cast(self, shape, depth):
        a = self.num(shape, depth - 1)
        t = self.pick(["f32", "f64", "i32", "i64", "u8", "u16", "i16", "i8", "u32", "u64",
                       "float", "input", "bool"], [4, 4, 3, 3, 1, 1, 1, 0.5, 0.5, 0.5, 2, 1, 0.5])
        n = mk_cast(t, a, self.ds)
        if n.t == "bool":   # arithmetic on bools counts them; keep it numeric
            n = mk_cast("i32", n, self.ds)
        return n

    def n_paren(self, shape, depth):
        return paren(self.num(shape, depth))

    def int_expr(self, a):
        return a if is_int(a.t) else mk_cast(self.pick(["i32", "i64", "i16", "u16"]), a, self.ds)

    def n_motif(self, shape, depth):
        """The integer-range cases: a value minus its own minimum (plus 1),
        in float and in wrapping integer arithmetic, through lets or not."""
        ds = self.ds
        frame = N("frame", ds.dtype, "p", name="frame")
        choices = [frame, frame, mk_call("abs", [frame]) if is_signed(ds.dtype) else frame,
                   mk_bin("*", frame, mk_lit(2, "int")), mk_bin("//", frame, mk_lit(3, "int")),
                   mk_bin("%", frame, mk_lit(7, "int"))]
        pl = self.pixel_lets(lambda l: is_int(l[1]))
        if pl:
            choices.append(self.let_node(self.pick(pl)))
        e = self.pick(choices)
        m = mk_red(self.pick(["min", "min", "min", "max"]), e)
        cast = self.pick(["float", "f64", "f32", None], [3, 1, 1, 1.5])
        fe = mk_cast(cast, e, ds) if cast else e
        one = mk_lit(1, "int")
        form = self.pick(["plus1", "plus1", "first", "bare", "plus2"])
        if form == "plus1":
            arg = mk_bin("+", mk_bin("-", fe, m), one)
        elif form == "first":
            arg = mk_bin("+", mk_bin("-", one, m), fe) if self.chance(0.5) else \
                mk_bin("-", mk_bin("+", fe, one), m)
        elif form == "plus2":
            arg = mk_bin("+", mk_bin("-", fe, m), mk_lit(2.5, "float"))
        else:
            arg = mk_bin("-", fe, m)
        fn = self.pick(["log", "log", "sqrt", "log1p", "none"])
        return arg if fn == "none" else mk_call(fn, [arg])

    def boolean(self, shape, depth):
        opts = ["cmp", "cmp", "cmp", "isnan", "logic", "not"]
        w = [6, 0, 0, 0.7, 1.5, 0.7]
        if shape == "p" and self.prog.coords:
            opts.append("coord")
            w.append(3)
        bl = [l for l in self.lets if l[1] == "bool" and l[2] == shape]
        if bl:
            opts.append("let")
            w.append(2)
        kind = self.pick(opts, w)
        if kind == "let":
            return self.let_node(self.pick(bl))
        if depth <= 0 or kind == "cmp":
            a = self.num(shape, max(depth - 1, 0))
            op = self.pick(list(COMPARE), [1, 1, 2, 2, 2, 2])
            b = self.cut_for(a) if self.chance(0.6) else \
                self.num("s" if self.chance(0.5) else shape, max(depth - 1, 0))
            return mk_bin(op, *self.pair(a, b))
        if kind == "isnan":
            return mk_call("isnan", [self.num(shape, depth - 1)])
        if kind == "logic":
            return mk_bin(self.pick(["&&", "||"]), self.boolean(shape, depth - 1),
                          self.boolean("s" if self.chance(0.3) else shape, depth - 1))
        if kind == "not":
            return mk_un("!", self.boolean(shape, depth - 1))
        return self.coord_mask()

    def coord_mask(self):
        """A mask of coordinates (com's disk, a half plane, a band)."""
        yname, xname = self.prog.coords
        sy, sx = self.ds.sig_shape
        y = N("coord", "i64", "p", name=yname, extra=0)
        x = N("coord", "i64", "p", name=xname, extra=1)
        form = self.pick(["disk", "half", "band"])
        if form == "disk":
            cy = self.coord_centre(sy)
            cx = self.coord_centre(sx)
            dy, dx = mk_bin("-", y, cy), mk_bin("-", x, cx)
            r2 = mk_bin("+", mk_bin("*", dy, dy), mk_bin("**", dx, mk_lit(2, "int"))) \
                if self.chance(0.5) else mk_bin("+", mk_bin("*", dy, dy), mk_bin("*", dx, dx))
            rad = self.pick([mk_lit(2, "int"), mk_lit(1.5, "float"),
                             self.coord_centre(max(sy, sx))])
            return mk_bin("<=", r2, mk_bin("*", rad, rad))
        if form == "half":
            return mk_bin(self.pick([">", "<=", ">="]), self.pick([x, y]),
                          self.coord_centre(sx))
        return mk_bin("==", mk_bin("%", mk_bin("+", y, x), mk_lit(2, "int")), mk_lit(0, "int"))

    def coord_centre(self, size):
        sp = self.params("scalar") + [p for p in self.params("nav") if not p.dims]
        if sp and self.chance(0.5):
            p = self.pick(sp)
            return N("param", p.t, "s", name=p.name, extra=p)
        if self.chance(0.1):
            return mk_bin("%", N("index", "i64", "s", name="index"), mk_lit(size, "int"))
        return mk_lit(int(self.r.integers(0, size)), "int") if self.chance(0.6) else \
            mk_lit(size / 2, "float")

    def int_pixel(self, size):
        """A detector-shaped integer index for a dim of `size` (sometimes
        outside it: those pixels are dropped)."""
        ds = self.ds
        frame = N("frame", ds.dtype, "p", name="frame")
        d = mk_lit(size + (1 if self.chance(0.3) else 0), "int")
        opts = [lambda: mk_bin("%", mk_cast("i64", frame, ds), d),
                lambda: mk_bin("%", self.int_expr(self.num("p", 1)), d),
                lambda: mk_bin("-", mk_cast("i64", mk_bin("//", frame, self.lit_for(
                    ds.dtype, self.val(frame), nonzero=True)), ds), mk_lit(1, "int")),
                lambda: mk_call("clamp", [mk_cast("i64", self.num("p", 1), ds), mk_lit(-1, "int"),
                                          mk_lit(size, "int")])]
        if self.prog.coords:
            yname, xname = self.prog.coords
            y = N("coord", "i64", "p", name=yname, extra=0)
            x = N("coord", "i64", "p", name=xname, extra=1)
            opts += [lambda: mk_bin("%", mk_bin("+", mk_bin("*", y, mk_lit(3, "int")), x), d),
                     lambda: self.pick([x, y])]
        pl = self.pixel_lets(lambda l: is_int(l[1]))
        if pl:
            opts.append(lambda: mk_bin("%", self.let_node(self.pick(pl)), d))
        return self.pick(opts)()

    def int_scalar(self, size):
        d = mk_lit(size, "int")
        frame = N("frame", self.ds.dtype, "p", name="frame")
        return self.pick([
            lambda: mk_bin("%", N("index", "i64", "s", name="index"), d),
            lambda: mk_bin("%", mk_cast("i64", mk_red("max", frame), self.ds), d),
            lambda: mk_bin("%", self.int_expr(self.num("s", 1)), d),
        ])()

    def statement_value(self, make, nonfinite=0.3, tries=8):
        n = None
        for _ in range(tries):
            self.run.env.clear()
            n = make()
            if self.good(n, nonfinite):
                return n
        return None

    # -- statements
    def exec(self, s):
        self.run.stmt(s, self.mask, self.cwild)
        self.out.append(s)
        if s.kind == "assign":
            s.buf.assigned = True

    def new_buf(self, kind, t, dims=(), dims_src=None, init=None, private=False):
        b = Buf(self.name("b"), kind, t, resolve(t, self.ds.dtype), dims,
                dims_src if dims_src is not None else [str(d) for d in dims], init, private)
        self.prog.bufs.append(b)
        self.run.init_buf(b)
        return b

    def free_dim(self):
        """A dim for a free index: a literal, or a param's named dim (then
        the param can be read with the same index)."""
        named = [p for p in self.prog.params if p.kind in ("sig", "array") and p.dims and
                 not p.dims_src[0].isdigit()]
        if named and self.chance(0.6):
            p = self.pick(named)
            return p.dims[0], p.dims_src[0]
        d = int(self.r.integers(1, 6))
        return d, str(d)

    def to_type(self, v, b):
        """Integer accumulators get integer values (a float step truncated
        per frame would depend on the order of the frames)."""
        if is_int(b.rt) and not is_int(v.t):
            return mk_cast(b.t, v, self.ds)
        if b.rt == "bool" and v.t != "bool":   # `b += c` is an `or` only for bools
            return mk_bin("!=", v, mk_lit(0, "int"))
        return v

    def gen_stmt(self, in_if=0):
        kinds = ["let_pix", "let_s", "nav_set", "nav_free", "nav_scatter", "sig_sum", "sig_ext",
                 "sig_scatter", "single_sum", "single_scatter", "single_ext", "invariant", "if",
                 "motif", "let_chain"]
        weights = [12, 8, 22, 7, 4, 13, 4, 3, 6, 4, 3, 4, 8, 4, 3]
        if in_if:
            weights = [w if k in ("let_pix", "let_s", "nav_set", "sig_sum", "single_sum",
                                  "nav_scatter", "single_scatter", "nav_free", "sig_ext")
                       else (3 if k == "if" and in_if < 2 else 0) for k, w in zip(kinds, weights)]
        kind = self.pick(kinds, weights)
        getattr(self, "s_" + kind)()

    def s_let_pix(self):
        if self.prog.coords and self.chance(0.25):
            return self.s_let_mask()
        make = self.pick([lambda: self.num("p", int(self.r.integers(1, 4))),
                          lambda: self.boolean("p", 2),
                          lambda: self.int_pixel(int(self.r.integers(2, 6)))], [6, 2, 2])
        v = self.statement_value(make)
        if v is None:
            return
        name = self.name("l")
        self.exec(S("let", name=name, value=v))
        self.lets.append((name, v.t, "p"))

    def s_let_mask(self):
        """A pixel let of coordinates and params only (a mask or a bin
        index): computed once per partition."""
        y = N("coord", "i64", "p", name=self.prog.coords[0], extra=0)
        x = N("coord", "i64", "p", name=self.prog.coords[1], extra=1)
        if self.chance(0.6):
            v = self.coord_mask()
        else:
            d = int(self.r.integers(2, 5))
            v = self.pick([mk_bin("%", mk_bin("+", mk_bin("*", y, mk_lit(d + 1, "int")), x),
                                  mk_lit(d, "int")),
                           mk_bin("//", mk_bin("+", y, x), mk_lit(2, "int")),
                           mk_cast("i32", mk_bin("<", x, self.coord_centre(self.ds.sig_shape[1])),
                                   self.ds)])
        name = self.name("l")
        self.exec(S("let", name=name, value=v))
        self.lets.append((name, v.t, "p"))
        if self.coord_only(v):   # (a centre may be a per-frame param or the index)
            self.invariant_lets.add(name)

    def coord_only(self, n):
        """Whether n is the same in every frame."""
        if n.kind in ("frame", "red", "index", "buf", "free"):
            return False
        if n.kind == "let":
            return n.name in self.invariant_lets
        if n.kind == "param" and n.extra.kind == "nav":
            return False
        return all(self.coord_only(a) for a in n.args)

    def s_let_chain(self):
        """Lets that each use the one before (some twice), read by later
        statements: computed once per use, never re-evaluated per path."""
        shape = self.pick(["p", "s"], [3, 1])
        first = self.statement_value(lambda: self.num(shape, 1))
        if first is None:
            return
        prev = self.name("l")
        self.exec(S("let", name=prev, value=first))
        self.lets.append((prev, first.t, shape))
        for _ in range(int(self.r.integers(2, 5))):
            a = N("let", self.lets[-1][1], shape, name=prev)
            op = self.pick(["+", "-", "*", "max"])
            if op == "max":
                v = mk_call("max", [a, mk_bin("-", a, self.lit_for(a.t, self.val(a)))])
            elif op == "*" or self.chance(0.5):
                v = mk_bin(op, a, self.other(a, shape, 1))
            else:
                v = mk_bin(op, mk_bin(op, a, a), self.other(a, shape, 1))
            if not self.good(v):
                break
            prev = self.name("l")
            self.exec(S("let", name=prev, value=v))
            self.lets.append((prev, v.t, shape))

    def s_let_s(self):
        make = self.pick([lambda: self.num("s", 2), lambda: self.boolean("s", 2)], [4, 1])
        v = self.statement_value(make)
        if v is None:
            return
        name = self.name("l")
        self.exec(S("let", name=name, value=v))
        self.lets.append((name, v.t, "s"))

    NAV_TYPES = (["f32", "f64", "float", "i32", "i64", "u8", "i16", "u16", "bool", "input", "u32",
                  "i8", "u64"], [4, 4, 3, 3, 3, 1, 1, 1, 1, 1.5, 0.5, 0.5, 0.5])

    def s_nav_set(self):
        navs = [b for b in self.prog.bufs if b.kind == "nav" and b.update == "set" and
                not b.dims and b.rt != "bool"]
        if navs and self.chance(0.45):
            b = self.pick(navs)
            op = self.pick(["+=", "-=", "*=", "/=", "="], [3, 2, 2, 1, 1])
            idx = []
        else:
            b = self.new_buf("nav", self.pick(*self.NAV_TYPES))
            b.update = "set"
            op = "=" if self.chance(0.7) or b.rt == "bool" else "+="
            idx = []
            if self.chance(0.25):
                d = int(self.r.integers(2, 5))
                b.dims, b.dims_src = [d], [str(d)]
                self.run.init_buf(b)
                if self.chance(0.7):
                    idx = [mk_lit(int(self.r.integers(0, d)), "int")]
                else:
                    idx = [self.int_scalar(d + int(self.r.integers(0, 2)))]
        if b.rt == "bool" and self.chance(0.7):
            make = lambda: self.boolean("s", 2)
        else:
            make = lambda: self.num("s", int(self.r.integers(1, 4)))
        v = self.statement_value(make)
        if v is None:
            return
        self.exec(S("assign", buf=b, idx=idx, op=op, value=v))

    def s_nav_free(self):
        d, dsrc = self.free_dim()
        dims, dsrcs, names = [d], [dsrc], ["k"]
        if self.chance(0.2):
            d2 = int(self.r.integers(2, 4))
            dims, dsrcs, names = [d2, d], [str(d2), dsrc], ["j", "k"]
        b = self.new_buf("nav", self.pick(["f32", "f64", "float", "i64", "i32"]), dims, dsrcs)
        b.update = "free"
        self.target = b
        self.free = {nm: (n, s) for nm, n, s in zip(names, dims, dsrcs)}
        self.run.env.free = {nm: 0 for nm in names}
        masks = [p for p in self.params("sig") if p.dims and p.dims_src[0] == dsrc]
        if masks and self.chance(0.6):
            p = self.pick(masks)
            mk = N("param", p.t, "p", [N("free", "i64", "s", name="k")], name=p.name, extra=p)
            make = lambda: mk_red("sum", mk_bin("*", self.num("p", 1), mk)) if self.chance(0.6) \
                else mk_bin("/", mk_red("sum", mk_bin("*", N("frame", self.ds.dtype, "p",
                                                             name="frame"), mk)),
                            self.num("s", 1))
        else:
            make = lambda: mk_bin(self.pick(["+", "*", "-"]), self.num("s", 2),
                                  N("free", "i64", "s", name=self.pick(names)))
        v = self.statement_value(make)
        if v is not None:
            self.exec(S("assign", buf=b, idx=[N("free", "i64", "s", name=nm) for nm in names],
                        op="=" if self.chance(0.7) else "+=", value=v,
                        free={nm: n for nm, n in zip(names, dims)}))
        self.free = {}
        self.target = None
        self.run.env.free = {}

    def s_nav_scatter(self):
        d = int(self.r.integers(2, 6))
        b = self.new_buf("nav", self.pick(["f32", "f64", "i64", "i32", "u32", "float"]), [d])
        b.update = "scatter"
        self.target = b
        idx = self.int_pixel(d)
        make = self.pick([lambda: self.to_type(self.num("p", 2), b), lambda: mk_lit(1, "int")],
                         [3, 1])
        v = self.statement_value(make)
        self.target = None
        if v is not None and self.good(idx):
            self.exec(S("assign", buf=b, idx=[idx], op="+=", value=v))

    def acc_buf(self, kind, update, types, dims=(), dims_src=None, init=None):
        same = [b for b in self.prog.bufs if b.kind == kind and b.update == update and
                list(b.dims) == list(dims) and (dims_src is None or b.dims_src == dims_src) and
                b.t in types[0] and b.init == init]
        if same and self.chance(0.3):
            return self.pick(same)
        b = self.new_buf(kind, self.pick(*types), dims, dims_src, init)
        b.update = update
        return b

    SUM_TYPES = (["f64", "f32", "float", "i64", "i32", "u32", "u16", "input", "u64", "bool"],
                 [4, 3, 3, 3, 2, 1, 1, 1.5, 0.5, 0.7])

    def sum_init(self, t):
        if not self.chance(0.25):
            return None
        return self.pick(["1.5", "-2", "10"]) if t in ("f32", "f64", "float") else \
            self.pick(["3", "7"])

    def s_sig_sum(self):
        dims, dsrc, idx, free = (), None, [], {}
        form = self.pick(["plain", "guarded", "free", "literal"], [5, 2, 2, 1])
        if form == "free":
            d, s = self.free_dim()
            dims, dsrc = [d], [s]
            free = {"k": d}
            self.free = {"k": (d, s)}
            self.run.env.free = {"k": 0}
            idx = [N("free", "i64", "s", name="k")]
        elif form == "literal":
            d = int(self.r.integers(2, 4))
            dims, dsrc = [d], [str(d)]
            idx = [mk_lit(int(self.r.integers(0, d)), "int")]
        t = self.pick(*self.SUM_TYPES)
        b = self.acc_buf("sig", "sum", ([t], [1]), dims, dsrc, self.sum_init(t))

        def make():
            if b.rt == "bool":   # `seen += c` says whether any frame had c
                return self.boolean("p" if self.chance(0.85) else "s", 2)
            v = self.num("p" if self.chance(0.85) else "s", int(self.r.integers(1, 4)))
            if free and self.chance(0.6):
                v = mk_bin(self.pick(["*", "+"]), v, N("free", "i64", "s", name="k"))
            v = self.to_type(v, b)
            if form == "guarded":
                v = mk_call("select", [self.boolean("s", 1), v, mk_lit(0, "int")])
            return v
        v = self.statement_value(make)
        if v is not None:
            minus = self.chance(0.2) and b.rt != "bool"   # bool -= is not a sum
            self.exec(S("assign", buf=b, idx=idx, op="-=" if minus else "+=", value=v,
                        free=free))
        self.free = {}
        self.run.env.free = {}

    def ext_stmt(self, kind, shape):
        fn = self.pick(["max", "min"])
        t = self.pick(["f32", "f64", "float", "i32", "u16", "input", "i64"])
        if is_float(resolve(t, self.ds.dtype)) and self.chance(0.7):
            init = "-inf" if fn == "max" else "inf"
        else:
            init = None if self.chance(0.5) else str(int(self.r.integers(-5, 6))) \
                if is_signed(resolve(t, self.ds.dtype)) else "3"
        b = self.acc_buf(kind, fn, ([t], [1]), init=init)

        def make():
            x = self.num(shape, int(self.r.integers(1, 4)))
            if x.t != b.rt:
                x = mk_cast(b.t, x, self.ds)
            return mk_call(fn, [N("buf", b.rt, "p" if kind == "sig" else "s", name=b.name,
                                  extra=b), x])
        v = self.statement_value(make)
        if v is not None:
            self.exec(S("assign", buf=b, op="=", value=v))

    def s_sig_ext(self):
        self.ext_stmt("sig", "p")

    def s_single_ext(self):
        self.ext_stmt("single", "s")

    def s_sig_scatter(self):
        d = int(self.r.integers(2, 5))
        b = self.acc_buf("sig", "sum", (["f64", "f32", "i64", "i32", "float"], [3, 2, 2, 1, 1]),
                         [d], [str(d)])
        idx = self.int_pixel(d)
        make = self.pick([lambda: self.to_type(self.num("p", 2), b), lambda: mk_lit(1, "int")],
                         [3, 1])
        v = self.statement_value(make)
        if v is not None and self.good(idx):
            self.exec(S("assign", buf=b, idx=[idx], op="+=", value=v))

    def s_single_sum(self):
        t = self.pick(*self.SUM_TYPES)
        if self.chance(0.3):
            d, s = self.free_dim()
            b = self.acc_buf("single", "sum", ([t], [1]), [d], [s], self.sum_init(t))
            self.free = {"k": (d, s)}
            self.run.env.free = {"k": 0}
            make = lambda: self.to_type(mk_bin(self.pick(["*", "+", "-"]), self.num("s", 2),
                                               N("free", "i64", "s", name="k")), b)
            v = self.statement_value(make)
            if v is not None:
                self.exec(S("assign", buf=b, idx=[N("free", "i64", "s", name="k")], op="+=",
                            value=v, free={"k": d}))
            self.free = {}
            self.run.env.free = {}
            return
        b = self.acc_buf("single", "sum", ([t], [1]), init=self.sum_init(t))
        if b.rt == "bool":
            v = self.statement_value(lambda: self.boolean("s", 2))
        else:
            v = self.statement_value(lambda: self.to_type(self.num("s", int(self.r.integers(1, 4))),
                                                          b))
        if v is not None:
            minus = self.chance(0.2) and b.rt != "bool"
            self.exec(S("assign", buf=b, op="-=" if minus else "+=", value=v))

    def s_single_scatter(self):
        dp = [p for p in self.params("scalar") if p.t == "i64" and p.is_dim]
        form = self.pick(["pixel", "frame", "rows"], [4, 1, 1 if self.prog.coords else 0])
        if form == "rows":
            sy = self.ds.sig_shape[0]
            b = self.new_buf("single", self.pick(["f64", "i64", "float"]), [sy], ["sig_shape[0]"])
            b.update = "sum"
            y = N("coord", "i64", "p", name=self.prog.coords[0], extra=0)
            v = self.statement_value(lambda: self.to_type(self.num("p", 1), b))
            if v is not None:
                self.exec(S("assign", buf=b, idx=[y], op="+=", value=v))
            return
        if dp and self.chance(0.5):
            p = self.pick(dp)
            d, dsrc = int(p.array), [p.name]
        else:
            d = int(self.r.integers(2, 7))
            dsrc = [str(d)]
        b = self.new_buf("single", self.pick(["i64", "f64", "i32", "u64", "float"]), [d], dsrc)
        b.update = "sum"
        idx = self.int_pixel(d) if form == "pixel" else self.int_scalar(d + 1)
        if form == "pixel":
            make = self.pick([lambda: mk_lit(1, "int"), lambda: self.to_type(self.num("p", 2), b)])
        else:
            make = lambda: mk_lit(1, "int")
        v = self.statement_value(make)
        if v is not None and self.good(idx):
            self.exec(S("assign", buf=b, idx=[idx], op="+=", value=v))

    def invariant_value(self, kind):
        sp = [N("param", p.t, "s", name=p.name, extra=p) for p in self.params("scalar")]
        opts = [lambda: mk_lit(1, "int"), lambda: mk_lit(0.5, "float")]
        if sp:
            opts.append(lambda: mk_bin("*", self.pick(sp), mk_lit(2, "int")))
            opts.append(lambda: mk_bin("+", self.pick(sp), mk_lit(1, "int")))
        if kind == "sig" and self.prog.coords:
            y = N("coord", "i64", "p", name=self.prog.coords[0], extra=0)
            x = N("coord", "i64", "p", name=self.prog.coords[1], extra=1)
            opts.append(lambda: mk_bin("+", mk_bin("*", mk_cast("f64", y, self.ds),
                                                   mk_lit(0.25, "float")), x))
            opts.append(lambda: mk_call("select", [mk_bin(">", x, mk_lit(1, "int")),
                                                   mk_lit(1, "int"), mk_lit(0, "int")]))
        pl = [l for l in self.lets if l[0] in self.invariant_lets and
              (kind == "sig" or l[2] == "s")]
        if pl:
            opts.append(lambda: self.let_node(self.pick(pl)))
        return self.pick(opts)()

    def s_invariant(self):
        """A sum of a value the same in every frame, into a buffer nothing
        else touches: added once per tile times its frame count."""
        kind = self.pick(["sig", "single"])
        if kind == "single" and self.prog.coords and self.chance(0.3):
            d = int(self.r.integers(2, 5))
            b = self.new_buf("single", self.pick(["i64", "i32", "f64"]), [d])
            b.update = "inv"
            y = N("coord", "i64", "p", name=self.prog.coords[0], extra=0)
            x = N("coord", "i64", "p", name=self.prog.coords[1], extra=1)
            idx = mk_bin("%", mk_bin("+", y, x), mk_lit(d, "int"))
            self.exec(S("assign", buf=b, idx=[idx], op="+=", value=mk_lit(1, "int")))
            return
        b = self.new_buf(kind, self.pick(["i64", "f64", "f32", "i32", "float", "u16"]))
        b.update = "inv"
        v = self.invariant_value(kind)
        if v.shape == "p" and kind == "single":
            v = mk_lit(1, "int")
        self.exec(S("assign", buf=b, op="+=", value=self.to_type(v, b)))

    def type_condition(self):
        """A condition on type queries (`bits(input) <= 16`), constant for the
        data's type, sometimes joined with a per-frame one."""
        q = self.pick(["is_float", "is_signed", "bits"])
        t = self.pick(["input", "input", "float", "u16", "i8", "f64", "bool"])
        cond = N("query", "i64" if q == "bits" else "bool", "s", op=q, name=t)
        if q == "bits":
            cond = mk_bin(self.pick(["<=", ">", "=="]), cond, mk_lit(self.pick([8, 16, 32]), "int"))
        if self.chance(0.3):
            cond = mk_un("!", paren(cond) if cond.kind == "bin" else cond)
        if self.chance(0.3):
            other = self.statement_value(lambda: self.boolean("s", 1), nonfinite=1.0)
            if other is not None:
                cond = mk_bin(self.pick(["&&", "||"]), cond, other)
        return cond

    def s_if(self, in_if=0):
        if self.chance(0.3):
            cond = self.type_condition()
        else:
            cond = self.statement_value(lambda: self.boolean("s", 2), nonfinite=1.0)
        if cond is None:
            return
        c = conv(self.val(cond), "bool")
        saved = (self.out, self.mask, self.cwild, list(self.lets))
        cw = self.cwild | (c.w & self.mask)
        then, els = [], []
        self.out, self.mask, self.cwild = then, saved[1] & c.a, cw
        for _ in range(int(self.r.integers(1, 4))):
            self.gen_stmt(in_if + 1)
        self.lets = list(saved[3])
        self.out, self.mask = els, saved[1] & ~c.a
        if self.chance(0.2) and in_if < 2:
            self.s_if(in_if + 1)
        elif self.chance(0.5):
            for _ in range(int(self.r.integers(1, 3))):
                self.gen_stmt(in_if + 1)
        self.lets = list(saved[3])
        self.out, self.mask, self.cwild = saved[0], saved[1], saved[2]
        self.run.env.clear()
        if then or els:
            self.out.append(S("if", cond=cond, then=then, els=els))

    def s_motif(self):
        """logsum's body: `let m = min(E); b += log(float(E) - m + 1)`."""
        ds = self.ds
        frame = N("frame", ds.dtype, "p", name="frame")
        pl = self.pixel_lets(lambda l: is_int(l[1]))
        e = self.let_node(self.pick(pl)) if pl and self.chance(0.4) else frame
        m = self.name("l")
        self.exec(S("let", name=m, value=mk_red("min", e)))
        self.lets.append((m, e.t, "s"))
        mn = N("let", e.t, "s", name=m)
        cast = self.pick(["float", "f32", "f64", None], [3, 1, 1, 1])
        fe = mk_cast(cast, e, ds) if cast else e
        arg = self.pick([mk_bin("+", mk_bin("-", fe, mn), mk_lit(1, "int")),
                         mk_bin("-", mk_bin("+", fe, mk_lit(1, "int")), mn),
                         mk_bin("+", mk_lit(1, "int"), mk_bin("-", fe, mn))])
        val = mk_call(self.pick(["log", "log", "log1p", "sqrt"]), [arg])
        if self.chance(0.5):
            b = self.acc_buf("sig", "sum", (["f32", "f64", "float"], [2, 1, 2]))
            s = S("assign", buf=b, op="+=", value=val)
        else:
            b = self.new_buf("nav", self.pick(["f32", "f64", "float"]))
            b.update = "set"
            s = S("assign", buf=b, op="=", value=mk_red(self.pick(["sum", "max", "mean"]), val))
        if self.good(s.value, nonfinite=1.0):
            self.exec(s)

    # -- params
    def make_params(self):
        ds = self.ds
        sy, sx = ds.sig_shape
        prefix = self.prog.name + "_"
        for _ in range(int(self.r.integers(0, 4))):
            kind = self.pick(["scalar", "array", "sig", "masks", "nav", "dim"],
                             [3, 1, 1, 1.5, 1, 0.7])
            name = prefix + self.name("p")
            if kind == "scalar":
                t = self.pick(["f64", "f32", "i32", "i64"])
                p = Param(name, "scalar", t)
                earlier = [q for q in self.prog.params if q.kind == "scalar"]
                form = self.pick(["lit", "sig", "nav", "min", "param"],
                                 [1, 1, 1, 1, 1 if earlier else 0])
                if form == "param":   # defaults may use earlier params and functions
                    q = self.pick(earlier)
                    qn = N("param", q.t, "s", name=q.name, extra=q)
                    p.default = self.pick([
                        lambda: mk_bin("*", qn, mk_lit(2, "int")),
                        lambda: mk_bin("+", mk_call("sqrt", [N("shape", "i64", "s",
                                                               name="sig_shape", extra=1)]), qn),
                        lambda: mk_call("max", [qn, mk_lit(1, "int")])])()
                elif form == "lit":
                    p.default = mk_lit(self.pick([1.5, 2.0, 0.25, 3.0]), "float") if is_float(t) \
                        else mk_lit(int(self.r.integers(-3, 6)), "int")
                elif form == "min":
                    p.default = mk_bin("/", mk_call("min", [N("shape", "i64", "s", name="sig_shape",
                                                              extra=0),
                                                            N("shape", "i64", "s", name="sig_shape",
                                                              extra=1)]), mk_lit(2, "int"))
                else:
                    p.default = mk_bin(self.pick(["/", "-", "//"]),
                                       N("shape", "i64", "s", name=form + "_shape", extra=0),
                                       mk_lit(2, "int"))
                env = Env(ds)
                env.params = {q.name: V(q.array, q.t) for q in self.prog.params
                              if q.kind == "scalar"}
                value = conv(ev(p.default, env), t)
                if self.chance(0.4):
                    v = self.pick([0.75, 1.25, 2.5, -1.5, 4.0]) if is_float(t) else \
                        int(self.r.integers(-2, 8))
                    p.cli = repr(v) if is_float(t) else str(v)
                    value = conv(V(np.float64(v) if is_float(t) else np.int64(v),
                                   "f64" if is_float(t) else "i64"), t)
                p.array = value.a
            elif kind == "dim":
                p = Param(name, "scalar", "i64", default=mk_lit(3, "int"))
                p.is_dim = True
                p.array = np.int64(3)
                if self.chance(0.5):
                    p.array = np.int64(self.r.integers(2, 6))
                    p.cli = str(int(p.array))
            elif kind == "array":
                t = self.pick(["f32", "f64", "i32"])
                m = int(self.r.integers(1, 6))
                named = self.chance(0.6)
                dsrc = self.name("m") if named else str(m)
                p = Param(name, "array", t, [m], [dsrc])
                vals = [float(self.pick([0.5, 1.0, 2.5, -1.0, 3.0, 0.25, 7.0])) for _ in range(m)]
                if t == "i32":
                    vals = [float(int(v)) for v in vals]
                p.cli = ",".join(repr(v) if t != "i32" else str(int(v)) for v in vals)
                p.array = conv(V(np.array(vals), "f64"), t).a
            elif kind in ("sig", "masks"):
                t = self.pick(["f32", "f64", "u8", "i16"], [4, 2, 1, 1])
                if kind == "masks":
                    n = int(self.r.integers(1, 7))
                    p = Param(name, "sig", t, [n], [self.name("n")])
                    shape = (n, sy, sx)
                else:
                    p = Param(name, "sig", t)
                    shape = (sy, sx)
                if t in ("u8", "i16"):
                    a = self.r.integers(0, 3, size=shape)
                else:
                    a = np.where(self.r.random(shape) < 0.3, 0.0, self.r.random(shape))
                p.array = a.astype(NP[t])
                p.file = True
            else:
                t = self.pick(["f32", "f64", "i32"])
                dims = [2] if self.chance(0.4) else []
                p = Param(name, "nav", t, dims, [str(d) for d in dims])
                a = self.r.normal(0, 2, size=ds.nav_shape + tuple(dims))
                if t == "i32":
                    a = np.round(a * 3)
                if self.chance(0.3):   # the flat nav size works too
                    a = a.reshape((ds.F,) + tuple(dims))
                p.array = a.astype(NP[t])
                p.file = True
            self.prog.params.append(p)

    # -- templates: updates that need a user merge, checked in closed form
    def template_welford(self):
        prog = self.prog
        ds = self.ds
        m = Buf(self.name("wm"), "sig", "f64", "f64", private=True)
        m2 = Buf(self.name("wq"), "sig", "f64", "f64", private=True)
        n = Buf(self.name("wn"), "single", "i64", "i64")
        prog.bufs += [m, m2, n]
        v = self.statement_value(lambda: mk_cast("f64", self.num("p", 2), ds), nonfinite=0.0)
        if v is None:
            v = mk_cast("f64", N("frame", ds.dtype, "p", name="frame"), ds)
        vals = self.val(v)
        w, d, x = self.name("l"), self.name("l"), self.name("l")
        text = ["%s += 1;" % n.name,
                "let %s = 1.0 / f64(%s);" % (w, n.name),
                "let %s = %s;" % (x, src(v)),
                "let %s = %s - %s;" % (d, x, m.name),
                "%s += %s * %s;" % (m.name, d, w),
                "%s += %s * (%s - %s);" % (m2.name, d, x, m.name)]
        self.out += [S("raw", name=t) for t in text]
        prog.merge += ["let n = f64(a.{n} + b.{n});", "let delta = b.{m} - a.{m};",
                       "{q} = a.{q} + b.{q} + delta * delta * (f64(a.{n}) * f64(b.{n}) / n);",
                       "{m} = a.{m} + delta * (f64(b.{n}) / n);"]
        prog.merge = [t.format(n=n.name, m=m.name, q=m2.name) for t in prog.merge]
        mean = Buf(self.name("mean"), "sig", "f64", "f64")
        var = Buf(self.name("var"), "sig", "f64", "f64")
        std = Buf(self.name("std"), "sig", "f32", "f32")
        prog.result += [S("raw", name="sig f64 %s = select(%s > 0, %s, nan);" % (mean.name, n.name,
                                                                               m.name), buf=mean),
                        S("raw", name="sig f64 %s = %s / f64(%s);" % (var.name, m2.name, n.name),
                          buf=var),
                        S("raw", name="sig f32 %s = sqrt(%s);" % (std.name, var.name), buf=std)]

        def closed(ds, sel, which):
            a = np.broadcast_to(vals.a, (ds.F,) + ds.sig_shape)[sel]
            e = np.broadcast_to(vals.e, (ds.F,) + ds.sig_shape)[sel]
            wild = np.broadcast_to(vals.w, (ds.F,) + ds.sig_shape)[sel].any(axis=0)
            wild = wild | ~np.isfinite(a).all(axis=0)   # Welford gives NaN for inf; numpy inf
            k = a.shape[0]
            if which == "n":
                return V(np.int64(k), "i64")
            with np.errstate(all="ignore"):
                mu = a.mean(axis=0)
                big = np.abs(a).max(axis=0)
                err = e.max(axis=0) + 4 * (k + 2) * UNIT["f64"] * big
                if which == "mean":
                    return finish(mu, "f64", err, wild)
                var = ((a - mu) ** 2).mean(axis=0)
                spread = np.abs(a - mu).max(axis=0)
                verr = 4 * err * spread + 2 * err * err + 16 * (k + 2) * UNIT["f64"] * big * big
                if which == "var":
                    return finish(var, "f64", verr, wild)
                sd = np.sqrt(var)
                root = verr / (np.sqrt(var) + np.sqrt(np.maximum(var - verr, 0)))
                serr = np.where(var > verr, root, np.sqrt(verr))
                r = sd.astype(np.float32)
                # a variance within its bound of 0 may come out a hair below it: NaN
                return finish(r, "f32", serr + spacing(r), wild | (var <= verr))
        prog.closed[n.name] = lambda ds, sel: closed(ds, sel, "n")
        prog.closed[mean.name] = lambda ds, sel: closed(ds, sel, "mean")
        prog.closed[var.name] = lambda ds, sel: closed(ds, sel, "var")
        prog.closed[std.name] = lambda ds, sel: closed(ds, sel, "std")
        return True

    def template_product(self):
        ds = self.ds
        b = Buf(self.name("pr"), "sig", "f64", "f64", init="1")
        self.prog.bufs.append(b)
        make = self.pick([
            lambda: mk_bin("+", mk_lit(1.0, "float"),
                           mk_bin("*", mk_lit(0.25, "float"),
                                  mk_call("sin", [mk_cast("f64", self.num("p", 2), ds)]))),
            lambda: mk_call("select", [self.boolean("p", 2), mk_lit(1.5, "float"),
                                       mk_lit(0.75, "float")])])
        v = self.statement_value(make, nonfinite=0.0)
        if v is None:
            return False
        vals = self.val(v)
        self.out.append(S("raw", name="%s *= %s;" % (b.name, src(v))))
        self.prog.merge.append("%s = a.%s * b.%s;" % (b.name, b.name, b.name))

        def closed(ds, sel):
            a = np.broadcast_to(conv(vals, "f64").a, (ds.F,) + ds.sig_shape)[sel]
            e = np.broadcast_to(vals.e, (ds.F,) + ds.sig_shape)[sel]
            wild = np.broadcast_to(vals.w, (ds.F,) + ds.sig_shape)[sel].any(axis=0)
            with np.errstate(all="ignore"):
                r = np.prod(a, axis=0)
                rel = (e / np.abs(a)).sum(axis=0) + 3 * (a.shape[0] + 2) * UNIT["f64"]
            return finish(r, "f64", np.abs(r) * rel, wild)
        self.prog.closed[b.name] = closed
        return True

    def template_assign_sum(self):
        """`b = b + e` is not an inferred merge: merge(a, b) adds."""
        t = self.pick(["f64", "f32", "i64", "float"])
        b = self.new_buf("sig", t)
        b.update = "sum"
        v = self.statement_value(lambda: self.to_type(self.num("p", 2), b))
        if v is None:
            return False
        s = S("assign", buf=b, op="+=", value=v)
        s.text = "%s = %s + %s;" % (b.name, b.name, src(paren(v)) if v.kind == "bin" else src(v))
        self.exec(s)
        self.prog.merge.append("%s = a.%s + b.%s;" % (b.name, b.name, b.name))
        return True

    def template_select_max(self):
        """A running maximum by select, which skips NaN: merge(a, b) takes max."""
        ds = self.ds
        t = self.pick(["f64", "f32", "float"])
        b = Buf(self.name("mx"), "sig", t, resolve(t, ds.dtype), init="-inf")
        self.prog.bufs.append(b)
        v = self.statement_value(lambda: mk_cast(t, self.num("p", 2), ds), nonfinite=0.5)
        if v is None:
            return False
        vals = self.val(v)
        x = self.name("l")
        self.out.append(S("raw", name="let %s = %s;" % (x, src(v))))
        self.out.append(S("raw", name="%s = select(%s > %s, %s, %s);" % (b.name, x, b.name, x,
                                                                        b.name)))
        self.prog.merge.append("%s = max(a.%s, b.%s);" % (b.name, b.name, b.name))

        def closed(ds, sel):
            a = np.broadcast_to(vals.a, (ds.F,) + ds.sig_shape)[sel]
            e = np.broadcast_to(vals.e, (ds.F,) + ds.sig_shape)[sel]
            w = np.broadcast_to(vals.w, (ds.F,) + ds.sig_shape)[sel].any(axis=0)
            with np.errstate(all="ignore"):
                r = np.where(np.isnan(a), -np.inf, a).max(axis=0) if a.shape[0] else \
                    np.full(ds.sig_shape, -np.inf)
            return V(r.astype(NP[b.rt]), b.rt, 2 * e.max(axis=0) if a.shape[0] else 0.0, w)
        self.prog.closed[b.name] = closed
        return True

    def template_counter(self):
        """A sum of a running count: merge(a, b) needs the other part's count."""
        c = Buf(self.name("cn"), "single", "i64", "i64")
        tri = Buf(self.name("tri"), "single", "i64", "i64")
        self.prog.bufs += [c, tri]
        self.out += [S("raw", name="%s += 1;" % c.name),
                     S("raw", name="%s += %s;" % (tri.name, c.name))]
        self.prog.merge.append("{t} = a.{t} + b.{t} + a.{c} * b.{c};".format(t=tri.name, c=c.name))
        self.prog.closed[c.name] = lambda ds, sel: V(np.int64(sel.sum()), "i64")
        self.prog.closed[tri.name] = lambda ds, sel: V(np.int64(sel.sum() * (sel.sum() + 1) // 2),
                                                       "i64")
        return True

    # -- result bodies
    def result_num(self, shape, depth):
        """An expression over whole buffers: shape 'p' (sig), 'n' (nav) or 's'."""
        env = self.renv
        prog = self.prog
        leaves, weights = [], []
        kind = {"p": "sig", "n": "nav"}.get(shape)
        for b in prog.bufs:
            if b.name not in env.values or b.rt == "bool":
                continue
            if b.kind == kind or b.kind == "single":
                args = [mk_lit(int(self.r.integers(0, d)), "int") for d in b.dims]
                leaves.append(N("buf", b.rt, shape if b.kind == kind else "s", args, name=b.name,
                                extra=b))
                weights.append(3 if b.kind == kind else 1)
        for p in prog.params:
            if p.kind == "scalar" or (p.kind == kind and not p.dims):
                leaves.append(N("param", p.t, shape if p.kind == kind else "s", name=p.name,
                                extra=p))
                weights.append(0.5)
        for name, t, lshape in self.rlets:
            if lshape in (shape, "s"):
                leaves.append(N("let", t, lshape, name=name))
                weights.append(2)
        own = [l for l, w in zip(leaves, weights) if l.shape == shape]
        if not own:
            return None
        if depth <= 0:
            return self.pick(own)
        k = self.pick(["leaf", "arith", "div", "fn", "minmax", "select", "red", "cast"],
                      [2, 4, 1, 1.5, 1, 1, 2 if shape == "s" else 0, 0.5])
        if k == "red":
            a = self.result_num(self.pick(["p", "n"]), depth - 1)
            return mk_red(self.pick(["sum", "mean", "min", "max"]), a) if a is not None \
                else self.pick(own)
        a = self.result_num(shape, depth - 1)
        if k == "leaf" or a is None:
            return self.pick(own)
        if k == "arith":
            b = self.result_num(self.pick([shape, "s"]), depth - 1) or self.lit_for(a.t)
            return mk_bin(self.pick(["+", "-", "*"]), *self.pair(a, b))
        if k == "div":
            return mk_bin("/", a, self.result_num("s", depth - 1) or
                          self.lit_for(a.t, nonzero=True))
        if k == "fn":
            fn = self.pick(["sqrt", "abs", "log", "floor"])
            if fn in ("sqrt", "log"):
                a = mk_bin("+", mk_call("abs", [a]), mk_lit(1, "int"))
            return mk_call(fn, [a])
        if k == "minmax":
            return mk_call(self.pick(["min", "max"]), [a, self.lit_for(a.t, ev(a, env))])
        if k == "select":
            c = mk_bin(self.pick([">", "<="]), a, self.lit_for(a.t, ev(a, env)))
            return mk_call("select", [c, a, self.result_num(shape, depth - 1) or a])
        return mk_cast(self.pick(["f64", "f32", "i64", "float"]), a, self.ds)

    def make_result(self):
        prog = self.prog
        self.renv = env = Env(self.ds, "result")
        env.params = {p.name: param_value(p, self.ds, "result") for p in prog.params}
        env.values = self.run.finals()
        self.rlets = []
        for _ in range(int(self.r.integers(1, 5))):
            kind = self.pick(["sig", "nav", "single", "gradient", "reassign", "let"],
                             [3, 3, 2, 1.5, 1, 1.5])
            if kind == "let":   # a let of whole buffers, read by later statements
                shape = self.pick(["p", "n", "s"])
                value = self.result_num(shape, 2)
                if value is None or np.mean(ev(value, env).w) > 0.05:
                    continue
                name = self.name("l")
                env.lets[name] = ev(value, env)
                prog.result.append(S("let", name=name, value=value))
                self.rlets.append((name, value.t, value.shape))
                continue
            if kind == "gradient":
                cands = [b for b in prog.bufs if b.kind in ("sig", "nav") and b.rt != "bool" and
                         b.name in env.values]
                if not cands:
                    continue
                b = self.pick(cands)
                args = [mk_lit(int(self.r.integers(0, d)), "int") for d in b.dims]
                shape = "p" if b.kind == "sig" else "n"
                rank = 2 if b.kind == "sig" else len(self.ds.nav_shape)
                node = N("buf", b.rt, shape, args, name=b.name, extra=b)
                g = N("grad", float_of(b.rt), shape, [node, mk_lit(int(self.r.integers(0, rank)),
                                                                   "int")], op="gradient")
                g.extra = int(g.args[1].litval)
                value, dkind = g, b.kind
            elif kind == "reassign":
                cands = [b for b in prog.bufs if b.kind in ("sig", "nav", "single") and
                         not b.private and b.rt != "bool" and b.name in env.values and
                         b.update != "const" and b.assigned]
                # (the frame body may read const buffers; one it only reads,
                # never assigns, the result would make its own: the checker
                # refuses frame reads of a buffer only the result assigns)
                if not cands:
                    continue
                b = self.pick(cands)
                shape = {"sig": "p", "nav": "n", "single": "s"}[b.kind]
                free = {}
                idx = []
                if b.dims:
                    idx = [N("free", "i64", "s", name="k")] if len(b.dims) == 1 else \
                        [N("free", "i64", "s", name=nm) for nm in ("j", "k")][:len(b.dims)]
                    free = {i.name: d for i, d in zip(idx, b.dims)}
                cur = N("buf", b.rt, shape, idx, name=b.name, extra=b)
                env.free = {nm: 0 for nm in free}
                value = mk_bin(self.pick(["*", "+", "-"]), cur, self.lit_for(b.rt, ev(cur, env)))
                env.free = {}
                s = S("assign", buf=b, idx=idx, op="=", value=value, free=free)
                prog.result.append(s)
                continue
            else:
                shape = {"sig": "p", "nav": "n", "single": "s"}[kind]
                if kind == "single":
                    value = self.result_num(self.pick(["p", "n"]), 2)
                    if value is not None:
                        value = mk_red(self.pick(["sum", "mean", "min", "max"]), value)
                else:
                    value = self.result_num(shape, 2)
                if value is None:
                    continue
                dkind = kind
            env.clear()
            v = ev(value, env)
            if np.mean(v.w) > 0.05:
                continue
            t = self.pick(["f64", "f32", "float", "i64"], [3, 2, 1, 0.5])
            d = Buf(self.name("d"), dkind, t, resolve(t, self.ds.dtype))
            prog.result.append(S("derived", buf=d, value=value))
            env.values[d.name] = conv(v, d.rt)


def make_program(name, ds, rng, kind):
    prog = Program(name, ds)
    g = Gen(rng, prog, ds)
    if g.chance(0.7):
        prog.coords = g.pick([("y", "x"), ("r", "c"), ("row", "col")])
    g.make_params()
    if g.chance(0.2):   # buffers the frame body only reads: they keep their start values
        t = g.pick(["f32", "f64", "i32", "float"])
        b = Buf(g.name("b"), g.pick(["sig", "single"]), t, resolve(t, ds.dtype),
                init=g.pick(["2.5", "-3", "7"])
                if is_float(resolve(t, ds.dtype)) else g.pick(["-3", "7"]))
        b.update = "const"
        prog.bufs.append(b)
    g.run = Run(prog, ds, np.ones(ds.F, bool))
    g.mask = np.ones((ds.F, 1, 1), bool)
    g.cwild = np.zeros((ds.F, 1, 1), bool)
    g.out = prog.body
    if kind == "random":
        for _ in range(int(rng.integers(3, 9))):
            g.gen_stmt()
        if not [b for b in prog.bufs if not b.private]:
            g.s_nav_set()
        if g.chance(0.35):
            g.make_result()
    else:
        for _ in range(int(rng.integers(0, 3))):
            g.s_nav_set()
        for t in kind:
            getattr(g, "template_" + t)()
    return prog


# ---------------------------------------------------------------- running

DATASETS = [  # dtype, nav, sig: frame counts 35, 9, 15, 6, 7, 30, 10 (none a multiple of 4)
    ("u8", (5, 7), (5, 7)),
    ("u16", (1, 9), (4, 6)),
    ("i16", (3, 5), (1, 8)),
    ("i32", (2, 3), (3, 3)),
    ("f32", (7,), (5, 7)),
    ("f64", (6, 5), (2, 9)),
    ("f32", (2, 5), (16, 17)),   # more than 256 pixels: sums in several blocks
    # 40 KiB frames: tiles of 25 frames (1 MiB), several in a partition; big frames
    # make the reference slow, so fewer programs
    ("f64", (4, 10), (64, 80), {"programs": 3}),
]
TEMPLATES = [["welford"], ["product", "counter"], ["assign_sum", "select_max"],
             ["welford", "counter"], ["select_max", "product"], ["assign_sum", "counter"],
             ["welford", "select_max"]]
PROGRAMS_PER_DATASET = 10


class Stats:
    compared = 0
    undecided = 0
    outputs = 0
    undecided_share = 0.0   # sum over outputs of the fraction undecided
    runs = 0
    programs = 0


def udfc(args):
    cmd = [UDFC] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p, " ".join(cmd)


def diagnose(progs, ds, tmp, cmd, p, header):
    """udfc failed on a file of programs: find the programs it fails on
    alone, and fail with them."""
    report = []
    for prog in progs:
        path = os.path.join(tmp, prog.name + ".udf")
        with open(path, "w") as f:
            f.write(prog.source())
        c = subprocess.run([UDFC, "check", path], capture_output=True, text=True)
        if c.returncode != 0:
            report.append("udfc check rejects this program:\n%s\n%s" % (prog.source(), c.stderr))
    if not report:
        report.append("(every program passes `udfc check` alone)")
    fail("%s\n%s\nexited %d\nstderr:\n%s\n%s" % (header, cmd, p.returncode, p.stderr[-4000:],
                                                  "\n".join(report)))


def compare(actual, expected, buf, ds, what):
    """Checks one output: dtype, shape, and values within the bound."""
    shape = {"nav": ds.nav_shape, "sig": ds.sig_shape, "single": ()}[buf.kind] + tuple(buf.dims)
    want_t = NP[buf.rt]
    if actual.dtype != np.dtype(want_t):
        return "%s: dtype %s, expected %s" % (what, actual.dtype, np.dtype(want_t))
    if actual.shape != shape:
        return "%s: shape %s, expected %s" % (what, actual.shape, shape)
    r = np.broadcast_to(expected.a, shape)
    e = np.broadcast_to(expected.e, shape)
    w = np.broadcast_to(expected.w, shape)
    Stats.compared += int((~w).sum())
    Stats.undecided += int(w.sum())
    Stats.outputs += 1
    Stats.undecided_share += float(w.mean()) if w.size else 0.0
    if w.any() and os.environ.get("UDF_RANDOM_VERBOSE"):
        print("undecided: %s %d of %d" % (what, int(w.sum()), w.size))
    if is_float(buf.rt):
        a64, r64 = actual.astype(np.float64), r.astype(np.float64)
        with np.errstate(all="ignore"):
            same_nan = np.isnan(a64) == np.isnan(r64)
            inf = np.isinf(r64) | np.isinf(a64)
            same_inf = ~inf | (a64 == r64)
            close = np.isnan(r64) | inf | (np.abs(a64 - r64) <= e)
        bad = ~(same_nan & same_inf & close) & ~w
    else:
        bad = (actual != r) & ~w
    if bad.any():
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        bound = " (± %.3g)" % e[i] if is_float(buf.rt) else ""
        return "%s: %d of %d elements differ, first at %s: udfc gives %r, numpy %r%s" % (
            what, int(bad.sum()), bad.size, i, actual[i], r[i], bound)
    return None


def generate(seed, index, rng):
    dtype, nav, sig = DATASETS[index][:3]
    opts = DATASETS[index][3] if len(DATASETS[index]) > 3 else {}
    ds = Dataset("d%d" % index, dtype, nav, sig, rng)
    progs = []
    count = opts.get("programs", PROGRAMS_PER_DATASET)
    for i in range(count):
        name = "u%d_%d" % (index, i)
        kind = TEMPLATES[(seed + index) % len(TEMPLATES)] if i == count - 1 else "random"
        progs.append(make_program(name, ds, rng, kind))
    return ds, progs


def run_dataset(seed, index, rng, tmp):
    ds, progs = generate(seed, index, rng)
    Stats.programs += len(progs)
    data_path = os.path.join(tmp, ds.name + ".npy")
    np.save(data_path, ds.data)
    args = []
    for prog in progs:
        for n, p in enumerate(prog.params):
            if p.file:
                path = os.path.join(tmp, p.name + ".npy")
                np.save(path, p.array)
                p.cli = "@" + path
            if p.cli is not None:   # --param UDF.NAME=V for every other one
                qual = prog.name + "." + p.name if n % 2 else p.name
                args += ["--param", "%s=%s" % (qual, p.cli)]
    udf_path = os.path.join(tmp, ds.name + ".udf")
    source = "".join(prog.source() for prog in progs)
    with open(udf_path, "w") as f:
        f.write(source)
    configs = [("-j 1", ["-j", "1"]), ("-j 2", ["-j", "2"]),
               ("-j 2 --partitions 1", ["-j", "2", "--partitions", "1"]),
               ("-j 1 --partitions 1", ["-j", "1", "--partitions", "1"]),
               ("-j 2 --partitions 3", ["-j", "2", "--partitions", "3"]),
               ("-j 1 --partitions 2", ["-j", "1", "--partitions", "2"])]
    if ds.roi:
        y0, y1, x0, x1 = ds.roi
        configs.append(("-j 2 --roi", ["-j", "2", "--roi", "%d:%d,%d:%d" % (y0, y1, x0, x1)]))
    identical = [("-j 1", "-j 2"), ("-j 1 --partitions 1", "-j 2 --partitions 1")]
    refs = {}
    results = {}
    header = "seed %d, data set %s (%s); UDF_RANDOM_SEED=%d UDF_RANDOM_KEEP=DIR reruns it " \
        "keeping the files" % (seed, ds.name, ds.describe, seed)
    if UDFRUN:   # the same udfs built ahead of time for x86-64-v2 (math written out in IR)
        lib = os.path.join(tmp, ds.name + ".so")
        p, cmd = udfc(["build", udf_path, "--dtype", ds.dtype, "-o", lib])
        if p.returncode != 0:
            diagnose(progs, ds, tmp, cmd, p, header)
        configs.append(("udfrun", ["-j", "2"]))
    for label, extra in configs:
        out = os.path.join(tmp, "out.h5")
        run_args = ["--data", data_path, "-o", out, "--no-progress"] + extra + args
        if label == "udfrun":
            cmd = [UDFRUN, lib] + run_args
            p = subprocess.run(cmd, capture_output=True, text=True)
            cmd = " ".join(cmd)
        else:
            p, cmd = udfc(["run", udf_path] + run_args)
        Stats.runs += 1
        if p.returncode != 0:
            diagnose(progs, ds, tmp, cmd, p, header)
        if "runtime error" in p.stderr or "Sanitizer" in p.stderr:
            fail("%s\n%s\nsanitizer report:\n%s" % (header, cmd, p.stderr))
        roi = "--roi" in extra
        if roi not in refs:
            sel = ds.selection(roi)
            refs[roi] = [reference(prog, ds, sel) for prog in progs]
        got = {}
        with h5py.File(out, "r") as f:
            for prog, ref in zip(progs, refs[roi]):
                for b in prog.outputs():
                    key = "/%s/%s" % (prog.name, b.name)
                    if key not in f:
                        fail("%s\n%s\nno dataset %s in the output\n\n%s" % (header, cmd, key,
                                                                             prog.source()))
                    actual = f[key][()]
                    got[key] = actual
                    msg = compare(np.asarray(actual), ref[b.name], b, ds,
                                  "%s (%s)" % (key, label))
                    if msg:
                        fail("%s\n%s\n%s\n\nprogram:\n%s" % (header, cmd, msg, prog.source()))
                for b in prog.bufs:
                    if b.private and "/%s/%s" % (prog.name, b.name) in f:
                        fail("%s: private buffer %s.%s was written out" % (header, prog.name,
                                                                           b.name))
        results[label] = got
    for a, b in identical:
        for key in results[a]:
            x, y = np.asarray(results[a][key]), np.asarray(results[b][key])
            if x.tobytes() != y.tobytes():
                fail("%s\n%s differs between `%s` and `%s` (partitions are the same; results "
                     "must be bit-identical)" % (header, key, a, b))


def run_seed(seed):
    rng = np.random.default_rng(seed)
    keep = os.environ.get("UDF_RANDOM_KEEP")
    if keep:   # keep the files (data, params, udfs) for reducing a failure
        os.makedirs(keep, exist_ok=True)
        for index in range(len(DATASETS)):
            run_dataset(seed, index, rng, keep)
        return
    with tempdir() as tmp:
        for index in range(len(DATASETS)):
            run_dataset(seed, index, rng, tmp)


# ---------------------------------------------------------------- focused checks
# Bugs the generator found, reduced by hand, kept as regression checks. Each
# returns None or what is wrong.

FOCUSED = []


def focused(fn):
    FOCUSED.append(fn)
    return fn


def run_udf(tmp, source, data, *args):
    """Runs `source` on `data` (a numpy array); returns (process, command,
    {"udf/buffer": array}) -- no outputs if udfc failed."""
    src_path = os.path.join(tmp, "focused.udf")
    with open(src_path, "w") as f:
        f.write(source)
    data_path = os.path.join(tmp, "focused.npy")
    np.save(data_path, data)
    out = os.path.join(tmp, "focused.h5")
    if os.path.exists(out):
        os.remove(out)
    p, cmd = udfc(["run", src_path, "--data", data_path, "-o", out, "--no-progress"] +
                  list(args))
    got = {}
    if p.returncode == 0:
        with h5py.File(out, "r") as f:
            f.visititems(lambda name, d: got.__setitem__(name, d[()])
                         if isinstance(d, h5py.Dataset) else None)
    return p, cmd, got


START = """udf start {
    single i64 frames = 100;
    sig f32 acc = 1.5;
    frame {
        frames += 1;
        acc += frame;
    }
}
"""


@focused
def check_start_value_once(tmp):
    """A start value is where the sum begins, once: 100 + 6 frames is 106
    with any number of partitions (each partition's partial started at 100
    and the sum merge added them: 106, 206, 306, 606)."""
    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 2, 2)
    for partitions in ("1", "3", "6"):
        p, cmd, got = run_udf(tmp, START, data, "-j", "1", "--partitions", partitions)
        if p.returncode:
            return "%s\nexited %d: %s" % (cmd, p.returncode, p.stderr)
        acc = (1.5 + data.reshape(6, 2, 2).sum(axis=0)).astype(np.float32)
        if got["start/frames"] != 106 or not np.array_equal(got["start/acc"], acc):
            return ("%s\n%s\nframes = %d (expected 106), acc = %s (expected %s)"
                    % (START, cmd, got["start/frames"], got["start/acc"].ravel(), acc.ravel()))
    return None


def welford_udf(name, body, value, results):
    """A udf that keeps Welford's mean and m2 of `value` per pixel (its let
    v, in frame body `body`) and merges them with Chan's formula; `results`
    are its result lines."""
    return """udf %s {
    private sig f64 mean;
    private sig f64 m2;
    single i64 n;
    %s {
        n += 1;
        let v = %s;
        let delta = v - mean;
        mean += delta / f64(n);
        m2 += delta * (v - mean);
    }
    merge(a, b) {
        let total = f64(a.n + b.n);
        let delta = b.mean - a.mean;
        m2 = a.m2 + b.m2 + delta * delta * (f64(a.n) * f64(b.n) / total);
        mean = a.mean + delta * (f64(b.n) / total);
    }
    result {
        %s
    }
}
""" % (name, body, value, "\n        ".join(results))


NORMSTD = welford_udf("normstd", "frame", "f64(frame) / f64(sum(frame))",
                      ["sig f64 var = m2 / f64(n);"])


KEPT = """udf kept {
    nav i64 n;
    sig f64 acc;
    frame {
        n = 1;
        let l = f64(frame) * n + 0 * sum(frame);
        n += 10;
        acc += l;
    }
}
"""


@focused
def check_let_kept(tmp):
    """A let keeps the value it had where it stands (SPEC 2.3, docs: a
    detector-shaped let is the value at the point it stands). A pixel let with
    a reduction in it fuses with no statement, is computed again at each use,
    and read the buffers as changed since: `acc` got frame * 11, not frame.
    The same in stddev's Welford update of frames normalised by their sum:
    `delta` was recomputed from the updated mean, and with more than one
    frame per partition the variance came out wrong."""
    data = np.arange(1, 7, dtype=np.int16).reshape(1, 2, 1, 3)
    p, cmd, got = run_udf(tmp, KEPT, data)
    if p.returncode:
        return "%s\nexited %d: %s" % (cmd, p.returncode, p.stderr)
    want = data.reshape(2, 3).sum(axis=0).astype(np.float64).reshape(1, 3)
    if not np.array_equal(got["kept/acc"], want):
        return "%s\n%s\nacc = %s, expected %s" % (KEPT, cmd, got["kept/acc"].ravel(),
                                                  want.ravel())
    data = np.array([[1, 3], [2, 2], [3, 1]], np.uint8).reshape(3, 1, 1, 2)
    v = data.reshape(3, 2) / data.reshape(3, 2).sum(axis=1, keepdims=True)
    for partitions in ("1", "3"):
        p, cmd, got = run_udf(tmp, NORMSTD, data, "-j", "1", "--partitions", partitions)
        if p.returncode:
            return "%s\nexited %d: %s" % (cmd, p.returncode, p.stderr)
        if not np.allclose(got["normstd/var"].ravel(), v.var(axis=0), rtol=1e-12):
            return ("%s\n%s\nvar = %s, numpy %s" % (NORMSTD, cmd, got["normstd/var"].ravel(),
                                                   v.var(axis=0)))
    return None


INF_SUM = """udf flat {
    nav f32 s;
    nav f32 m;
    frame {
        s = sum(frame);
        m = mean(frame);
    }
}
udf coords {
    nav f32 s;
    frame[y, x] {
        s = sum(frame);
    }
}
"""


@focused
def check_sum_of_inf(tmp):
    """sum and mean of a frame with an infinite pixel are infinite (numpy):
    the compensation of the blocked float sum computed inf - inf = NaN when
    there was more than one block (over 256 pixels, or a row each in a
    frame[y, x] body)."""
    for shape in ((1, 2, 20, 20), (1, 2, 2, 3)):
        data = np.ones(shape, np.float32)
        data[0, 0, 1, 2] = np.inf
        data[0, 1, 1, 0] = -np.inf
        p, cmd, got = run_udf(tmp, INF_SUM, data)
        if p.returncode:
            return "%s\nexited %d: %s" % (cmd, p.returncode, p.stderr)
        want = np.array([[np.inf, -np.inf]], np.float32)
        for key in ("flat/s", "flat/m", "coords/s"):
            if not np.array_equal(got[key], want):
                return ("%s\n%s (frames %s with one +inf and one -inf pixel)\n%s = %s, "
                        "numpy %s" % (INF_SUM, cmd, shape[2:], key, got[key].ravel(),
                                      want.ravel()))
    return None


UNWRITTEN = """udf unwritten {
    nav f32 written;
    nav f32 never;
    frame {
        written = 1;
    }
}
"""


@focused
def check_unwritten_nav(tmp):
    """A nav buffer starts at 0 in every frame (SPEC 2.3), also when the
    frame body never assigns it: it came out NaN (the mark of positions
    without a frame) at every position."""
    data = np.zeros((2, 3, 2, 2), np.uint16)
    p, cmd, got = run_udf(tmp, UNWRITTEN, data)
    if p.returncode:
        return "%s\nexited %d: %s" % (cmd, p.returncode, p.stderr)
    if not np.array_equal(got["unwritten/never"], np.zeros((2, 3), np.float32)):
        return "%s\n%s\nnever = %s, expected 0" % (UNWRITTEN, cmd, got["unwritten/never"])
    return None


FIXPOINT = """udf fixpoint {
    single f64 b[1];
    frame {
        b[k] += 1;
    }
    result {
        b[k] = b[k] * 2;
    }
}
"""


@focused
def check_result_fixpoint(tmp):
    """A valid result body made LLVM abort ("LLVM ERROR: Instruction
    Combining did not reach a fixpoint after 1 iterations", exit 1): the
    short pipeline for result bodies asks for `instcombine`, which LLVM 19
    runs with its fixpoint verification."""
    data = np.zeros((2, 3, 2, 2), np.uint16)
    p, cmd, got = run_udf(tmp, FIXPOINT, data)
    if p.returncode:
        return "%s\n%s\nexited %d: %s" % (FIXPOINT, cmd, p.returncode, p.stderr.strip())
    if got["fixpoint/b"].tolist() != [12.0]:
        return "%s\n%s\nb = %s, expected [12.]" % (FIXPOINT, cmd, got["fixpoint/b"])
    return None


RESULT_START = """udf restart {
    sig f32 c = 2.5;
    single f64 s = 2;
    nav f32 n;
    frame {
        n = 1;
    }
    result {
        c = c * 1;
        s = s * 10;
    }
}
"""


@focused
def check_result_start_value(tmp):
    """A buffer the frame body leaves alone keeps its start value (decisions:
    Merges), also when the result body reassigns it: the result read 0."""
    data = np.zeros((2, 3, 2, 2), np.uint16)
    p, cmd, got = run_udf(tmp, RESULT_START, data)
    if p.returncode:
        return "%s\nexited %d: %s" % (cmd, p.returncode, p.stderr)
    if not (np.all(got["restart/c"] == 2.5) and got["restart/s"] == 20):
        return "%s\n%s\nc = %s (expected 2.5), s = %s (expected 20)" % (
            RESULT_START, cmd, got["restart/c"].ravel(), got["restart/s"])
    return None


DIVMOD = """udf divmod {
    param f64 a = 1;
    param f64 b = 0.1;
    param f64 c = -7;
    param f64 d = 3.5;
    nav f64 q;
    nav f64 r;
    nav f64 z;
    frame {
        q = a // b;
        r = a % b;
        z = 1 / (c % d);
    }
}
"""


@focused
def check_float_floordiv(tmp):
    """Float // floors the quotient (SPEC 2.3), as Python and numpy do:
    1.0 // 0.1 is 9 (0.1 is a little more than 1/10), and a // b * b + a % b
    is a. udfc floored the rounded quotient 1.0 / 0.1 = 10. And % takes the
    sign of the divisor, also for 0: -7.0 % 3.5 is +0 (1 / it is +inf); it
    was -0."""
    data = np.zeros((1, 1, 1, 1), np.uint8)
    p, cmd, got = run_udf(tmp, DIVMOD, data)
    if p.returncode:
        return "%s\nexited %d: %s" % (cmd, p.returncode, p.stderr)
    with np.errstate(divide="ignore"):
        want = (np.floor_divide(1.0, 0.1), np.remainder(1.0, 0.1), 1 / np.remainder(-7.0, 3.5))
    have = tuple(float(got["divmod/" + k].ravel()[0]) for k in "qrz")
    if have != want:
        return "%s\n%s\n(q, r, z) = %s, numpy %s" % (DIVMOD, cmd, have, want)
    return None


TWICE = """udf twice {
    sig f64 a;
    sig f64 b;
    frame {
        let v = log(f64(frame) * 1.1 + 0.3);
        a += v;
        b += v + 0 * sum(frame);
    }
}
"""

LOGSTD = welford_udf("logstd", "frame[y, x]", "sin(f64(frame) - mean(frame))",
                     ["sig f64 var = m2 / f64(n);", "sig f64 std = sqrt(var);"])


@focused
def check_let_one_value(tmp):
    """A let has one value per pixel (docs/language.md: immutable). A pixel
    let with a math function, computed again for each statement that uses it
    (a reduction splits their loops), differed between the statements at some
    pixels: libmvec in the vectorised loop, libm in the scalar remainder round
    differently. So `a` and `b` below differed, and a Welford update of
    sin(frame - mean(frame)) over four identical frames gave a variance a hair
    below 0 (std NaN) where it is exactly 0."""
    rng = np.random.default_rng(0)
    frames = (rng.random((16, 17)) * 100).astype(np.float32)
    p, cmd, got = run_udf(tmp, TWICE, frames.reshape(1, 1, 16, 17))
    if p.returncode:
        return "%s\nexited %d: %s" % (cmd, p.returncode, p.stderr)
    differ = np.argwhere(got["twice/a"] != got["twice/b"])
    if differ.size:
        i = tuple(differ[0])
        return ("%s\n%s\n(16x17 frame of random f32 in [0, 100), seed 0)\na != b at %d pixels, "
                "first %s: %r != %r" % (TWICE, cmd, len(differ), list(i), got["twice/a"][i],
                                        got["twice/b"][i]))
    p, cmd, got = run_udf(tmp, LOGSTD, np.broadcast_to(frames, (4, 16, 17)).copy(),
                          "-j", "1", "--partitions", "1")
    if p.returncode:
        return "%s\nexited %d: %s" % (cmd, p.returncode, p.stderr)
    if (got["logstd/var"] != 0).any():
        return ("%s\n%s\n(four identical frames)\nvar != 0 at %d pixels (min %r), std NaN at "
                "%d" % (LOGSTD, cmd, int((got["logstd/var"] != 0).sum()), got["logstd/var"].min(),
                        int(np.isnan(got["logstd/std"]).sum())))
    return None


JAMKEPT = """udf jamkept {
    nav i64 n[4];
    frame {
        let l = log(f32(frame) + 1.0);
        n[i64(exp(l) - 0.5) % 4] += 1;
    }
}
"""


@focused
def check_let_kept_per_frame(tmp):
    """A pixel let kept in scratch (its math function could round differently
    where recomputed) keeps each frame's values: frames go through the body
    four at a time, and all four used the last one's values, which one
    scratch image held."""
    values = (np.arange(9 * 15).reshape(9, 15) * 7 // 3 % 11).astype(np.uint8)
    want = np.stack([np.bincount(v % 4, minlength=4) for v in values.astype(np.int64)])
    p, cmd, got = run_udf(tmp, JAMKEPT, values.reshape(9, 3, 5), "-j", "1", "--partitions", "1")
    if p.returncode:
        return "%s\nexited %d: %s" % (cmd, p.returncode, p.stderr)
    if not np.array_equal(got["jamkept/n"], want):
        return "%s\n%s\ncounts %s, want %s" % (JAMKEPT, cmd, got["jamkept/n"].tolist(),
                                                want.tolist())
    return None


WRAPPED = """udf wrapped {
    nav f64 total;
    frame {
        total = sum(f64(u64(frame)));
    }
}
udf wrapped32 {
    nav f64 total;
    frame {
        total = sum(f64(u32(i16(frame))));
    }
}
udf wrappedmax {
    nav f64 total;
    frame {
        total = sum(f64(max(u64(frame), u64(5))));
    }
}
"""


@focused
def check_wrapped_to_float(tmp):
    """u64 of a negative integer is 2^64 + x, also as a float. LLVM 19's SLP
    vectorizer narrows a uitofp by its operand's sign bits, where it joined
    the four frames of a group in the scalar remainder of a pixel loop (9
    pixels: one vector of 8, then the 9th): u64(i32 -1746) came out as
    2^32 - 1746, directly and through a max (seeds 20261377 and a variant)."""
    values = np.array([[-1746, 5, -3, 7, -2147483648, 2147483647, 0, -1, -922]] * 8,
                      np.int32) + np.arange(8, dtype=np.int32)[:, None]
    p, cmd, got = run_udf(tmp, WRAPPED, values.reshape(2, 4, 3, 3), "-j", "1", "--partitions", "1")
    if p.returncode:
        return "%s\nexited %d: %s" % (cmd, p.returncode, p.stderr)
    want = values.astype(np.uint64).astype(np.float64).sum(1)
    want32 = values.astype(np.int16).astype(np.uint32).astype(np.float64).sum(1)
    wantmax = np.maximum(values.astype(np.uint64), np.uint64(5)).astype(np.float64).sum(1)
    for name, w in (("wrapped", want), ("wrapped32", want32), ("wrappedmax", wantmax)):
        g = got[name + "/total"].ravel()
        if not np.allclose(g, w, rtol=1e-12, atol=0):
            return "%s\n%s\n%s: %s, want %s" % (WRAPPED, cmd, name, g.tolist(), w.tolist())
    return None


def main():
    problems = []
    with tempdir() as tmp:
        for check in FOCUSED:
            msg = check(tmp)
            if msg:
                problems.append("%s: %s" % (check.__name__, msg))
    for rnd in range(ROUNDS):
        run_seed(SEED + rnd)
    # (per output, so that one big buffer behind an undecided `if` does not count 5120 times)
    if Stats.undecided_share > 0.05 * Stats.outputs:
        fail("outputs were %.1f%% undecided (not compared) on average: the generator makes too "
             "many values that sit on a discontinuity" % (100 * Stats.undecided_share /
                                                          Stats.outputs))
    print("random programs ok: seed %d, %d programs, %d runs, %d elements compared "
          "(%d undecided)" % (SEED, Stats.programs, Stats.runs, Stats.compared,
                              Stats.undecided))
    if problems:
        fail("%d focused check%s failed:\n\n%s" % (len(problems), "" if len(problems) == 1
                                                    else "s", "\n\n".join(problems)))
    print("ok")


if __name__ == "__main__":
    main()
