"""The fast lane: the requests a resident waits on, answered before FastAPI by the routes' own services.

One ASGI entry (`lane.FastLane`) sits inside RequestContextMiddleware (request ids, body limits, 503s) and in
front of FastAPI. Its registry (`routes.ROUTES`) is keyed by the routes' own method and path template; each
domain declares its fast routes next to its router (`app/voting/fast.py`, `app/proposals/fast.py`). A fast
handler parses the request as the route's models do, loads and stores through the service's own functions and
Core statements (app.common.compiled: compiled once for asyncpg on PostgreSQL, SQLAlchemy's connection on
SQLite) and serialises with the route's response model. When the service refuses (a ProblemError) or the
request is not in the handler's plain form, the handler has written nothing (its transaction is rolled back)
and the request goes on to the route, which answers or refuses with its own problem body.
"""
