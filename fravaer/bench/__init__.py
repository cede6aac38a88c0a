"""`manage.py bench_scan`: a benchmark the project ships, not a timed test (issue #3, §5).

- `scratch`: a database of its own for the run, swapped in as `default` so the
  product's code runs unchanged and the real data is never touched.
- `generate`: a synthetic municipality written with COPY (PostgreSQL) or batched
  inserts (SQLite).
- `baselines`: the naive per-pupil ORM loop and the hand-written SQL floor.
- `measure`: wall time, SQL statements, Python and process memory of one phase.
"""
