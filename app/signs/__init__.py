"""一码一工程: every confirmed project's code and its QR sign (PNG and SVG) linking to its board page."""
