/* u16_sums.c — exact per-pixel sums of u16 frames; see handc.h. */
#include "handc.h"

#define FLUSH_FRAMES 65536 /* 65537 * 65535 < 2^32 */

void handc_u16_sums_init(handc_u16_sums *s, int64_t px)
{
    s->lanes = handc_alloc(px * (int64_t)sizeof(uint32_t));
    s->totals = handc_alloc(px * (int64_t)sizeof(uint64_t));
    s->pending = 0;
}

void handc_u16_sums_flush(handc_u16_sums *s, int64_t px)
{
    for (int64_t i = 0; i < px; i++) {
        s->totals[i] += s->lanes[i];
        s->lanes[i] = 0;
    }
    s->pending = 0;
}

void handc_u16_sums_reserve(handc_u16_sums *s, int64_t px, int64_t frames)
{
    if (s->pending + frames > FLUSH_FRAMES)
        handc_u16_sums_flush(s, px);
    s->pending += frames;
}
