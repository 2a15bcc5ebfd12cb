"""Golden test runner: one .udf file whose expectations live inside it.

    # expect-error: LINE:COL MESSAGE      udfc check must report exactly these
                                          errors (in this order), each with the
                                          source line and a caret under COL
    # expect-ir:                          the lines after it, each starting with
    #   ...                               `#   `, are the output of
                                          `udfc emit ir FILE` (u16 frames)

A file without expect-error lines must check cleanly (exit 0)."""
import re
import subprocess
import sys

udfc, path = sys.argv[1], sys.argv[2]
text = open(path).read()
lines = text.split("\n")

expected = []
expected_ir = None
for i, line in enumerate(lines):
    m = re.match(r"\s*# expect-error: (\d+):(\d+) (.*)$", line)
    if m:
        expected.append((int(m.group(1)), int(m.group(2)), m.group(3)))
    if line.strip() == "# expect-ir:":
        expected_ir = []
        for ir_line in lines[i + 1:]:
            if not ir_line.startswith("#   "):
                break
            expected_ir.append(ir_line[4:])


def fail(msg):
    print("FAIL %s: %s" % (path, msg), file=sys.stderr)
    sys.exit(1)


p = subprocess.run([udfc, "check", path], capture_output=True, text=True)
want_rc = 1 if expected else 0
if p.returncode != want_rc:
    fail("udfc check exited %d, expected %d\n%s" % (p.returncode, want_rc, p.stderr))

out = p.stderr.split("\n")
got = []
pattern = re.compile(re.escape(path) + r":(\d+):(\d+): error: (.*)$")
for k, line in enumerate(out):
    m = pattern.match(line)
    if not m:
        continue
    ln, col, msg = int(m.group(1)), int(m.group(2)), m.group(3)
    got.append((ln, col, msg))
    # The excerpt: "%5d | source" then "      | " + marker with '^' at col.
    if k + 2 >= len(out):
        fail("no source excerpt after: " + line)
    source, marker = out[k + 1], out[k + 2]
    if not source.startswith("%5d | " % ln):
        fail("excerpt line does not show line %d: %r" % (ln, source))
    if source[8:] != lines[ln - 1][:240]:
        fail("excerpt %r is not source line %d" % (source, ln))
    caret = marker[8:]
    if caret.find("^") != col - 1:
        fail("caret at column %d, expected %d: %r" % (caret.find("^") + 1, col, marker))

if got != expected:
    fail("errors differ\nexpected:\n%s\ngot:\n%s" % (
        "\n".join("%d:%d %s" % e for e in expected) or "(none)",
        "\n".join("%d:%d %s" % e for e in got) or "(none)"))

if expected_ir is not None:
    p = subprocess.run([udfc, "emit", "ir", path], capture_output=True, text=True)
    if p.returncode != 0:
        fail("udfc emit ir failed:\n" + p.stderr)
    got_ir = p.stdout.rstrip("\n").split("\n")
    if got_ir != expected_ir:
        fail("loop IR differs\nexpected:\n%s\ngot:\n%s" % ("\n".join(expected_ir), "\n".join(got_ir)))
print("ok")
