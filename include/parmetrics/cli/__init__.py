"""The ``parmetrics`` command: the composition root that assembles the pipeline's commands (publish,
scorecard, report, backfill) and the lab's (demo, simulate, serve-sources, soak, bench). It is the only
package that imports both the pipeline and ``parmetrics.lab``; each module registers its own commands."""
