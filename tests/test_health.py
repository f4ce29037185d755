"""Liveness, readiness and the refusal to serve on a schema that is not at head."""

import pytest

from app.core.migrations import downgrade
from app.main import SchemaNotAtHead, create_app


async def test_healthz_and_readyz(client):
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["x-request-id"]
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["status"] == "ready"


@pytest.mark.fresh_database
async def test_refuses_to_start_on_schema_behind_head(settings):
    downgrade(settings.database_url, "0001")
    app = create_app(settings)
    with pytest.raises(SchemaNotAtHead, match="weishi migrate"):
        async with app.router.lifespan_context(app):
            pass


async def test_a_serving_worker_freezes_its_startup_heap(settings):
    """Outside tests, startup takes the app's long-lived objects out of the collector's full passes."""
    import gc

    frozen = gc.get_freeze_count()  # what the suite itself froze (conftest)
    app = create_app(settings)  # environment "test": a test process builds many apps, all collectable
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() == frozen
    app = create_app(settings.model_copy(update={"environment": "production"}))
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > frozen + 1_000
