"""Independent check of the deadlines asserted in complaints_sla.rs: a minute-by-minute
walk over Europe/Helsinki wall clocks with Python's zoneinfo (no Comeback code).
Run: python3 complaint_deadlines.py"""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

HEL = ZoneInfo("Europe/Helsinki")


def walk(start, is_open, budget_minutes):
    t, left = start, budget_minutes
    while left > 0:
        if is_open(t):
            left -= 1
        t += timedelta(minutes=1)
    return t


def weekdays_9_17(t, holidays=("2026-03-04",)):
    local = t.astimezone(HEL)
    return local.weekday() < 5 and 9 <= local.hour < 17 and local.date().isoformat() not in holidays


def friday_night(t):
    local = t.astimezone(HEL)
    return (local.weekday() == 4 and local.hour >= 22) or (local.weekday() == 5 and local.hour < 6)


high = datetime(2026, 3, 2, 13, 0, tzinfo=timezone.utc)
print("high at HEL:", walk(high, weekdays_9_17, 4 * 60), walk(high, weekdays_9_17, 48 * 60))
critical = datetime(2026, 3, 6, 21, 30, tzinfo=timezone.utc)
print("critical at NIGHT:", walk(critical, friday_night, 60), walk(critical, friday_night, 24 * 60))
# high at HEL: 2026-03-03 09:00:00+00:00 2026-03-11 13:00:00+00:00
# critical at NIGHT: 2026-03-06 22:30:00+00:00 2026-03-27 21:30:00+00:00
