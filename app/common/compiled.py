"""SQLAlchemy Core statements run on a pooled connection's asyncpg connection, compiled once.

The services write each statement once, in Core, with column lists taken from the tables. A route runs it on
its session's connection (`AsyncConnection.execute`); the fast lane (app/fastlane) and the audit sealer run the
very same statement object through `Driver.execute`, which compiles it once for asyncpg (per set of parameter
names) and applies the types' own bind and result processors, so a value goes in and comes out as SQLAlchemy
would hand it over. Without SQLAlchemy's per-execution work (cache keys, result metadata, the adapter's
prepared-statement bookkeeping) a statement costs a little more than the driver's own round trip.

`transaction(engine)` and `autocommit(engine)` give such an executor on PostgreSQL, and SQLAlchemy's own
`AsyncConnection` on SQLite: callers see one interface (`execute(statement, params)` with `first`, `one`,
`scalar`, `all` and `mappings` on the answer) on both backends.

Behind PgBouncer in transaction mode (WEISHI_DB_POOLER=pgbouncer) the pooled connections were opened with
asyncpg's statement cache off (app.core.db.pooler_connect_args), so `fetch` and `executemany` prepare unnamed
statements that do not outlive their transaction; nothing here prepares a named one.
"""

from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import ClauseElement

_DIALECT = asyncpg_dialect()  # type: ignore[no-untyped-call]
Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class Compiled:
    """A statement's SQL for asyncpg, its parameters in $n order, and what to do with values and rows."""

    sql: str
    names: tuple[str, ...]
    defaults: Mapping[str, Any]
    binds: tuple[Processor, ...]
    results: tuple[Processor, ...]
    row: Any  # the row class: a named tuple of the result columns

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for name, process in zip(self.names, self.binds, strict=True):
            value = params[name] if name in params else self.defaults[name]
            out.append(value if process is None or value is None else process(value))
        return out

    def rows(self, records: Sequence[Any]) -> list[Any]:
        if not any(self.results):
            return [self.row._make(record) for record in records]
        return [
            self.row._make(
                [
                    value if process is None or value is None else process(value)
                    for value, process in zip(record, self.results, strict=True)
                ]
            )
            for record in records
        ]


class _Row:
    @property
    def _mapping(self) -> dict[str, Any]:
        return self._asdict()  # type: ignore[attr-defined,no-any-return]


_CACHE: dict[tuple[ClauseElement, frozenset[str]], Compiled] = {}


def compiled(statement: ClauseElement, keys: frozenset[str] = frozenset()) -> Compiled:
    """The statement compiled for asyncpg; `keys` are the parameter names an INSERT or UPDATE is given (they
    choose its columns, as they do when SQLAlchemy executes it)."""
    found = _CACHE.get((statement, keys))
    if found is not None:
        return found
    c: Any = statement.compile(dialect=_DIALECT, column_keys=sorted(keys))
    sql, names = str(c), tuple(c.positiontup or ())
    defaults = {name: value for name, value in c.construct_params(_check=False).items() if value is not None}
    if c.literal_execute_params or c.post_compile_params:
        # Constants rendered into the SQL (aggregate_strings' separator); nothing here expands a list.
        assert not c.post_compile_params, "expanding parameters are not compiled once"
        expanded = c._process_parameters_for_postcompile(defaults)
        sql, names = expanded.statement, tuple(expanded.positiontup or ())
    processors = c._bind_processors
    result_columns = c._result_columns or []
    results = tuple(entry.type.dialect_impl(_DIALECT).result_processor(_DIALECT, None) for entry in result_columns)
    row = type(
        "Row",
        (_Row, namedtuple("Row", [entry.keyname for entry in result_columns] or ["_"], rename=True)),
        {"__slots__": ()},
    )
    found = _CACHE[(statement, keys)] = Compiled(
        sql, names, defaults, tuple(processors.get(name) for name in names), results, row
    )
    return found


class Rows:
    """What a statement returned, read as SQLAlchemy's Result is read."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise LookupError(f"expected one row, got {len(self._rows)}")
        return self._rows[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def all(self) -> list[Any]:
        return self._rows

    def mappings(self) -> "Rows":
        return Rows([row._asdict() for row in self._rows])


class Driver:
    """Runs Core statements on an asyncpg connection (see the module's docstring)."""

    __slots__ = ("raw",)
    dialect = _DIALECT

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    async def execute(
        self, statement: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None
    ) -> Rows:
        if isinstance(params, Sequence):  # many rows: one statement, asyncpg's pipelined executemany
            if not params:
                return Rows([])
            c = compiled(statement, frozenset(params[0]))
            await self.raw.executemany(c.sql, [c.args(p) for p in params])
            return Rows([])
        c = compiled(statement, frozenset(params or ()))
        return Rows(c.rows(await self.raw.fetch(c.sql, *c.args(params or {}))))


@asynccontextmanager
async def autocommit(engine: AsyncEngine) -> AsyncIterator[Any]:
    """An executor outside any transaction (each statement sees the latest committed data): a Driver on
    PostgreSQL, an AsyncConnection in autocommit on SQLite."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            yield Driver((await conn.get_raw_connection()).driver_connection)
    else:
        async with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            yield conn


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[Any]:
    """An executor in one transaction, committed on a normal exit and rolled back on an exception."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            raw: Any = (await conn.get_raw_connection()).driver_connection
            async with raw.transaction():
                yield Driver(raw)
    else:
        async with engine.begin() as conn:
            yield conn
