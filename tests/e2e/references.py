"""references — numpy re-implementations of the standard library, following
LiberTEM's formulas (SumUDF, SumSigUDF, LogsumUDF, StdDevUDF, ApplyMasksUDF,
masks.circular/ring, CoMUDF, FEMUDF, PickUDF) and docs/stdlib.md for the
UDFs LiberTEM does not have (max, radial_profile). Every function takes the
data as an array of shape nav + sig and returns {buffer: array}."""
import numpy as np


def float_type(dtype):
    """numpy.result_type(dtype, float32): the udf language's `float`."""
    return np.result_type(dtype, np.float32)


def frames(data, sig_rank):
    """The data as (number of frames, pixels) in f64."""
    nav = data.shape[:data.ndim - sig_rank]
    return data.reshape(int(np.prod(nav)), -1).astype(np.float64), nav


def ref_sum(data, sig_rank):
    f, _ = frames(data, sig_rank)
    return {"intensity": f.sum(axis=0).reshape(data.shape[-sig_rank:]).astype(float_type(data.dtype))}


def ref_sumsig(data, sig_rank):
    f, nav = frames(data, sig_rank)
    return {"intensity": f.sum(axis=1).reshape(nav).astype(float_type(data.dtype))}


def ref_max(data, sig_rank):
    f, _ = frames(data, sig_rank)
    return {"intensity": f.max(axis=0).reshape(data.shape[-sig_rank:]).astype(float_type(data.dtype))}


def ref_logsum(data, sig_rank):
    f, _ = frames(data, sig_rank)
    ft = float_type(data.dtype)
    fl = data.reshape(f.shape).astype(ft)
    m = data.reshape(f.shape).min(axis=1, keepdims=True).astype(ft)
    out = np.log(fl - m + 1).astype(np.float64).sum(axis=0)
    return {"logsum": out.reshape(data.shape[-sig_rank:]).astype(np.float32)}


def ref_stddev(data, sig_rank):
    f, _ = frames(data, sig_rank)
    shape = data.shape[-sig_rank:]
    return {
        "mean": f.mean(axis=0).reshape(shape),
        "var": f.var(axis=0).reshape(shape),
        "std": f.std(axis=0).reshape(shape),
        "num_frames": np.int64(f.shape[0]),
    }


def ref_masks(data, sig_rank, masks):
    f, nav = frames(data, sig_rank)
    m = masks.reshape(masks.shape[0], -1).astype(np.float64)
    return {"intensity": (f @ m.T).reshape(nav + (masks.shape[0],)).astype(float_type(data.dtype))}


def coordinates(sig):
    y, x = np.meshgrid(np.arange(sig[0]), np.arange(sig[1]), indexing="ij")
    return y.astype(np.float64), x.astype(np.float64)


def ref_disk(data, sig_rank, cy=None, cx=None, r=None):
    sy, sx = data.shape[-2:]
    cy = sy / 2 if cy is None else cy
    cx = sx / 2 if cx is None else cx
    r = 0.15 * min(sy, sx) if r is None else r
    y, x = coordinates((sy, sx))
    mask = (y - cy) * (y - cy) + (x - cx) * (x - cx) <= r * r
    f, nav = frames(data, 2)
    return {"intensity": (f @ mask.ravel()).reshape(nav).astype(float_type(data.dtype))}


def ref_ring(data, sig_rank, cy=None, cx=None, ro=None, ri=None):
    sy, sx = data.shape[-2:]
    cy = sy / 2 if cy is None else cy
    cx = sx / 2 if cx is None else cx
    ro = min(sy, sx) / 2 if ro is None else ro
    ri = 0.8 * ro if ri is None else ri
    y, x = coordinates((sy, sx))
    d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx)
    mask = (ri * ri < d2) & (d2 <= ro * ro)
    f, nav = frames(data, 2)
    return {"intensity": (f @ mask.ravel()).reshape(nav).astype(float_type(data.dtype))}


