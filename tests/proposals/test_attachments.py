"""Attachments: type by magic bytes, size limit, random names on disk, downloads with access checks."""

import hashlib
from pathlib import Path
from urllib.parse import quote

import pytest

from app.auth.service import principal_from_bearer
from app.core.errors import PayloadTooLarge
from app.proposals import attachments_service
from app.proposals.models import Proposal, ProposalAttachment
from app.proposals.schemas import ProposalCreate
from app.proposals.service import create_proposal
from tests.programmes.helpers import API, ok, problem
from tests.proposals.helpers import JPEG, PDF, PNG, WEBP, audit_count, body, count, create, submitted


def upload(client, h, proposal_id, data: bytes, name: str = "photo.png", content_type: str = "image/png"):
    """POST a multipart upload (the response, unchecked)."""
    return client.post(
        f"{API}/proposals/{proposal_id}/attachments", headers=h, files={"file": (name, data, content_type)}
    )


def stored_files(app) -> list[Path]:
    """Files in the upload folder."""
    root = Path(app.state.settings.upload_dir)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("data", "expected"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"), (PDF, "application/pdf")]
)
async def test_accepted_types_are_stored_and_downloadable(client, app, pw, data, expected):
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    # The declared type and the name are ignored; the bytes decide.
    a = ok(await upload(client, pw.h["resident"], p["id"], data, "../../etc/现场照片", "text/plain"), 201)
    assert a["content_type"] == expected and a["size_bytes"] == len(data)
    assert a["sha256"] == hashlib.sha256(data).hexdigest() and a["original_name"] == "现场照片"
    [path] = stored_files(app)
    assert path.read_bytes() == data and "现场照片" not in path.name and len(path.name) == 32
    r = await client.get(f"{API}/proposal-attachments/{a['id']}/content", headers=pw.h["resident"])
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"].startswith(expected) and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith("attachment")


BAD_FILES = [
    ("text renamed png", b"hello, I am not an image" * 3, "evil.png", "image/png"),
    ("html", b"<html><script>alert(1)</script></html>", "page.pdf", "application/pdf"),
    ("gif", b"GIF89a" + b"\x00" * 40, "anim.gif", "image/gif"),
    ("exe", b"MZ\x90\x00" + b"\x00" * 40, "photo.jpg", "image/jpeg"),
    ("truncated webp", b"RIFF\x00\x00", "x.webp", "image/webp"),
]


@pytest.mark.parametrize(("case", "data", "name", "ctype"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
async def test_wrong_type_is_415_and_changes_nothing(client, session, app, pw, case, data, name, ctype):
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    before = (await count(session, ProposalAttachment), await audit_count(session))
    problem(await upload(client, pw.h["resident"], p["id"], data, name, ctype), 415, "attachment_type_refused")
    assert (await count(session, ProposalAttachment), await audit_count(session)) == before
    assert stored_files(app) == []


async def test_too_large_is_413_and_changes_nothing(client, session, app, pw):
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    app.state.settings.max_upload_bytes = 4096
    before = (await count(session, ProposalAttachment), await audit_count(session))
    r = await upload(client, pw.h["resident"], p["id"], PNG + b"\x00" * 5000)
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")
    assert (await count(session, ProposalAttachment), await audit_count(session)) == before
    assert stored_files(app) == []
    # Just under the limit (multipart framing included) goes through.
    ok(await upload(client, pw.h["resident"], p["id"], PNG + b"\x00" * 3000), 201)


async def test_service_refuses_oversized_bytes_itself(session, app, pw):
    """The handler reads at most limit + 1 bytes; the service refuses them whatever the HTTP layer let through."""
    principal = await principal_from_bearer(app.state, session, pw.h["resident"]["Authorization"].split()[1])
    proposal = await create_proposal(session, principal, ProposalCreate(**body(pw.tree.community_a1.id)))
    settings = app.state.settings.model_copy(update={"max_upload_bytes": 100})
    with pytest.raises(PayloadTooLarge):
        await attachments_service.add_attachment(session, settings, principal, proposal, "big.png", PNG + b"\x00" * 100)
    await session.rollback()
    assert await count(session, Proposal) == 0


async def test_who_may_attach_and_download(client, app, pw):
    p = await submitted(client, pw)
    # Submitted: the proposer's content is frozen, but staff may add survey photos.
    problem(await upload(client, pw.h["resident"], p["id"], PNG), 403, "attachment_forbidden")
    a = ok(await upload(client, pw.h["staff_a1"], p["id"], JPEG, "现场.jpg", "image/jpeg"), 201)
    problem(await upload(client, pw.h["staff_b1"], p["id"], PNG), 404, "proposal_not_found")
    problem(await upload(client, pw.h["resident2"], p["id"], PNG), 404, "proposal_not_found")
    url = f"{API}/proposal-attachments/{a['id']}/content"
    for who in ("resident", "staff_a1", "street_a", "supervisor"):
        assert (await client.get(url, headers=pw.h[who])).status_code == 200, who
    for who in ("resident2", "staff_b1", "street_b"):
        problem(await client.get(url, headers=pw.h[who]), 404, "attachment_not_found")
    assert (await client.get(url)).status_code == 401
    listed = ok(await client.get(f"{API}/proposals/{p['id']}/attachments", headers=pw.h["resident"]))
    assert listed["total"] == 1 and listed["items"][0]["original_name"] == "现场.jpg"


async def test_delete_removes_row_then_file(client, session, app, pw):
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    a = ok(await upload(client, pw.h["resident"], p["id"], PNG), 201)
    problem(
        await client.delete(f"{API}/proposal-attachments/{a['id']}", headers=pw.h["resident2"]),
        404,
        "attachment_not_found",
    )
    assert len(stored_files(app)) == 1
    r = await client.delete(f"{API}/proposal-attachments/{a['id']}", headers=pw.h["resident"])
    assert r.status_code == 204
    assert await count(session, ProposalAttachment) == 0 and stored_files(app) == []
    problem(
        await client.get(f"{API}/proposal-attachments/{a['id']}/content", headers=pw.h["resident"]),
        404,
        "attachment_not_found",
    )


@pytest.mark.parametrize(
    ("data", "name", "saved_as"),
    [
        (PDF, "x.html", "x.pdf"),
        (PDF, "x.exe", "x.pdf"),
        (PDF, "方案说明.pdf.exe", "方案说明.pdf.pdf"),
        (JPEG, "现场.jpeg", "现场.jpeg"),
        (PNG, "现场照片", "现场照片.png"),
        (WEBP, "a.svg", "a.webp"),
    ],
)
async def test_the_download_name_ends_in_the_checked_type(client, pw, data, name, saved_as):
    """A PDF uploaded as x.html or x.exe is downloaded as x.pdf (RFC 6266: ASCII fallback and UTF-8 filename*)."""
    p = await create(client, pw.h["resident"], pw.tree.community_a1.id)
    a = ok(await upload(client, pw.h["resident"], p["id"], data, name, "application/octet-stream"), 201)
    r = await client.get(f"{API}/proposal-attachments/{a['id']}/content", headers=pw.h["resident"])
    assert r.status_code == 200
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith(
        f"; filename*=UTF-8''{quote(saved_as, safe='')}"
    )
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(saved_as.rsplit(".", 1)[1])
