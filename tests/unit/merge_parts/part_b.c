/* part_b.c — the other of test_object_merge's two objects: defines what
 * part_a calls, calls strtol (outside both) and uses a local buffer. */
#include <stdlib.h>

static unsigned char scratch[64];

int part_b_twice(int x)
{
    scratch[x & 63] = 1;
    return 2 * x + (int)strtol("0", NULL, 10) + scratch[x & 63] - 1;
}
