/* main.c — udfc: check, run, emit and describe UDFs (SPEC §3). Only this file
 * decides the process's exit code. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const char usage[] =
    "usage:\n"
    "  udfc check FILE.udf...                     parse and check; diagnostics only\n"
    "  udfc run UDF... [--data SPEC] [options]    JIT-compile and run in one pass\n"
    "  udfc build FILE.udf... -o OUT.o|OUT.so [--header OUT.h] [--cpu NAME] [--dtype T,...]\n"
    "             [--corrections dark+gain,...] (kernels that correct frames as they load)\n"
    "  udfc emit {ast,ir,llvm,asm} FILE.udf [--dtype T] [--corrections dark|gain|dark+gain]\n"
    "  udfc info SPEC [data options]              describe a data set and how a run reads it\n"
    "\n"
    "UDF is a .udf file or a standard-library name (sum, sumsig, ...).\n"
    "data:  --data demo | demo:NY,NX,SY,SX | PATH.npy | PATH --dtype T --nav A,B --sig C,D\n"
    "       [--offset BYTES]; any: --nav A,B (reshape) --sig-dims N --sync-offset N\n"
    "       --roi FILE.npy | --roi Y0:Y1,X0:X1   --partitions N\n"
    "       --dark F --gain F --exclude F        (detector corrections, .npy or F.h5:/path)\n"
    "run:   --param NAME=VALUE | NAME=@FILE   --udf NAME   -j N (threads)\n"
    "       -o OUT.h5   --npy DIR   --png DIR   --progress | --no-progress   --stats\n"
    "mpi:   mpirun -n N udfc run ... shares the partitions over the ranks (a build with\n"
    "       UDF_MPI); UDF_MPI=off runs a udfc that an MPI rank starts on its own\n"
    "exit codes: 0 ok, 1 source errors, 2 bad options, 3 data or I/O errors, 4 internal error\n";

/* The exit code of a command whose output on stdout (emit's and info's whole
 * product) must arrive: 3 if writing it failed (a full disk, a closed pipe). */
static int stdout_written(int rc)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return rc;
    fprintf(stderr, "udfc: error: cannot write to standard output: %s\n", strerror(errno));
    return rc ? rc : 3;
}

/* Whether the command line asks for help: `udfc help`, or --help / -h
 * anywhere before a `--` (`udfc run --help`). */
static int asks_for_help(int argc, char **argv)
{
    if (strcmp(argv[1], "help") == 0)
        return 1;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || asks_for_help(argc, argv)) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        {"check", cmd_check}, {"run", cmd_run},     {"emit", cmd_emit},
        {"info", cmd_info},   {"build", cmd_build},
    };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return stdout_written(commands[i].run(argc - 2, argv + 2));
    fprintf(stderr,
            "udfc: error: unknown command '%s' (expected check, run, build, emit or info)\n%s",
            argv[1], usage);
    return 2;
}
