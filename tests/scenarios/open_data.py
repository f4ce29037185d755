"""The year's open data: a valid Frictionless Data Package with every public fact and nothing personal."""

import csv
import io
import json
import tempfile
import zipfile
from pathlib import Path

import frictionless

from app.demo.year import Year


def _valid_package(body: bytes) -> tuple[dict, dict[str, list[dict]], list[str]]:
    """datapackage.json, the tables, and the files, once frictionless finds the package valid."""
    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(io.BytesIO(body)) as archive:
        archive.extractall(folder)
        report = frictionless.validate(Path(folder) / "datapackage.json")
        assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])
        tables = {
            p.stem: list(csv.DictReader(io.StringIO(archive.read(p.as_posix()).decode())))
            for p in map(Path, archive.namelist())
            if p.suffix == ".csv"
        }
        return json.loads(archive.read("datapackage.json")), tables, archive.namelist()


async def check_open_data(y: Year) -> None:
    """Last year's package is complete; this year's says it is in progress and shows only what is public."""
    district = y.ids["regions"]["福田区"]
    done = await y.send("", "GET", f"/public/open-data/{district}/{y.year}.zip")
    assert done.status_code == 200 and done.headers["content-type"] == "application/zip", done.text[:300]
    meta, tables, files = _valid_package(done.content)
    assert meta["status"] == "complete" and len(meta["resources"]) == len(files) - 1
    for resource in meta["resources"]:
        assert all(f.get("description") for f in resource.get("schema", {}).get("fields", []))
    counted = [r for r in tables["rounds"] if r["pb_file"]]
    assert counted and all(r["pb_file"] in files for r in counted)
    assert sum(int(r["ballots_counted"]) for r in counted) == y.ids["result"]["ballots_counted"]
    assert {r["status"] for r in tables["objections"]} >= {"upheld", "dismissed"}
    assert "contact" not in tables["objections"][0] and all(r["reply"] for r in tables["objections"])
    assert any("元" in r["explanation"] for r in tables["results"]) and tables["awards"] and tables["satisfaction"]
    assert set(y.ids["projects"].values()) <= {r["id"] for r in tables["proposals"]}

    ongoing = await y.send("", "GET", f"/public/open-data/{district}/{y.year + 1}.zip")
    meta, tables, _ = _valid_package(ongoing.content)
    assert meta["status"] == "in_progress" and "进行中" in meta["description"]
    # The open round's counts are not public yet: no votes, no .pb file, no results.
    assert tables["rounds"] == [] or all(
        not r["ballots_counted"] and not r["pb_file"] for r in tables["rounds"] if r["status"] != "closed"
    )
    missing = await y.send("", "GET", f"/public/open-data/{district}/{y.year - 1}.zip")
    assert missing.status_code == 404 and missing.json()["code"] == "programme_not_found"
