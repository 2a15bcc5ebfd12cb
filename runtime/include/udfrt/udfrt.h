/* udfrt.h — the public C API of libudfrt, the udf runtime.
 *
 * A program opens a data set, loads compiled kernels (a shared library or an
 * object built by `udfc build`, or kernels the JIT just made), starts a
 * session on the data set, adds udfs to it, gives their params, picks frames
 * and threads, runs them all in one pass, then reads the result arrays or
 * writes result files. libudfrt needs no LLVM.
 *
 * Errors: every function that can fail returns a udfrt_status and, unless it
 * is UDFRT_OK, leaves a one-line message in *err (the first failure wins, so
 * one udfrt_error can follow a sequence of calls). Nothing prints or exits.
 * Status codes equal udfc's exit codes. Objects come in _create/_destroy
 * (or _open/_destroy) pairs; _destroy accepts NULL.
 *
 * The whole API is described in docs/api.md; examples/aot is a complete
 * program. */
#ifndef UDFRT_UDFRT_H
#define UDFRT_UDFRT_H

#include <stdint.h>

#include "udfrt/kernel_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum udfrt_status {
    UDFRT_OK = 0,
    UDFRT_ERR_SOURCE = 1,  /* a .udf source problem (the compiler's) */
    UDFRT_ERR_USAGE = 2,   /* a bad argument: option, param value, udf name */
    UDFRT_ERR_DATA = 3,    /* unreadable or mismatched data, I/O failure, out of memory */
    UDFRT_ERR_INTERNAL = 4 /* a bug: please report */
} udfrt_status;

typedef struct udfrt_error {
    udfrt_status code; /* UDFRT_OK until the first failure */
    char msg[1024];
} udfrt_error;

/* ---- data sets ---- */

typedef struct udfrt_dataset udfrt_dataset;

/* How to read a data set; zero-initialised means "as stored". */
typedef struct udfrt_open_options {
    const char *dtype; /* raw files: element type name (u16, f32, ...) */
    int nav_rank;      /* > 0: lay the frames on this nav shape (--nav) */
    int64_t nav_shape[UDF_MAX_RANK];
    int sig_rank; /* > 0: raw files: the sig shape (--sig) */
    int64_t sig_shape[UDF_MAX_RANK];
    int sig_dims;        /* > 0: trailing dims that are sig (--sig-dims); default 2 */
    int64_t offset;      /* raw files: bytes before the first frame */
    int64_t sync_offset; /* > 0 skips frames at the start, < 0 inserts blank positions */
} udfrt_open_options;

/* `spec`: demo[:NY,NX,SY,SX], PATH.npy, PATH.h5[:/dataset], PATH.mib, or a
 * raw PATH with opt->dtype, nav and sig shapes. opt may be NULL. */
udfrt_status udfrt_dataset_open(const char *spec, const udfrt_open_options *opt,
                                udfrt_dataset **out, udfrt_error *err);
void udfrt_dataset_destroy(udfrt_dataset *ds);

typedef struct udfrt_dataset_info {
    const char *format; /* "npy", "raw", "demo", ... */
    udf_dtype dtype;    /* of the stored elements */
    int nav_rank, sig_rank;
    int64_t nav_shape[UDF_MAX_RANK], sig_shape[UDF_MAX_RANK];
    int64_t frames; /* stored */
} udfrt_dataset_info;
void udfrt_dataset_describe(const udfrt_dataset *ds, udfrt_dataset_info *info);

/* ---- kernel modules ---- */

typedef struct udfrt_module udfrt_module;

/* A shared library from `udfc build -o KERNELS.so`, or an object file from
 * `udfc build -o KERNELS.o` (linked into this process by the runtime itself).
 * Refused (UDFRT_ERR_DATA) if it has no udf_module descriptor or one of
 * another ABI version. */
udfrt_status udfrt_module_load(const char *path, udfrt_module **out, udfrt_error *err);
/* Kernels from an object file's bytes (x86-64 ELF, relocatable, as udfc's
 * code generator emits them), linked into this process; `from` names them in
 * messages. The bytes may be freed afterwards. */
udfrt_status udfrt_module_link(const void *object, size_t size, const char *from,
                               udfrt_module **out, udfrt_error *err);
/* Kernels linked into the program (`udfc build -o KERNELS.o`, then
 * &udf_module). The descriptor must outlive the module. */
udfrt_status udfrt_module_wrap(const udf_module_desc *desc, udfrt_module **out, udfrt_error *err);
void udfrt_module_destroy(udfrt_module *m);
/* The distinct udf names in the module, in order; returns how many there are
 * (names[] gets at most cap of them). */
int udfrt_module_udfs(const udfrt_module *m, const char **names, int cap);

/* ---- sessions: one pass over a data set ---- */

typedef struct udfrt_session udfrt_session;

/* How far a run is. */
typedef struct udfrt_progress {
    int64_t frames_done, frames_total;
    int64_t bytes_read;
    double seconds; /* since the run started */
    int finished;   /* the last report: every frame is done */
} udfrt_progress;
typedef void (*udfrt_progress_fn)(void *ctx, const udfrt_progress *p);

