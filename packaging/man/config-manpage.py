#!/usr/bin/env python3
"""Writes snowpiped.yaml(5) from the documented example configuration (config/snowpiped.example.yaml):
the page is that file, every key with its comment, after a short description. Usage:
config-manpage.py EXAMPLE VERSION > snowpiped.yaml.5"""
import datetime
import os
import sys


def roff_line(line: str) -> str:
    line = line.replace("\\", "\\e")
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def main() -> None:
    example, version = sys.argv[1], sys.argv[2]
    with open(example, encoding="utf-8") as f:
        body = f.read().rstrip("\n").split("\n")
    stamp = int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or None
    date = (datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc) if stamp
            else datetime.datetime.now(datetime.timezone.utc)).strftime("%Y-%m-%d")
    out = [
        f'.TH SNOWPIPED.YAML 5 "{date}" "snowpiped {version}" "File Formats"',
        ".SH NAME",
        "snowpiped.yaml \\- configuration of the snowpiped daemon",
        ".SH SYNOPSIS",
        "/etc/snowpiped/snowpiped.yaml",
        ".SH DESCRIPTION",
        "A YAML file: how to reach Snowflake (account, user, key), where the daemon keeps its state, the watched",
        "directories (one rule each: the pipe, the delivery mode, filters, what to do after a load) and the",
        "tunables of batching, reporting, scanning, retention and metrics.",
        ".PP",
        "Every problem is reported at once, with its key and line:",
        ".B snowpiped check",
        "validates the file (and, online, the key and each pipe);",
        ".B snowpiped run",
        "refuses to start on an invalid one (exit status 78), and",
        ".B snowpiped reload",
        "refuses to apply one, keeping the running configuration.",
        ".SH FILE",
        "The example below is the file the package installs; each key's comment says what it does, its default",
        "and its range.",
        ".PP",
        ".nf",
        *[roff_line(line) for line in body],
        ".fi",
        ".SH SEE ALSO",
        ".BR snowpiped (8),",
        ".BR systemctl (1),",
        "/usr/share/doc/snowpiped/README.md",
    ]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
