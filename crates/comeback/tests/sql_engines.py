"""Runs `comeback sql` queries on Spark SQL (local pyspark) or DuckDB for the tests in
tests/it/sql.rs.

usage: python sql_engines.py spark|duckdb dates|instants TRANSACTIONS.csv QUERY.sql=OUT.csv [...]

`dates`: TRANSACTIONS.csv has the header customer_id,date,amount (text, ISO date, decimal)
and is loaded as the table `transactions` (Spark: a temporary view) with the types STRING,
DATE, DECIMAL(12,2). `instants`: the header is customer,ts,amount (ts an ISO 8601 timestamp
with offset), loaded as the table `tx` with ts a TIMESTAMPTZ (DuckDB) or TIMESTAMP (Spark,
session time zone UTC). Each query runs once and its result is written to OUT.csv with a
header, reals in Python's shortest round-trip form (repr).
"""

import csv
import sys


def write(path, columns, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in r])


def main():
    engine, layout, data, jobs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    jobs = [j.split("=", 1) for j in jobs]
    if layout == "dates":
        table, cols = "transactions", [("customer_id", "STRING"), ("date", "DATE")]
    elif layout == "instants":
        table, cols = "tx", [("customer", "STRING"), ("ts", "TIMESTAMP")]
    else:
        sys.exit(f"unknown layout {layout!r} (expected dates or instants)")
    cols.append(("amount", "DECIMAL(12,2)"))
    if engine == "spark":
        from pyspark.sql import SparkSession

        spark = (
            SparkSession.builder.master("local[2]")
            .appName("comeback-sql-test")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.shuffle.partitions", "4")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        df = spark.read.csv(data, header=True, schema=", ".join(f"{c} {t}" for c, t in cols))
        df.createOrReplaceTempView(table)
        for query, out in jobs:
            result = spark.sql(open(query).read())
            write(out, result.columns, (tuple(r) for r in result.collect()))
        spark.stop()
    elif engine == "duckdb":
        import duckdb

        con = duckdb.connect()
        types = {"STRING": "VARCHAR", "TIMESTAMP": "TIMESTAMPTZ"}
        columns = ", ".join(f"'{c}': '{types.get(t, t)}'" for c, t in cols)
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv(?, header = true, "
            f"columns = {{{columns}}})",
            [data],
        )
        for query, out in jobs:
            cur = con.execute(open(query).read())
            write(out, [d[0] for d in cur.description], cur.fetchall())
    else:
        sys.exit(f"unknown engine {engine!r} (expected spark or duckdb)")


if __name__ == "__main__":
    main()
