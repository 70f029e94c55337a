#!/usr/bin/env python3
"""Reference local days for comeback-store's ingest test, computed independently of
chrono-tz with Python's standard library (zoneinfo over the system tz database).

Output: local_days.csv with columns utc_instant, time_zone, local_date, local_day where
local_day = days since 1970-01-01 of the local calendar date (comeback_core::Day).
Instants sit around DST changes and the date line, where a wrong conversion shows.
Run: python3 local_days.py > local_days.csv
"""
import datetime as dt
from zoneinfo import ZoneInfo

CASES = [
    ("2024-03-31T00:59:59Z", "Europe/Helsinki"),   # 02:59:59 EET, day before DST jump
    ("2024-03-31T01:00:00Z", "Europe/Helsinki"),   # 04:00 EEST
    ("2024-03-30T21:59:59Z", "Europe/Helsinki"),   # 23:59:59 local, 30 March
    ("2024-03-30T22:00:00Z", "Europe/Helsinki"),   # 00:00 local, 31 March
    ("2024-10-26T21:30:00Z", "Europe/Helsinki"),   # 00:30 EEST, 27 October
    ("2024-11-03T03:30:00Z", "America/New_York"),  # 23:30 EDT, 2 November
    ("2024-11-03T04:30:00Z", "America/New_York"),  # 00:30 EDT, 3 November
    ("2024-11-03T06:30:00Z", "America/New_York"),  # 01:30 EST (repeated hour)
    ("2024-11-04T04:59:59Z", "America/New_York"),  # 23:59:59 EST, 3 November
    ("2024-01-01T10:59:59Z", "Pacific/Auckland"),  # 23:59:59 NZDT, 1 January
    ("2024-01-01T11:00:00Z", "Pacific/Auckland"),  # 00:00 NZDT, 2 January
    ("2024-06-15T02:59:59Z", "America/Sao_Paulo"), # 23:59:59 -03, 14 June
    ("2024-06-15T03:00:00Z", "America/Sao_Paulo"), # 00:00 -03, 15 June
    ("2011-12-30T09:59:59Z", "Pacific/Apia"),      # 23:59:59 on 29 Dec 2011 (-10)
    ("2011-12-30T10:00:00Z", "Pacific/Apia"),      # 00:00 on 31 Dec 2011 (+14): no 30 Dec
    ("1969-12-31T23:59:59Z", "UTC"),
    ("1970-01-01T00:00:00Z", "UTC"),
    ("2000-02-29T12:00:00Z", "Asia/Kolkata"),
]

EPOCH = dt.date(1970, 1, 1)
print("utc_instant,time_zone,local_date,local_day")
for instant, tz in CASES:
    t = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    local = t.astimezone(ZoneInfo(tz)).date()
    print(f"{instant},{tz},{local.isoformat()},{(local - EPOCH).days}")
