"""Weishi (微实): community micro-project participatory budgeting service."""
