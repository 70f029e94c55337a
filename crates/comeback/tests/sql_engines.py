"""Runs `comeback sql` queries on Spark SQL (local pyspark) or DuckDB for the tests in
tests/it/sql.rs.

usage: python sql_engines.py spark|duckdb TRANSACTIONS.csv QUERY.sql=OUT.csv [...]

TRANSACTIONS.csv has the header customer_id,date,amount (text, ISO date, decimal). It is
loaded as the table `transactions` (Spark: a temporary view) with the types
STRING, DATE, DECIMAL(12,2); each query runs once and its result is written to OUT.csv with
a header, reals in Python's shortest round-trip form (repr).
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
    engine, data, jobs = sys.argv[1], sys.argv[2], sys.argv[3:]
    jobs = [j.split("=", 1) for j in jobs]
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
        df = spark.read.csv(
            data, header=True, schema="customer_id STRING, date DATE, amount DECIMAL(12,2)"
        )
        df.createOrReplaceTempView("transactions")
        for query, out in jobs:
            result = spark.sql(open(query).read())
            write(out, result.columns, (tuple(r) for r in result.collect()))
        spark.stop()
    elif engine == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute(
            "CREATE TABLE transactions AS SELECT * FROM read_csv(?, header = true, "
            "columns = {'customer_id': 'VARCHAR', 'date': 'DATE', 'amount': 'DECIMAL(12,2)'})",
            [data],
        )
        for query, out in jobs:
            cur = con.execute(open(query).read())
            write(out, [d[0] for d in cur.description], cur.fetchall())
    else:
        sys.exit(f"unknown engine {engine!r} (expected spark or duckdb)")


if __name__ == "__main__":
    main()
