"""A stage's memory: the largest process (``wait4``) and, for a stage of several processes at once, their
sampled sum."""

from __future__ import annotations

import subprocess
import sys

from parmetrics.lab.bench.measure import TreeRss

# Two children, each holding 150 MB of written bytes for two seconds, under a parent holding little.
TWO_CHILDREN = """
import subprocess, sys
hold = "import time; b = b'x' * (150 * 2**20); time.sleep(2)"
children = [subprocess.Popen([sys.executable, "-c", hold]) for _ in range(2)]
for c in children:
    c.wait()
"""


def test_the_tree_peak_sums_the_processes_alive_together():
    proc = subprocess.Popen([sys.executable, "-c", TWO_CHILDREN])
    with TreeRss(proc.pid, interval=0.05) as tree:
        proc.wait()
    # Both children's 150 MB at once: above 300 MB, which no single one of the three processes reaches.
    assert tree.peak_mb > 300
    assert tree.peak_mb < 300 + 3 * 100  # and not counted twice: three interpreters add well under 100 MB each


def test_a_process_already_gone_gives_no_peak():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    with TreeRss(proc.pid) as tree:
        pass
    assert tree.peak_mb == 0
