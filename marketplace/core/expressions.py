"""Database expressions any app may use."""

from django.db.models.functions import Floor


class IntFloor(Floor):
    """FLOOR, written on SQLite as integer arithmetic: Django's SQLite FLOOR is a Python
    function called for every row. CAST truncates towards zero there, so one is taken off when
    the value lies below its truncation (negative non-integers)."""

    def as_sqlite(self, compiler, connection, **extra_context):
        inner, params = compiler.compile(self.source_expressions[0])
        sql = f"(CAST(({inner}) AS INTEGER) - (({inner}) < CAST(({inner}) AS INTEGER)))"
        return sql, (*params, *params, *params)
