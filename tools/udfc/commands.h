/* commands.h — the subcommands of udfc (SPEC §3). Each takes the arguments
 * after its name and returns the process exit code. */
#ifndef UDFC_COMMANDS_H
#define UDFC_COMMANDS_H

int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_emit(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_build(int argc, char **argv);

#endif
