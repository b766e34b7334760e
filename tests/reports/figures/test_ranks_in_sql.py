"""The database computes the median's and p90's ranks with the same arithmetic as Python, for any count."""

from __future__ import annotations

from sqlalchemy import BigInteger, func, literal, select

from app.reports.figure_parts import reported_ranks

# Odd and even counts, counts around each tenth (where the p90's lower rank moves), and huge ones.
COUNTS = [1, 2, 3, 4, 5, 9, 10, 11, 12, 19, 20, 21, 99, 100, 101, 790_000, 2**31 - 1, 10**12 + 7]


def test_ranks_computed_in_sql_equal_those_in_python(factory):
    with factory() as session:
        # PostgreSQL's LEAST; SQLite's min() with two arguments is the same scalar function.
        least = func.least if session.get_bind().dialect.name == "postgresql" else func.min
        for n in COUNTS:
            in_sql = session.execute(select(*reported_ranks(literal(n, BigInteger), least))).one()
            assert list(in_sql) == reported_ranks(n), n
