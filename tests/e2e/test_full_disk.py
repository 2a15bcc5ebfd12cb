"""A full disk, simulated by a file-size limit (ulimit -f): the run fails with
exit 3 and one clear message, and leaves no output file and no temporary
behind — not the HDF5 file, and none of the --npy/--png files. A run
interrupted by SIGINT leaves nothing either."""
import resource
import signal
import subprocess
import time

from udftest import UDFC, fail, files_in, run, tempdir


def limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))


with tempdir() as tmp:
    args = ["run", "sumsig", "sum", "--data", "demo:16,16,64,64", "-o", "out.h5",
            "--npy", "npy", "--png", "png"]
    p = subprocess.run([UDFC, *args], cwd=tmp, capture_output=True, text=True,
                       preexec_fn=limit_file_size)
    if p.returncode != 3:
        fail("with a file-size limit: exit %d, expected 3\n%s" % (p.returncode, p.stderr))
    if p.stderr != "udfc: error: cannot write 'out.h5': File too large\n" or p.stdout:
        fail("with a file-size limit: unexpected output:\n%s%s" % (p.stdout, p.stderr))
    if files_in(tmp):
        fail("with a file-size limit, files were left: %s" % files_in(tmp))

    # The same run without the limit works: the limit was the only problem.
    run(*args, cwd=tmp)
    if files_in(tmp) != ["npy/sum.intensity.npy", "npy/sumsig.intensity.npy",
                         "out.h5", "png/sum.intensity.png", "png/sumsig.intensity.png"]:
        fail("without a limit, the run wrote %s" % files_in(tmp))

with tempdir() as tmp:
    proc = subprocess.Popen([UDFC, "run", "sumsig", "--data", "demo:128,128,128,128", "-j", "1",
                             "-o", "out.h5"], cwd=tmp, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    if proc.returncode != -signal.SIGINT:
        fail("SIGINT during a run: exit %d, expected death by SIGINT" % proc.returncode)
    if files_in(tmp):
        fail("an interrupted run left %s" % files_in(tmp))
print("ok")
