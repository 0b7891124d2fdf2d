"""Queries over a list of ids, compiled once per number of ids and process.

The fan-out runs some for every chunk of readers it claims, thousands of times in a
large send; compiling them through the ORM each time cost more than running them.
"""

from collections.abc import Callable, Iterable

from django.db import connection
from django.db.models import QuerySet

# A function of the ids giving a queryset whose only parameters are those ids
# (``filter(x__in=ids)``): the compiled SQL is kept per function and count.
Build = Callable[[Iterable[int]], QuerySet]

_compiled: dict[tuple[Build, int], str] = {}
_models: dict[Build, type] = {}


def rows_for_ids(build: Build, ids: Iterable[int]) -> list[tuple]:
    """The rows of ``build(ids)`` as the database returns them (no field
    converters: JSON comes back as text), for the distinct ids."""
    ids = sorted(set(ids))
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_sql(build, len(ids)), ids)
        return cursor.fetchall()


def _sql(build: Build, count: int) -> str:
    key = (build, count)
    if key not in _compiled:
        probe = list(range(1, count + 1))
        sql, params = build(probe).query.sql_with_params()
        if list(params) != probe:
            raise ValueError(
                f"{build.__qualname__}: the ids must be its only parameters"
            )
        _compiled[key] = sql
    return _compiled[key]


def instances_for_ids(build: Build, ids: Iterable[int]) -> list:
    """The model instances of ``build(ids)``, a queryset of one model (its own
    columns, ``only``/``defer`` honoured as deferred fields; no ``select_related``),
    for the distinct ids, through the SQL compiled once per count."""
    ids = sorted(set(ids))
    if not ids:
        return []
    model = _models.get(build) or _models.setdefault(build, build([1]).model)
    return list(model._base_manager.raw(_sql(build, len(ids)), ids))
