"""Every standard-library UDF on random data of one element type, against the
numpy references of references.py: odd shapes, 1-D and 2-D nav, a 1x1 nav,
1-D and 2-D sig, one pass for all UDFs, with the default partitions and with
one partition (deep tiles, so the jammed schedules run). Integer results must be exact, float
results within 1e-5 relative (f64 sums and statistics within 1e-9)."""
import os
import sys
import warnings

import numpy as np

import references as ref
from udftest import check_close, check_equal, random_data, read, run, tempdir

dtype = sys.argv[1]

# (nav, sig) shapes; nothing divides evenly.
CONFIGS = [((5, 7), (11, 13)), ((9,), (12, 10)), ((1, 1), (9, 8)), ((6, 5), (37,))]
RANK_GENERIC = ["sum", "sumsig", "max", "logsum", "stddev", "masks"]
TWO_D_SIG = ["disk", "ring", "fem", "radial_profile", "pick"]
NEEDS_2D_NAV = ["com"]


def compare(udf, buffer, actual, expected, what, terms=None):
    """terms: for masks, the largest sum of absolute products per frame —
    signed data make f32 sums cancel, so their error scales with it."""
    expected = np.asarray(expected)
    if expected.dtype.kind in "iub":
        check_equal(actual, expected, what)
    elif udf == "stddev":
        check_close(actual, expected, what, rtol=1e-9, atol=1e-9 * np.abs(expected).max())
    elif udf == "com":
        # Shifts are differences of centres: compare against the frame scale.
        scale = max(float(np.nanmax(np.abs(expected))), 1.0)
        check_close(actual, expected, what, rtol=1e-5, atol=2e-5 * scale)
    elif udf in ("sum", "sumsig", "max", "disk", "ring", "radial_profile") and dtype not in ("f32", "f64"):
        check_equal(actual, expected, what)
    elif udf == "fem" and dtype in ("u8", "u16", "i16"):
        check_close(actual, expected, what, rtol=2.5e-7)  # exact sums: the f32 rounding only
    elif udf == "masks":
        check_close(actual, expected, what, rtol=1e-5, atol=1e-6 * terms)
    else:
        check_close(actual, expected, what, rtol=1e-5, atol=1e-6)


