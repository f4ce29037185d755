"""Demo data a newcomer can click through in /docs."""
