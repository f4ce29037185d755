"""Annual programmes (年度计划) with their frozen rules, and pilot communities (试点)."""
