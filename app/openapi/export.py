"""Write or check openapi/openapi.json against what the app serves (CI fails when stale)."""

import json
import sys
from pathlib import Path

from app.core.config import Settings
from app.main import create_app

TARGET = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"


def render() -> str:
    """The app's OpenAPI document as stable, sorted JSON text."""
    app = create_app(Settings(environment="test", _env_file=None))
    return json.dumps(app.openapi(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    """`write` regenerates the file; `check` exits 1 when it differs from the app."""
    mode = argv[1] if len(argv) > 1 else "check"
    text = render()
    if mode == "write":
        TARGET.parent.mkdir(exist_ok=True)
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET.name}")
        return 0
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if current != text:
        print("openapi/openapi.json is out of date with the app: run `make openapi` and commit it.", file=sys.stderr)
        return 1
    print("openapi/openapi.json is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
