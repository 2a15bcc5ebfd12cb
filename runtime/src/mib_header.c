/* mib_header.c — parsing Merlin frame and acquisition headers; see
 * mib_header.h. Field positions follow Quantum Detectors' documented layout
 * as LiberTEM and RosettaSciIO read it. */
#include "mib_header.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 128

/* A non-negative decimal number filling the field (spaces around allowed). */
static int parse_count(const char *s, size_t n, int64_t *out)
{
    while (n && *s == ' ')
        s++, n--;
    while (n && s[n - 1] == ' ')
        n--;
    if (n == 0 || n > 15)
        return 0;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r')
            return 0;
    return 1;
}

/* Derives the decoded frame shape, element type and stored size. */
static const char *derive(udfrt_mib_header *h)
{
    int64_t w = h->width, ht = h->height, px = w * ht;
    h->sig_height = ht;
    h->sig_width = w;
    if (!h->raw) {
        static const struct {
            const char *name;
            udf_dtype dtype;
            int bytes;
        } types[] = {{"U08", UDF_DTYPE_U8, 1},
                     {"U16", UDF_DTYPE_U16, 2},
                     {"U32", UDF_DTYPE_U32, 4},
                     {"U64", UDF_DTYPE_U64, 8}};
        for (size_t i = 0; i < sizeof types / sizeof *types; i++)
            if (strcmp(h->pixel_type, types[i].name) == 0) {
                h->dtype = types[i].dtype;
                h->image_bytes = px * types[i].bytes;
                return NULL;
            }
        return "unknown pixel type (expected U08, U16, U32, U64 or R64)";
    }
    if (h->chips == 4) {
        if (h->counter_depth == 24)
            return "raw 24-bit quad data is not supported";
        if (strcmp(h->layout, "2x2") != 0 || w != 512 || ht != 512)
            return "raw quad data must have the 2x2 layout and 512x512 pixels";
        h->quad_raw = 1;
    } else if (h->chips != 1) {
        return "raw data of this chip configuration is not supported (1 chip or a 2x2 quad)";
    }
    switch (h->counter_depth) {
    case 1:
        h->dtype = UDF_DTYPE_U8;
        h->image_bytes = px / 8;
        break;
    case 6:
        h->dtype = UDF_DTYPE_U8;
        h->image_bytes = px;
        break;
    case 12:
        h->dtype = UDF_DTYPE_U16;
        h->image_bytes = px * 2;
        break;
    case 24: /* two 12-bit frames; the header gives twice the width */
        if (w % 2)
            return "raw 24-bit data needs an even header width";
        h->sig_width = w / 2;
        h->dtype = UDF_DTYPE_U32;
        h->image_bytes = ht * (w / 2) * 4;
        px = ht * (w / 2);
        break;
    default: return "raw data needs a counter depth of 1, 6, 12 or 24 as the header's last field";
    }
    if (px % 64)
        return "raw data needs a multiple of 64 pixels per frame";
    return NULL;
}

const char *udfrt_mib_parse_header(const char *text, size_t n, udfrt_mib_header *h)
{
    memset(h, 0, sizeof *h);
    if (n < 4 || memcmp(text, "MQ1,", 4) != 0)
        return "no Merlin frame header (it must start with 'MQ1,')";
    /* Fields end at commas; the header length is field 2, and the header is
     * padded with NULs or spaces up to it; a field ends at its first NUL. */
    const char *start[MAX_FIELDS];
    size_t len[MAX_FIELDS];
    int count = 0;
    size_t limit = n, pos = 0;
    while (pos < limit && count < MAX_FIELDS) {
        size_t end = pos;
        while (end < limit && text[end] != ',')
            end++;
        const char *nul = memchr(text + pos, 0, end - pos);
        size_t field = nul ? (size_t)(nul - (text + pos)) : end - pos;
        if (field > 0) {
            start[count] = text + pos;
            len[count++] = field;
        }
        if (count == 3) {
            int64_t hb;
            if (!parse_count(start[2], len[2], &hb) || hb < 64 || hb > 1 << 20)
                return "bad header length (field 3)";
            if ((size_t)hb > n)
                return "the file ends inside the first frame header";
            h->header_bytes = hb;
            limit = (size_t)hb;
        }
        pos = end + 1;
    }
    while (count > 0 && blank(start[count - 1], len[count - 1]))
        count--; /* trailing padding made of spaces */
    if (count < 9)
        return "too few fields in the frame header";
    int64_t v;
    if (!parse_count(start[1], len[1], &h->sequence))
        return "bad sequence number (field 2)";
    if (!parse_count(start[3], len[3], &v) || v < 1 || v > 64)
        return "bad number of chips (field 4)";
    h->chips = (int)v;
    if (!parse_count(start[4], len[4], &v) || v < 1 || v > 65536)
        return "bad width (field 5)";
    h->width = (int)v;
    if (!parse_count(start[5], len[5], &v) || v < 1 || v > 65536)
        return "bad height (field 6)";
    h->height = (int)v;
    if (len[6] != 3)
        return "bad pixel type (field 7)";
    memcpy(h->pixel_type, start[6], 3);
    h->raw = strcmp(h->pixel_type, "R64") == 0;
    size_t k = 0;
    for (size_t i = 0; i < len[7] && k + 1 < sizeof h->layout; i++)
        if (start[7][i] != ' ')
            h->layout[k++] = start[7][i];
    int64_t depth = 0;
    if (parse_count(start[count - 1], len[count - 1], &depth))
        h->counter_depth = (int)depth;
    const char *fixed = start[1] + len[1] + 1, *fixed_end = start[6] + len[6];
    if (fixed[-1] == ',' && fixed_end > fixed && (size_t)(fixed_end - fixed) <= sizeof h->fixed) {
        h->fixed_len = (size_t)(fixed_end - fixed);
        memcpy(h->fixed, fixed, h->fixed_len);
    }
    return derive(h);
}

