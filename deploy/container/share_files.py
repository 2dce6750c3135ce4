#!/usr/bin/env python3
"""Keeps the files that several published programs share once: a file found byte for byte at the same relative path
in two or more program folders moves to ROOT/shared and each program folder gets a relative symbolic link to it.
Self-contained publishes carry the whole .NET runtime and libtorch each: this turns three copies into one.
    share_files.py ROOT PROGRAM_FOLDER...
"""
import hashlib
import os
import shutil
import sys
from collections import defaultdict


def digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main(root, programs):
    copies = defaultdict(list)  # (relative path, size) -> program folders holding it
    for program in programs:
        top = os.path.join(root, program)
        for folder, _, files in os.walk(top):
            for name in files:
                path = os.path.join(folder, name)
                if not os.path.islink(path):
                    rel = os.path.relpath(path, top)
                    copies[(rel, os.path.getsize(path))].append(program)
    shared_bytes = 0
    for (rel, size), holders in copies.items():
        by_content = defaultdict(list)
        for program in holders:
            by_content[digest(os.path.join(root, program, rel))].append(program)
        for same in by_content.values():
            if len(same) < 2:
                continue
            target = os.path.join(root, "shared", rel)
            if os.path.exists(target):  # the same path with other content already shared: leave these copies
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.move(os.path.join(root, same[0], rel), target)
            for program in same:
                link = os.path.join(root, program, rel)
                if os.path.lexists(link):
                    os.remove(link)
                os.symlink(os.path.relpath(target, os.path.dirname(link)), link)
            shared_bytes += size * (len(same) - 1)
    print(f"share_files: {shared_bytes / 2**20:.0f} MiB of duplicate files now kept once in {os.path.join(root, 'shared')}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
