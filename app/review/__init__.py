"""Expert review (评审) of 公益微创投 applications: panels, conflict declarations, rubric scores, pitch sessions."""