typedef struct udfrt_run_stats {
    int64_t frames; /* frames processed */
    int64_t partitions;
    int64_t tile_depth; /* frames per tile */
    int64_t bytes_read;
    double read_seconds;    /* summed over workers */
    double correct_seconds; /* summed over workers; 0 when fused */
    double kernel_seconds;  /* summed over workers */
    double wall_seconds;
    /* Workers that chose to read frames by mapping the page cache, or by
     * copying them with pread (each tries both on its first tiles and keeps
     * the faster; formats that must decode or byte-swap are in neither). */
    int mapping_workers, copying_workers;
    /* Under mpirun: the number of ranks, and the frames this rank processed;
     * else 1 and `frames`. On rank 0 the counts and times above are summed
     * over all ranks' workers. */
    int ranks;
    int64_t rank_frames;
    /* Every kernel applied the corrections as it loaded the frames (those of
     * udfc run, and of udfc build --corrections, unless excluded pixels need
     * whole corrected frames). */
    int corrections_fused;
} udfrt_run_stats;

/* One result array: every buffer a udf does not declare private. */
typedef struct udfrt_result {
    const char *udf;
    const char *name;
    udf_kind kind;
    udf_dtype dtype;
    int rank;
    int64_t shape[2 * UDF_MAX_RANK]; /* nav + dims, sig + dims, or dims */
    int dims;                        /* how many of them are the buffer's own dims */
    int64_t elements;
    const void *data; /* C order, owned by the session */
} udfrt_result;

/* The session uses ds (which must outlive it) and the modules added to it. */
udfrt_status udfrt_session_create(udfrt_dataset *ds, udfrt_session **out, udfrt_error *err);
void udfrt_session_destroy(udfrt_session *s);

/* Frame selection and reading; call before udfrt_session_add. `roi` is an
 * array file (PATH.npy, PATH.h5:/dataset; nonzero selects) or one
 * START:STOP range per nav dim ("10:20,0:64", open ends allowed). */
udfrt_status udfrt_session_roi(udfrt_session *s, const char *roi, udfrt_error *err);
/* Detector corrections from array files (each may be NULL): frames become
 * (raw - dark) * gain in f32 (f64 for 32/64-bit data), excluded pixels the
 * mean of their valid neighbours. */
udfrt_status udfrt_session_corrections(udfrt_session *s, const char *dark, const char *gain,
                                       const char *exclude, udfrt_error *err);
void udfrt_session_threads(udfrt_session *s, int threads); /* <= 0: all cores */
/* <= 0: from the size; never so few that a partition holds over 65536 frames */
void udfrt_session_partitions(udfrt_session *s, int64_t partitions);
void udfrt_session_progress(udfrt_session *s, udfrt_progress_fn fn, void *ctx);
/* The element type kernels must be compiled for: the stored type, or the
 * float type of corrections (or of the conversion udfrt_session_add chose). */
udf_dtype udfrt_session_frame_dtype(const udfrt_session *s);
/* How kernels compiled for this session may apply its corrections as they
 * load frames (kernel_abi.h UDF_FUSED), or 0 (no corrections, or excluded
 * pixels, which need whole corrected frames). */
int32_t udfrt_session_fusable(const udfrt_session *s);

/* Adds udf `udf` of module m (NULL: every udf of m). The kernel for the
 * session's frame type is used; if m has none but has one for the frame
 * type's float type (f32 up to 16-bit integers, else f64), frames are
 * converted to it as they are read — possible only before the first add. */
udfrt_status udfrt_session_add(udfrt_session *s, const udfrt_module *m, const char *udf,
                               udfrt_error *err);
/* The name of the i-th udf added, or NULL. */
const char *udfrt_session_udf(const udfrt_session *s, int i);

/* "NAME=VALUE" (a number, true/false, or a list 1,2,3 for a 1-D array
 * param), "NAME=@PATH.npy" or "NAME=@PATH.h5:/dataset"; NAME applies to
 * every added udf with that param, UDF.NAME to one. Call after adding. */
udfrt_status udfrt_session_param(udfrt_session *s, const char *assignment, udfrt_error *err);

udfrt_status udfrt_session_run(udfrt_session *s, udfrt_run_stats *stats, udfrt_error *err);
/* After a run: *out points at the results (valid until the session is
 * destroyed); returns their number (0 on MPI ranks other than 0). */
int udfrt_session_results(const udfrt_session *s, const udfrt_result **out);
/* After a run: the HDF5 file (/<udf>/<buffer>, attribute kind), and if not
 * NULL a .npy per result in npy_dir and a PNG per 2-D nav or sig result in
 * png_dir. All files appear together, or none does. */
udfrt_status udfrt_session_write(udfrt_session *s, const char *h5_path, const char *npy_dir,
                                 const char *png_dir, udfrt_error *err);

/* ---- MPI: one run over the ranks of `mpirun -n N` ---- */

/* Joins the ranks when the process was started by mpirun (libudfrt built with
 * UDF_MPI; without it, an mpirun of more than one rank is refused, so that
 * ranks do not each run the whole job). The environment variable UDF_MPI=off
 * makes a process started by an MPI rank, which inherits the launcher's
 * variables, run on its own. Call once, before opening anything.
 * A session then runs on every rank with the same arguments: each rank reads
 * its share of the partitions, and rank 0 merges them in the order of a
 * single-process run (bit-identical results) and alone has the results. */
udfrt_status udfrt_mpi_start(udfrt_error *err);
/* This process's rank (0 without MPI) and the number of ranks (1). */
int udfrt_mpi_rank(void);
int udfrt_mpi_size(void);
/* Leaves the ranks: a nonzero exit code on any rank aborts all of them with
 * it (the others may be waiting for this one's partitions). */
void udfrt_mpi_finish(int exit_code);

#ifdef __cplusplus
}
#endif

#endif
