/* part_b.c — the other of test_object_merge's two objects: defines what
 * part_a calls, calls getpid (outside both; no compiler folds it) and uses a
 * local buffer. */
#include <unistd.h>

static unsigned char scratch[64];

int part_b_twice(int x)
{
    scratch[x & 63] = 1;
    return 2 * x + (getpid() > 0 ? 0 : 1) + scratch[x & 63] - 1;
}
