"""`manage.py bench_scan`: a benchmark the project ships, not a timed test (issue #3, §5).

It lives beside the apps, not in them: the `bench_scan` command is its one entry
point, and the app packages never import it otherwise.

- `scratch`: a database of its own for the run, swapped in as `default` so the
  product's code runs unchanged and the real data is never touched.
- `generate`: a synthetic municipality written with COPY (PostgreSQL) or batched
  inserts (SQLite).
- `baselines`: the naive per-pupil ORM loop and the one-pass SQL aggregate.
- `floor`: the complete floor, every rule evaluated set-based in SQL, and a plain COPY
  of as many flag rows as the scan writes.
- `measure`: wall time, SQL statements, Python and process memory of one phase.
- `run`: the order of the phases, the targets and the report.
"""
