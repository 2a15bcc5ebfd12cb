"""mibgen — writes Quantum Detectors Merlin .mib/.hdr test files following the
published layout (frame header fields, big-endian processed pixels, raw R64
words, the raw 2x2 quad's interleaved chip rows), independently of udf's
reader. Used by the tests and the format benchmark."""
import numpy as np


def frame_header(seq, width, height, pixel_type, depth, chips=1, layout="1x1", offset=None):
    """One frame header: comma-separated fields, padded with spaces to the
    data offset (by default 384 bytes for one chip, 768 for more)."""
    offset = offset or (384 if chips == 1 else 768)
    fields = ["MQ1", "%06d" % seq, "%05d" % offset, "%02d" % chips, "%04d" % width,
              "%04d" % height, pixel_type, "%6s" % layout, "%02x" % ((1 << chips) - 1),
              "2020-05-18 16:51:49.971626", "0.000555", "0", "0", "0",
              "1.200000E+2", "5.110000E+2", "0.000000E+0", "0.000000E+0", "0.000000E+0",
              "0.000000E+0", "0.000000E+0", "0.000000E+0", "3RX", "175", "511", "125", "125",
              "125", "100", "100", "100", "80", "75", "100", "125", "125", "MQ1A",
              "2020-05-18T14:51:49.971626178Z", "555000ns", "%d" % depth]
    text = ",".join(fields).encode("ascii")
    assert len(text) <= offset
    return text + b" " * (offset - len(text))


def pack_words(pixels, bits):
    """R64: pixels fill each big-endian 64-bit word from its least significant
    bits up."""
    flat = pixels.reshape(-1).astype(np.uint64)
    per_word = 64 // bits
    words = np.zeros(len(flat) // per_word, dtype=np.uint64)
    for j in range(per_word):
        words |= flat[j::per_word] << np.uint64(bits * j)
    return words.astype(">u8").tobytes()


def quad_rows(frame):
    """The raw quad's stored row order: stored row r holds row r of chips 4, 3,
    2, 1; chip 1 is the top-left quadrant, chip 2 top-right, chips 3 and 4 the
    bottom half rotated by 180 degrees."""
    top, bottom = frame[:256], frame[256:][::-1, ::-1]
    chip1, chip2 = top[:, :256], top[:, 256:]
    chip3, chip4 = bottom[:, 256:], bottom[:, :256]
    return np.concatenate([chip4, chip3, chip2, chip1], axis=1)


def encode(frame, kind, depth, quad):
    """The stored bytes of one frame; kind is U08/U16/U32/U64 or R64."""
    if kind != "R64":
        return frame.astype(">u%d" % (int(kind[1:]) // 8)).tobytes()
    if quad:
        frame = quad_rows(frame)
    if depth == 24:
        hi, lo = frame >> 12, frame & 0xfff
        return pack_words(hi, 16) + pack_words(lo, 16)
    return pack_words(frame, {1: 1, 6: 8, 12: 16}[depth])


DTYPES = {("U08", None): np.uint8, ("U16", None): np.uint16, ("U32", None): np.uint32,
          ("U64", None): np.uint64, ("R64", 1): np.uint8, ("R64", 6): np.uint8,
          ("R64", 12): np.uint16, ("R64", 24): np.uint32}
MAXIMA = {1: 1, 6: 63, 12: 4095, 24: (1 << 24) - 1}


def frames_for(kind, depth, n, shape, seed=3):
    """Random frames that the format can hold."""
    rng = np.random.default_rng(seed)
    dtype = DTYPES[(kind, depth if kind == "R64" else None)]
    top = MAXIMA[depth] if kind == "R64" else min(np.iinfo(dtype).max, 1 << 40)
    return rng.integers(0, top + 1, size=(n,) + shape, dtype=np.uint64).astype(dtype)


def write_mib(path, frames, kind, depth, first_seq=1, quad=False, header_bytes=None):
    """Writes frames (n, h, w) to one .mib file."""
    n, h, w = frames.shape
    hw = w * 2 if kind == "R64" and depth == 24 else w
    chips, layout = (4, "2x2") if quad else (1, "1x1")
    with open(path, "wb") as f:
        for i in range(n):
            f.write(frame_header(first_seq + i, hw, h, kind, depth, chips, layout, header_bytes))
            f.write(encode(frames[i], kind, depth, quad))


def write_hdr(path, frames_in_acquisition, frames_per_trigger, scan=None):
    lines = ["HDR,\t", "Time and Date Stamp (day, mnth, yr, hr, min, s):\t18/05/2020 16:51:48",
             "Chip ID:\tW529_F5,-,-,-", "Chip Type (Medipix 3.0, Medipix 3.1, Medipix 3RX):\t3RX",
             "Assembly Size (NX1, 2X2):\t   1x1", "Chip Mode  (SPM, CSM, CM, CSCM):\tSPM",
             "Counter Depth (number):\t12",
             "Frames in Acquisition (Number):\t%d" % frames_in_acquisition,
             "Frames per Trigger (Number):\t%d" % frames_per_trigger]
    if scan:
        lines += ["ScanX:\t%d" % scan[1], "ScanY:\t%d" % scan[0]]
    lines += ["End\t"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
