/* mib_header.h — the text headers of Quantum Detectors Merlin data: the
 * header in front of every frame of a .mib file (comma-separated fields) and
 * the .hdr acquisition header (`key:\tvalue` lines). Pure parsing, no I/O. */
#ifndef UDFRT_MIB_HEADER_H
#define UDFRT_MIB_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "udfrt/kernel_abi.h"

typedef struct udfrt_mib_header {
    int64_t sequence;     /* 1-based frame number */
    int64_t header_bytes; /* the header's length: frame data follows it */
    int chips;
    int width, height;  /* pixels, as the header gives them */
    char pixel_type[4]; /* U08 U16 U32 U64, or R64 for raw data */
    char layout[8];     /* sensor layout without padding: 1x1, 2x2, 2x2G, Nx1, ... */
    int counter_depth;  /* 1, 6, 12 or 24: the header's last field */
    /* Derived: what a decoded frame is. */
    int raw;      /* R64: packed 64-bit words, decoded while reading */
    int quad_raw; /* raw 2x2 quad: chip rows interleaved, reassembled */
    int64_t sig_height, sig_width;
    udf_dtype dtype;
    int64_t image_bytes; /* stored bytes of one frame after its header */
    /* The header's text from after the sequence number's comma to the end of
     * the pixel type (length, chips, width, height, type: the same in every
     * frame of an acquisition), or fixed_len 0 if longer than `fixed`. */
    char fixed[64];
    size_t fixed_len;
} udfrt_mib_header;

/* Parses the frame header at the start of `text` (`n` bytes, at least the
 * header's length). Returns NULL, or what is wrong. */
const char *udfrt_mib_parse_header(const char *text, size_t n, udfrt_mib_header *h);

/* What udfrt_mib_check_frame finds in a frame's header. */
typedef enum udfrt_mib_frame_check {
    UDFRT_MIB_FRAME_OK,
    UDFRT_MIB_FRAME_NO_HEADER,      /* it does not start with 'MQ1,' */
    UDFRT_MIB_FRAME_BAD_SEQUENCE,   /* field 2 is not a number */
    UDFRT_MIB_FRAME_OTHER_SEQUENCE, /* another frame's number */
    UDFRT_MIB_FRAME_OTHER_FORMAT    /* length, chips, width, height or type differ */
} udfrt_mib_frame_check;

/* Checks that `text` (n bytes) is the header of frame `sequence` of the
 * acquisition whose first header is `first`: 'MQ1,', then that sequence
 * number (in as many digits as the field has: a 6-digit field wraps at
 * 10^6), then first's fixed fields (unless those were longer than `fixed`,
 * 64 bytes where real headers use ~30: only the number is checked then).
 * *found gets the sequence number the header gives, or -1. */
udfrt_mib_frame_check udfrt_mib_check_frame(const char *text, size_t n,
                                            const udfrt_mib_header *first, int64_t sequence,
                                            int64_t *found);

/* The scan shape from a .hdr file: (ScanY, ScanX) when given, else
 * (frames in acquisition / frames per trigger, frames per trigger) when a
 * trigger covers more than one frame. Sets *rank to 2, or to 0 when the header
 * does not say; returns NULL or what is wrong with the text. */
const char *udfrt_mib_parse_hdr(const char *text, size_t n, int64_t nav[2], int *rank);

#endif
