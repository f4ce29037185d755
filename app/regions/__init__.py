"""District → street/town → community/village → sub-units (grid, compound, group, building)."""
