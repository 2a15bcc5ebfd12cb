/* test_atomic_file.c — staged output files: committed files appear whole with
 * the usual permissions, abandoned ones vanish, a fatal signal while files are
 * staged removes the temporaries (checked in a child process), and failing
 * allocations unwind with an error. Scratch files are never renamed; two files
 * for one destination, and an output over an input, are refused; the record
 * of inputs lasts as long as a session does. */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "alloc.h"
#include "atomic_file.h"
#include "inputs.h"

static char dir[] = "/tmp/udf-test-atomic-XXXXXX";

static int count_files(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void path_of(const char *name, char *out) { snprintf(out, 256, "%s/%s", dir, name); }

static void fill(const char *tmp, const char *text)
{
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void commit_makes_files_whole(void **state)
{
    (void)state;
    char a[256], b[256], text[16] = {0};
    path_of("a.out", a);
    path_of("b.out", b);
    udfrt_staging *s;
    udfrt_error err = {0};
    const char *tmp_a, *tmp_b;
    assert_int_equal(udfrt_staging_create(&s, &err), UDFRT_OK);
    assert_int_equal(udfrt_stage_file(s, a, &tmp_a, &err), UDFRT_OK);
    assert_int_equal(udfrt_stage_file(s, b, &tmp_b, &err), UDFRT_OK);
    fill(tmp_a, "alpha");
    fill(tmp_b, "beta");
    assert_int_equal(access(a, F_OK), -1); /* nothing visible before the commit */
    assert_int_equal(udfrt_staging_commit(s, &err), UDFRT_OK);
    udfrt_staging_destroy(s);
    FILE *f = fopen(a, "r");
    assert_non_null(f);
    assert_non_null(fgets(text, sizeof text, f));
    fclose(f);
    assert_string_equal(text, "alpha");
    mode_t mask = umask(0);
    umask(mask);
    struct stat st;
    assert_int_equal(stat(b, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
    assert_int_equal(count_files(), 2);
    unlink(a);
    unlink(b);
}

static void destroy_without_commit_leaves_nothing(void **state)
{
    (void)state;
    char a[256];
    path_of("gone.out", a);
    udfrt_staging *s;
    udfrt_error err = {0};
    const char *tmp;
    assert_int_equal(udfrt_staging_create(&s, &err), UDFRT_OK);
    assert_int_equal(udfrt_stage_file(s, a, &tmp, &err), UDFRT_OK);
    fill(tmp, "half");
    assert_int_equal(count_files(), 1);
    udfrt_staging_destroy(s);
    assert_int_equal(count_files(), 0);
}

static void signal_removes_temporaries(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char a[256], b[256];
        path_of("x.out", a);
        path_of("y.out", b);
        udfrt_atomic_install_signal_cleanup();
        udfrt_staging *s;
        udfrt_error err = {0};
        const char *tmp;
        if (udfrt_staging_create(&s, &err) != UDFRT_OK ||
            udfrt_stage_file(s, a, &tmp, &err) != UDFRT_OK ||
            udfrt_stage_file(s, b, &tmp, &err) != UDFRT_OK || count_files() != 2)
            _exit(1);
        raise(SIGTERM);
        _exit(2); /* not reached: the handler re-raises with the default action */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGTERM);
    assert_int_equal(count_files(), 0);
}

static void unwritable_place_fails_cleanly(void **state)
{
    (void)state;
    udfrt_staging *s;
    udfrt_error err = {0};
    const char *tmp;
    assert_int_equal(udfrt_staging_create(&s, &err), UDFRT_OK);
    assert_int_equal(udfrt_stage_file(s, "/nonexistent-dir/x.out", &tmp, &err), UDFRT_ERR_DATA);
    assert_non_null(strstr(err.msg, "cannot create output file '/nonexistent-dir/x.out'"));
    assert_int_equal(udfrt_staging_commit(s, &err), UDFRT_OK); /* nothing staged */
    udfrt_staging_destroy(s);
}

static void allocation_failures_unwind(void **state)
{
    (void)state;
    char a[256];
    path_of("oom.out", a);
    for (long n = 0; n < 4; n++) {
        udfrt_staging *s = NULL;
        udfrt_error err = {0};
        const char *tmp;
        udfrt_alloc_fail_after(n);
        udfrt_status st = udfrt_staging_create(&s, &err);
        if (st == UDFRT_OK)
            st = udfrt_stage_file(s, a, &tmp, &err);
        udfrt_alloc_fail_after(-1);
        if (n < 3)
            assert_int_equal(st, UDFRT_ERR_DATA);
        udfrt_staging_destroy(s);
        assert_int_equal(count_files(), 0);
    }
}

static void scratch_files_are_never_committed(void **state)
{
    (void)state;
    char out[256];
    path_of("lib.so", out);
    udfrt_staging *s;
    udfrt_error err = {0};
    const char *scratch, *tmp;
    assert_int_equal(udfrt_staging_create(&s, &err), UDFRT_OK);
    assert_int_equal(udfrt_stage_scratch(s, out, &scratch, &err), UDFRT_OK);
    assert_int_equal(udfrt_stage_file(s, out, &tmp, &err), UDFRT_OK); /* not a collision */
    fill(scratch, "object");
    fill(tmp, "library");
    assert_int_equal(udfrt_staging_commit(s, &err), UDFRT_OK);
    udfrt_staging_destroy(s);
    assert_int_equal(count_files(), 1);
    assert_int_equal(access(scratch, F_OK), -1);
    unlink(out);
}

static void one_destination_twice_is_refused(void **state)
{
    (void)state;
    char a[256], again[300];
    path_of("x.npy", a);
    snprintf(again, sizeof again, "%s/./x.npy", dir);
    udfrt_staging *s;
    udfrt_error err = {0};
    const char *tmp_a, *tmp_b;
    assert_int_equal(udfrt_staging_create(&s, &err), UDFRT_OK);
    assert_int_equal(udfrt_stage_file(s, a, &tmp_a, &err), UDFRT_OK);
    assert_int_equal(udfrt_stage_file(s, again, &tmp_b, &err), UDFRT_ERR_USAGE);
    assert_non_null(strstr(err.msg, "two outputs of this run would both be written to"));
    udfrt_staging_destroy(s);
    assert_int_equal(count_files(), 0);
}

static void inputs_are_not_replaced_while_a_session_lives(void **state)
{
    (void)state;
    char input[256], link_path[256];
    path_of("data.npy", input);
    path_of("alias.npy", link_path);
    fill(input, "data");
    assert_int_equal(symlink(input, link_path), 0);
    udfrt_error err = {0};
    udfrt_inputs_session_begin();
    udfrt_inputs_session_begin(); /* two live sessions */
    udfrt_note_input(input);
    assert_true(udfrt_is_input(link_path));
    assert_int_equal(udfrt_check_replaceable(link_path, &err), UDFRT_ERR_DATA);
    assert_non_null(strstr(err.msg, "it is an input of this run"));
    udfrt_inputs_session_end();
    assert_true(udfrt_is_input(input)); /* one session still reads it */
    udfrt_inputs_session_end();
    assert_false(udfrt_is_input(input));
    assert_int_equal(udfrt_check_replaceable(input, &err), UDFRT_OK);
    unlink(link_path);
    unlink(input);
}

/* The record of inputs is a hash set that grows: 500 files, all found under
 * their names, none of them taken for another, all forgotten with the last
 * session. A growth that fails (at the 513th file) makes every path count
 * as an input, so that no output replaces one that went unrecorded. */
static void many_inputs_are_recorded(void **state)
{
    (void)state;
    enum { N = 500 };
    char path[256], other[256];
    path_of("not-an-input", other);
    fill(other, "x");
    udfrt_inputs_session_begin();
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/in%d", dir, i);
        fill(path, "x");
        udfrt_note_input(path);
        udfrt_note_input(path); /* a second time, while the table is full: no growth */
    }
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/in%d", dir, i);
        assert_true(udfrt_is_input(path));
    }
    assert_false(udfrt_is_input(other));
    udfrt_alloc_fail_after(0);
    for (int i = N; i < 512; i++) { /* fill the table: no allocation */
        snprintf(path, sizeof path, "%s/in%d", dir, i);
        fill(path, "x");
        udfrt_note_input(path);
    }
    assert_false(udfrt_is_input(other));
    snprintf(path, sizeof path, "%s/in%d", dir, 512);
    fill(path, "x");
    udfrt_note_input(path); /* the growth fails */
    udfrt_alloc_fail_after(-1);
    assert_true(udfrt_is_input(other));
    udfrt_inputs_session_end();
    assert_false(udfrt_is_input(other));
    assert_false(udfrt_is_input(path));
    for (int i = 0; i <= 512; i++) {
        snprintf(path, sizeof path, "%s/in%d", dir, i);
        unlink(path);
    }
    unlink(other);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_makes_files_whole),
        cmocka_unit_test(destroy_without_commit_leaves_nothing),
        cmocka_unit_test(signal_removes_temporaries),
        cmocka_unit_test(unwritable_place_fails_cleanly),
        cmocka_unit_test(allocation_failures_unwind),
        cmocka_unit_test(scratch_files_are_never_committed),
        cmocka_unit_test(one_destination_twice_is_refused),
        cmocka_unit_test(inputs_are_not_replaced_while_a_session_lives),
        cmocka_unit_test(many_inputs_are_recorded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