def ref_com(data, sig_rank, cy=None, cx=None, r=np.inf, ri=0.0, scan_rotation=0.0, flip_y=False,
            regression=-1, roi=None):
    """CoMUDF; with a ROI (nav-shaped bools) the positions outside are NaN and
    the regression fits the ones inside (numpy.linalg.lstsq); `regression`
    may also be a (3, 2) matrix to subtract."""
    sy, sx = data.shape[-2:]
    cy = sy // 2 if cy is None else cy
    cx = sx // 2 if cx is None else cx
    y, x = coordinates((sy, sx))
    d2 = (y - cy) ** 2 + (x - cx) ** 2
    sel = (d2 <= r * r) if ri <= 0 else ((ri * ri < d2) & (d2 <= r * r))
    f, nav = frames(data, 2)
    total = f @ sel.ravel()
    ym = f @ (y * sel).ravel()
    xm = f @ (x * sel).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        shift_y = np.where(total == 0, 0, ym / total - cy)
        shift_x = np.where(total == 0, 0, xm / total - cx)
    shifts = np.stack([shift_y, shift_x], axis=-1).reshape(nav + (2,))
    t = np.radians(scan_rotation)
    flip = np.array([[-1, 0], [0, 1]]) if flip_y else np.eye(2)
    rot = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    field = shifts @ (rot @ flip).T
    inside = np.ones(nav, bool) if roi is None else roi
    scan = np.stack([np.ones(nav)] + list(np.indices(nav)[:2]), axis=-1)  # [1, y, x]
    matrix = np.zeros((3, 2))
    if not np.isscalar(regression):  # an explicit matrix
        matrix = np.asarray(regression, np.float64)
    elif regression == 0:
        matrix[0] = field[inside].mean(axis=0)
    elif regression == 1:
        matrix = np.linalg.lstsq(scan[inside], field[inside], rcond=None)[0]
    field = np.where(inside[..., None], field - scan @ matrix, np.nan)
    shifts = np.where(inside[..., None], shifts, np.nan)
    fy, fx = field[..., 0], field[..., 1]

    def gradient(a, axis):
        return np.gradient(a, axis=axis) if a.shape[axis] > 1 else np.zeros_like(a)

    ft = float_type(data.dtype)
    return {
        "raw_shifts": shifts.astype(ft),
        "raw_com": (shifts + np.array([cy, cx])).astype(ft),
        "field": field.astype(ft),
        "field_y": fy.astype(ft),
        "field_x": fx.astype(ft),
        "magnitude": np.sqrt(fy ** 2 + fx ** 2).astype(ft),
        "divergence": (gradient(fy, 0) + gradient(fx, 1)).astype(ft),
        "curl": (gradient(fy, 1) - gradient(fx, 0)).astype(ft),
        "regression_matrix": matrix,
    }


def ref_radial_profile(data, sig_rank, cy=None, cx=None, ri=0.0, ro=None, nbins=16):
    sy, sx = data.shape[-2:]
    cy = sy / 2 if cy is None else cy
    cx = sx / 2 if cx is None else cx
    ro = min(sy, sx) / 2 if ro is None else ro
    y, x = coordinates((sy, sx))
    d = np.sqrt((y - cy) * (y - cy) + (x - cx) * (x - cx))
    bins = np.floor((d - ri) / (ro - ri) * nbins).astype(np.int64).ravel()
    f, nav = frames(data, 2)
    profile = np.full((f.shape[0], nbins), np.nan)
    for b in range(nbins):
        sel = bins == b
        if sel.any():
            profile[:, b] = f[:, sel].sum(axis=1) / sel.sum()
    return {"profile": profile.reshape(nav + (nbins,)).astype(float_type(data.dtype))}


def ref_fem(data, sig_rank, cy=None, cx=None, ri=0.0, ro=None):
    sy, sx = data.shape[-2:]
    cy = sy / 2 if cy is None else cy
    cx = sx / 2 if cx is None else cx
    ro = min(sy, sx) / 2 if ro is None else ro
    y, x = coordinates((sy, sx))
    d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx)
    sel = ((ri * ri < d2) & (d2 <= ro * ro)).ravel()
    f, nav = frames(data, 2)
    return {"intensity": f[:, sel].std(axis=1).reshape(nav).astype(np.float32)}


def ref_pick(data, sig_rank, indices):
    f = data.reshape((-1,) + data.shape[-sig_rank:])
    out = np.zeros((len(indices),) + data.shape[-sig_rank:], dtype=data.dtype)
    for i, n in enumerate(indices):
        if 0 <= n < f.shape[0]:
            out[i] = f[n]
    return {"intensity": out}
