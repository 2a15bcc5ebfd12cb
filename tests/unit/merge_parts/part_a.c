/* part_a.c — one of test_object_merge's two objects: calls part_b's function
 * and reads its own global table (relocations against both objects). */
int part_b_twice(int x);
int part_a_table[2] = {1, 2};

int part_a(int x) { return part_b_twice(x) + part_a_table[1]; }