with tempdir() as tmp:
    for nav, sig in CONFIGS:
        data = random_data(dtype, nav + sig, seed=len(nav) * 100 + len(sig))
        if dtype in ("f32", "f64"):
            data = np.abs(data)  # logsum and com expect counts, as detectors give
        path = os.path.join(tmp, "data.npy")
        np.save(path, data)
        sig_rank = len(sig)
        # 6 masks: one group of four sharing a pass, then two alone.
        masks = np.random.default_rng(5).random((6,) + sig).astype(np.float32)
        masks_terms = (float(np.abs(data.astype(np.float64)).max())
                       * float(np.abs(masks).reshape(6, -1).sum(axis=1).max()))
        masks_path = os.path.join(tmp, "masks.npy")
        np.save(masks_path, masks)
        n_frames = int(np.prod(nav))
        indices = [0, n_frames - 1, n_frames // 2]

        udfs = list(RANK_GENERIC)
        if sig_rank == 2:
            udfs += TWO_D_SIG
            if len(nav) == 2:
                udfs += NEEDS_2D_NAV
        out = os.path.join(tmp, "out.h5")
        params = ["--param", "masks=@" + masks_path]
        if "pick" in udfs:
            params += ["--param", "indices=" + ",".join(map(str, indices))]
        expected = {
            "sum": ref.ref_sum(data, sig_rank),
            "sumsig": ref.ref_sumsig(data, sig_rank),
            "max": ref.ref_max(data, sig_rank),
            "logsum": ref.ref_logsum(data, sig_rank),
            "stddev": ref.ref_stddev(data, sig_rank),
            "masks": ref.ref_masks(data, sig_rank, masks),
        }
        if sig_rank == 2:
            expected.update({
                "disk": ref.ref_disk(data, sig_rank),
                "ring": ref.ref_ring(data, sig_rank),
                "fem": ref.ref_fem(data, sig_rank),
                "radial_profile": ref.ref_radial_profile(data, sig_rank),
                "pick": ref.ref_pick(data, sig_rank, indices),
            })
            if len(nav) == 2:
                expected["com"] = ref.ref_com(data, sig_rank)
        # Default partitions (a few frames each), then one partition: tiles deep
        # enough for the compiler's jammed schedules, with a short last group.
        for partitions in ([], ["--partitions", "1"]):
            run("run", *udfs, "--data", path, "--sig-dims", sig_rank, "-o", out, "-j", "2",
                *params, *partitions)
            for udf, buffers in expected.items():
                for buffer, want in buffers.items():
                    what = "%s/%s (%s, nav %s, sig %s%s)" % (udf, buffer, dtype, nav, sig,
                                                          " ".join([""] + partitions))
                    compare(udf, buffer, read(out, udf, buffer), want, what, terms=masks_terms)

        # fem on a narrow ring, and on an empty one (NaN): integer data up to
        # 16 bits takes the one-pass exact sums, the others two passes.
        if sig_rank == 2:
            out = os.path.join(tmp, "fem.h5")
            for ri, ro in ((1.5, 4.0), (5.0, 3.0)):
                run("run", "fem", "--data", path, "-o", out, "--param", "ri=%g" % ri,
                    "--param", "ro=%g" % ro)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # the empty ring's mean
                    want = ref.ref_fem(data, 2, ri=ri, ro=ro)
                compare("fem", "intensity", read(out, "fem", "intensity"), want["intensity"],
                        "fem/intensity, ri %g, ro %g (%s, nav %s)" % (ri, ro, dtype, nav))

        # com with its corrections and a plane fitted and subtracted, then with
        # the mean field subtracted over a ROI, against the same reference.
        if sig_rank == 2 and len(nav) == 2:
            out = os.path.join(tmp, "com.h5")
            run("run", "com", "--data", path, "-o", out, "--param", "scan_rotation=30",
                "--param", "flip_y=true", "--param", "r=4", "--param", "ri=1.5",
                "--param", "regression=1")
            want = ref.ref_com(data, 2, r=4, ri=1.5, scan_rotation=30, flip_y=True, regression=1)
            for buffer in want:
                compare("com", buffer, read(out, "com", buffer), want[buffer],
                        "com/%s with corrections (%s, nav %s)" % (buffer, dtype, nav))
            roi = np.zeros(nav, bool)
            roi[nav[0] // 2:, 1:] = True
            np.save(os.path.join(tmp, "roi.npy"), roi)
            run("run", "com", "--data", path, "-o", out, "--param", "regression=0",
                "--roi", os.path.join(tmp, "roi.npy"))
            want = ref.ref_com(data, 2, regression=0, roi=roi)
            for buffer in want:
                compare("com", buffer, read(out, "com", buffer), want[buffer],
                        "com/%s with the mean field subtracted over a ROI (%s, nav %s)"
                        % (buffer, dtype, nav))
            # A fit from one run subtracted in another (fit_matrix; LiberTEM's
            # regression given as an array), which wins over `regression`.
            fitted = read(out, "com", "regression_matrix")
            matrix = fitted + np.array([[0.25, -0.5], [0.01, 0.0], [0.0, -0.02]])
            np.save(os.path.join(tmp, "fit.npy"), matrix)
            run("run", "com", "--data", path, "-o", out, "--param", "regression=1",
                "--param", "fit_matrix=@" + os.path.join(tmp, "fit.npy"), "--roi",
                os.path.join(tmp, "roi.npy"))
            want = ref.ref_com(data, 2, regression=matrix, roi=roi)
            for buffer in want:
                compare("com", buffer, read(out, "com", buffer), want[buffer],
                        "com/%s with a given regression matrix (%s, nav %s)" % (buffer, dtype, nav))
print("ok")
