"""Database expressions over job rows that the ORM has no portable spelling for."""

from django.db.models import BigIntegerField, F, Func


class WaitMicroseconds(Func):
    """Microseconds from posting (``created_at``) to acceptance (``accepted_at``), exact, as an
    integer; NULL while the job is not accepted. Deterministic, so the database can store it
    (`JobRequest.accept_wait_us`) and index it.

    PostgreSQL subtracts the timestamps (exact to the microsecond). SQLite has no exact date
    arithmetic (``julianday`` is a float, off by tens of microseconds), so the stored text
    ``YYYY-MM-DD HH:MM:SS[.ffffff]`` (naive UTC, as Django writes it) is split into whole
    seconds since the epoch and the microsecond digits (no ``%`` in the SQL: it is also used
    in DDL, where Django does not unescape ``%%``)."""

    output_field = BigIntegerField()

    def __init__(self, accepted: str = "accepted_at", created: str = "created_at", **extra):
        super().__init__(F(accepted), F(created), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        accepted, created = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"({_sqlite_micros(accepted[0])} - {_sqlite_micros(created[0])})"
        return sql, (*accepted[1], *created[1])

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) * 1000000)::bigint",
            arg_joiner=" - ",
            **extra_context,
        )


def _sqlite_micros(column: str) -> str:
    """Microseconds since the epoch of a stored timestamp: the whole seconds through julianday
    (a float, but rounding to whole seconds makes it exact) plus the microsecond digits."""
    return (
        f"(CAST(ROUND((julianday(substr({column}, 1, 19)) - 2440587.5) * 86400) AS INTEGER) "
        f"* 1000000 + CAST(substr({column} || '.000000', 21, 6) AS INTEGER))"
    )
