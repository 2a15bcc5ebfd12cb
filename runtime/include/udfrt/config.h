/* config.h — every tunable of the compiler and the runtime, in one place.
 * Values are defaults; where the runtime can measure the machine it does. */
#ifndef UDFRT_CONFIG_H
#define UDFRT_CONFIG_H

/* A partition is a contiguous range of frames whose sig/single results are
 * built in one partial buffer set. The partition count depends only on the data
 * set (never on the thread count), and partials merge in a fixed binary tree,
 * so results are bit-identical for any -j. */
#define UDF_PARTITION_BYTES (64ll << 20)
/* Small data sets still get this many partitions (if they have the frames),
 * so that threads have work to share. */
#define UDF_MIN_PARTITIONS 16
/* No partition holds more frames than this, whatever --partitions asks, so
 * that a udf may sum values of up to 16 bits in 32-bit partial sums
 * (65537 * 65535 < 2^32) and widen them when partials merge (stddev). A
 * language guarantee (docs/language.md); partitions get smaller shares where
 * moving their boundaries to whole read blocks adds up to a block (run.c). */
#define UDF_PARTITION_FRAMES_MAX 65536

/* A tile is a stack of whole frames of about this many bytes (at least
 * UDF_FRAME_JAM frames where they fit UDF_TILE_BYTES_MAX, else at least one):
 * big enough to amortise the per-tile call, small enough to stay in L2. */
#define UDF_TILE_BYTES (1ll << 20)
/* Tiles grow up to this size to hold one whole read block (an HDF5 chunk of
 * several frames), which then decodes straight into the tile, or a jammed
 * group of big frames (2048² frames: 32 MiB, 64 MiB corrected to f32; the
 * kernels then stream their accumulators once per four frames). */
#define UDF_TILE_BYTES_MAX (64ll << 20)

/* Decoded HDF5 chunks kept per reader thread, for chunks that do not map onto
 * whole tiles (chunks split along sig, or spanning several nav rows). */
#define UDF_CHUNK_CACHE_BYTES (256ll << 20)

/* Float sums over pixels add this many values in the element type (vector
 * lanes), then the block's sum into an f64 total with Kahan compensation:
 * as fast as summing in the element type, more accurate than pairwise
 * summation. */
#define UDF_SUM_BLOCK 256

/* Frames a tile kernel takes through the frame body together when the body
 * only reduces frames to per-frame values (compiler/lower_tile.c). */
#define UDF_FRAME_JAM 4

/* Pixels per block of a tile whose frame body only updates sig buffers
 * elementwise: the tile's groups of frames go over one block of pixels after
 * another, so the block's accumulators stay in L1 (compiler/lower_tile.c). */
#define UDF_PIXEL_BLOCK 256

/* Values of a free index whose reductions share one pass over the pixels
 * (masks: four masks per pass, so each pixel of each frame is converted once
 * per four masks and each mask element loaded once per group of frames;
 * compiler/lower.c). Frames x indices accumulators must fit the registers. */
#define UDF_FREE_JAM 4

/* Seconds between progress reports of a run: often enough to look alive,
 * rarely enough to cost nothing. */
#define UDF_PROGRESS_SECONDS 0.2

/* --png auto-contrast: values at or below the low percentile of the finite
 * values are black, at or above the high one white; clipping a few outliers
 * (hot pixels, the direct beam) keeps the rest visible. */
#define UDF_PNG_LOW_PERCENTILE 0.5
#define UDF_PNG_HIGH_PERCENTILE 99.5

/* Frames in host order are read through a mapped window of the file per
 * worker, this large (bench/README.md: up to twice pread's speed from the
 * page cache, and the resident set stays a few windows)... */
#define UDF_MAP_WINDOW_BYTES (8ll << 20)
/* A window starts at a multiple of this in the file: the page cache's
 * folios of 2 MiB are aligned so in the file, and the kernel maps one with a
 * single page-table entry per fault only where the window is aligned alike
 * (a multiple of every page size). */
#define UDF_MAP_ALIGN_BYTES (2ll << 20)

/* ... or copied with pread, when that is faster: mapping is cheap when the
 * page cache holds the file in large folios and page faults and TLB
 * shootdowns are cheap, costlier than a copy otherwise (bench/README.md).
 * Each worker reads its first UDF_READ_TRIAL_WARMUP windows' worth of tiles
 * by copying, uncounted, then UDF_READ_TRIAL_WINDOWS by copying and as many
 * by mapping; all keep mapping if, over all their counted tiles, it took
 * fewer read and kernel seconds per byte by UDF_READ_MAP_MARGIN, else
 * copying; a mapped tile that leaves mapping slower than copying decides
 * at once (read_trial.c). */
#define UDF_READ_TRIAL_WARMUP 2
#define UDF_READ_TRIAL_WINDOWS 4
#define UDF_READ_MAP_MARGIN 1.1

/* Before udfc loads LLVM to compile, the heap grows by this much at once on
 * 2 MiB pages (heap_pages.h): LLVM's heap faulted in 4 KiB pages, ~1000
 * faults at ~12 us each on a paravirtualised guest, was a seventh of a
 * compile. LLVM's compile of a stdlib udf uses 10-40 MB. */
#define UDF_COMPILE_HEAP_BYTES (64ll << 20)

/* udfc shares the parts of the kernels it compiles (the hot part, tile and
 * merge, and the cold part, prepare and result, of each udf and input type)
 * out between two threads by their size (lir_size), when the second thread
 * gets at least the first's work divided by this: a second thread's start in
 * LLVM (its target machine, context and first page faults, which contend
 * with the first thread's) slowed the first by more than a small part costs
 * (16 masks with its empty cold part apart: 1.08x the compile time), while
 * com (cold part 1.4x the hot part's size) compiles in 0.80x. */
#define UDF_SECOND_THREAD_SHARE 4
/* A cold part's loop IR costs about this many times less to compile than a
 * hot part's (com: 1823 cold nodes in 16 ms, 1309 hot ones in 57 ms). */
#define UDF_COLD_WORK_DIVISOR 4
/* A udf whose own parts would keep the second compile thread idle has loops
 * or branches of its tile moved into functions of their own (lowering;
 * lir_outline.h), when that leaves the busier thread at most this
 * percentage of the tile's work (lir_size). */
#define UDF_OUTLINE_MAX_SHARE 80
/* ... and when the tile's work is at least this: smaller tiles (sum: 222,
 * stddev: 332) compiled 1.06-1.07x slower on two threads, larger ones
 * (logsum: 490, radial_profile: 539, fem: 734) 0.77-0.87x. */
#define UDF_OUTLINE_MIN_WORK 400

/* Bytes of the source line shown under a diagnostic before it is cut. */
#define UDF_DIAG_LINE_MAX 240

#endif
