"""The callgrind replay (issue 24): `snowpiped-replay` runs the daemon's watcher, batcher and reporter on a fixed
set of files against the emulator in the same process, under `valgrind --tool=callgrind`, once with no file and
once with N; (instructions(N) - instructions(0)) / N is the instructions per file. Instruction counts do not move
with the machine's frequency or cache misses, so two builds are compared by them, change by change; what the
daemon does per second of wall time (a report poll each 10 s, heartbeats) still adds a little more to a slower
run, so compare runs made on an otherwise idle machine (a build doing less per file measured 1.10 M beside a
test run, polling every second, against 0.96 M alone for its predecessor).
The figure includes the emulator's work (its HTTP handling and loading: the same for any daemon that makes the
same calls) and the log lines' formatting (written to /dev/null)."""
import os
import subprocess


def callgrind_total(path):
    """The total instruction count (`Ir`) of a callgrind output file."""
    with open(path) as lines:
        for line in lines:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def replay(exe, work, files):
    """Instructions per file of the replay of `files` files, and the functions that cost most."""
    os.makedirs(work, exist_ok=True)
    # Valgrind 3.19 cannot read the DWARF 5 the Swift toolchain writes ("possibly corrupted debuginfo"): count a
    # copy without it (the symbol table stays, so functions keep their names).
    stripped = os.path.join(work, "snowpiped-replay.stripped")
    subprocess.run(["strip", "--strip-debug", "-o", stripped, exe], check=True)
    # A native run first makes the files (kept), so the counted runs create nothing.
    subprocess.run([exe, "--work", work, "--files", str(files)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    totals = {}
    for count in (0, files):
        out = os.path.join(work, f"callgrind.{count}.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", stripped, "--work", work,
                        "--files", str(count)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        totals[count] = callgrind_total(out)
    annotated = subprocess.run(["callgrind_annotate", "--threshold=80", os.path.join(work, f"callgrind.{files}.out")],
                               capture_output=True, text=True).stdout
    top = [line.strip() for line in annotated.splitlines() if "%)" in line and ":" in line][:15]
    return {
        "files": files,
        "instructions_per_file": (totals[files] - totals[0]) / files,
        "instructions_fixed": totals[0],
        "instructions_total": totals[files],
        "top_functions": top,
    }