udfrt_mib_frame_check udfrt_mib_check_frame(const char *text, size_t n,
                                            const udfrt_mib_header *first, int64_t sequence,
                                            int64_t *found)
{
    *found = -1;
    if (n < 4 || memcmp(text, "MQ1,", 4) != 0)
        return UDFRT_MIB_FRAME_NO_HEADER;
    size_t pos = 4, digits = 0;
    uint64_t value = 0, wrap = 1;
    while (pos < n && text[pos] == ' ')
        pos++;
    for (; pos < n && isdigit((unsigned char)text[pos]) && digits < 18; pos++, digits++) {
        value = value * 10 + (uint64_t)(text[pos] - '0');
        wrap *= 10;
    }
    while (pos < n && text[pos] == ' ')
        pos++;
    if (digits == 0 || pos == n || text[pos] != ',')
        return UDFRT_MIB_FRAME_BAD_SEQUENCE;
    *found = (int64_t)value;
    if ((uint64_t)sequence % wrap != value)
        return UDFRT_MIB_FRAME_OTHER_SEQUENCE;
    pos++;
    if (first->fixed_len &&
        (n - pos < first->fixed_len || memcmp(text + pos, first->fixed, first->fixed_len) != 0))
        return UDFRT_MIB_FRAME_OTHER_FORMAT;
    return UDFRT_MIB_FRAME_OK;
}

/* The value of `key` in .hdr text (`key:` then spaces or tabs, then the
 * value up to the end of the line), as a number. */
static int hdr_number(const char *text, size_t n, const char *key, int64_t *out)
{
    size_t k = strlen(key);
    for (size_t pos = 0; pos < n;) {
        size_t end = pos;
        while (end < n && text[end] != '\n')
            end++;
        if (end - pos > k && memcmp(text + pos, key, k) == 0 && text[pos + k] == ':') {
            size_t v = pos + k + 1;
            while (v < end && (text[v] == ' ' || text[v] == '\t'))
                v++;
            size_t e = end;
            while (e > v && (text[e - 1] == '\r' || text[e - 1] == ' ' || text[e - 1] == '\t'))
                e--;
            return parse_count(text + v, e - v, out);
        }
        pos = end + 1;
    }
    return 0;
}

const char *udfrt_mib_parse_hdr(const char *text, size_t n, int64_t nav[2], int *rank)
{
    *rank = 0;
    if (n < 3 || memcmp(text, "HDR", 3) != 0)
        return "not a Merlin acquisition header (it must start with 'HDR')";
    int64_t sx, sy, frames, per_trigger;
    if (hdr_number(text, n, "ScanX", &sx) && hdr_number(text, n, "ScanY", &sy) && sx > 0 &&
        sy > 0) {
        nav[0] = sy;
        nav[1] = sx;
        *rank = 2;
        return NULL;
    }
    if (!hdr_number(text, n, "Frames in Acquisition (Number)", &frames))
        return "no 'Frames in Acquisition (Number)'";
    if (hdr_number(text, n, "Frames per Trigger (Number)", &per_trigger) && per_trigger > 1 &&
        frames % per_trigger == 0 && frames > 0) {
        nav[0] = frames / per_trigger;
        nav[1] = per_trigger;
        *rank = 2;
    }
    return NULL;
}
