"""olmstats.country_summary against DuckDB computing the same table from the same files.

Each engine runs in its own process (so peak memory is its own), warms up once, then reports
the best of N timed runs. Two comparisons:

- ``core``: per country, profiles, profiles with a rate, and the 25/50/75% quantiles of the
  hourly rate (olmstats: ``grouped_order_statistics``; DuckDB: ``quantile_cont``);
- ``table``: the whole country table (those plus the median's order-statistic interval, the top
  three occupations, snapshot range, open projects), with each profile at its latest observation
  when the rows span several runs.

    python -m bench.summary_vs_duckdb --store bench/out/store-10m --runs 5
"""

from __future__ import annotations

import argparse
import json
from statistics import NormalDist

from bench.isolated import best_of, in_fresh_process

Z = NormalDist().inv_cdf(0.975)


def duckdb_table_sql(store: str, dedupe: bool) -> str:
    profiles = f"read_parquet('{store}/profiles/**/*.parquet', hive_partitioning = true)"
    jobs = f"read_parquet('{store}/jobs/**/*.parquet', hive_partitioning = true)"
    latest = (
        (
            f"select * from {profiles} qualify row_number() over (partition by platform, "
            "profile_id order by snapshot_date desc, observed_at desc) = 1"
        )
        if dedupe
        else (f"select * from {profiles}")
    )
    latest_jobs = (
        (
            f"select * from {jobs} qualify row_number() over (partition by platform, "
            "job_id order by snapshot_date desc, observed_at desc) = 1"
        )
        if dedupe
        else (f"select * from {jobs}")
    )
    return f"""
    with people as ({latest}),
    rated as (
      select country, hourly_rate_usd as r,
             row_number() over (partition by country order by hourly_rate_usd) as k,
             count(*) over (partition by country) as n
      from people where hourly_rate_usd is not null),
    ci as (
      select country,
        max(case when k = greatest(1, round(n / 2 - {Z} * sqrt(n) / 2)) then r end) as lo,
        max(case when k = least(n, round(1 + n / 2 + {Z} * sqrt(n) / 2)) then r end) as hi
      from rated group by country),
    occ as (
      select country, occupation, count(*) as m,
             sum(count(*)) over (partition by country) as total,
             row_number() over (partition by country order by count(*) desc, occupation) as rk
      from people where occupation is not null group by country, occupation),
    top as (
      select country, string_agg(occupation || ' ' || round(100 * m / total)::int || '%', ', '
                                 order by rk) as top_occupations
      from occ where rk <= 3 group by country),
    supply as (
      select country, count(*) as profiles, count(hourly_rate_usd) as profiles_with_rate,
             quantile_cont(hourly_rate_usd, [0.25, 0.5, 0.75]) as q,
             min(snapshot_date) as first, max(snapshot_date) as last,
             count(distinct snapshot_date) as snapshots
      from people group by country),
    demand as (
      select employer_country as country, count(*) as open_projects
      from ({latest_jobs}) where employer_country is not null group by employer_country)
    select * from supply left join ci using (country) left join top using (country)
    full join demand using (country)
    """


def duckdb_core_sql(store: str) -> str:
    profiles = f"read_parquet('{store}/profiles/**/*.parquet', hive_partitioning = true)"
    return (
        f"select country, count(*), count(hourly_rate_usd), "
        f"quantile_cont(hourly_rate_usd, [0.25, 0.5, 0.75]) from {profiles} group by country"
    )


def worker(engine: str, what: str, store: str, runs: int, dedupe: bool) -> dict:
    if engine == "duckdb":
        import duckdb

        connection = duckdb.connect()
        sql = duckdb_core_sql(store) if what == "core" else duckdb_table_sql(store, dedupe)

        def task():
            return connection.sql(sql).fetchall()
    else:
        import olmstats
        from olmstats import countries
        from olmstats.order_statistics import grouped_order_statistics

        def task():
            if what == "core":
                return grouped_order_statistics(
                    olmstats.scan_profiles(store),
                    "country",
                    "hourly_rate_usd",
                    ci_level=None,
                    keys=list(countries.countries()),
                )
            from olmstats.summary import country_summary

            return country_summary(olmstats.scan_profiles(store), olmstats.scan_jobs(store))

    figures, _ = best_of(task, runs)  # the warm-up run pays file cache and first-use costs
    return figures


def run_in_child(engine: str, what: str, store: str, runs: int, dedupe: bool) -> dict:
    return in_fresh_process(
        "bench.summary_vs_duckdb",
        "--worker",
        engine,
        "--what",
        what,
        "--store",
        store,
        "--runs",
        str(runs),
        *(["--dedupe"] if dedupe else []),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", default="bench/out/store-10m")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--worker", choices=["polars", "duckdb"])
    parser.add_argument("--what", choices=["core", "table"], default="table")
    parser.add_argument(
        "--dedupe",
        action="store_true",
        help="DuckDB deduplicates (use for stores with several runs)",
    )
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.what, args.store, args.runs, args.dedupe)))
        return
    import polars as pl

    import olmstats

    runs = olmstats.scan_profiles(args.store).select(pl.col("run_id").n_unique()).collect().item()
    rows = olmstats.scan_profiles(args.store).select(pl.len()).collect().item()
    dedupe = runs > 1
    print(f"store {args.store}: {rows:,} profile rows from {runs} run(s)")
    for what in ("core", "table"):
        if what == "core" and dedupe:
            continue
        ours = run_in_child("polars", what, args.store, args.runs, dedupe)
        peer = run_in_child("duckdb", what, args.store, args.runs, dedupe)
        print(
            f"{what:5s} olmstats {ours['best_s']:.3f} s ({ours['peak_mb']:,.0f} MB)  "
            f"duckdb {peer['best_s']:.3f} s ({peer['peak_mb']:,.0f} MB)  "
            f"ratio {ours['best_s'] / peer['best_s']:.2f}x"
        )


if __name__ == "__main__":
    main()
