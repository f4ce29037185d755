"""Annual evaluation (评估): rubrics, campaigns, assignments, scores, resident satisfaction, self-inspection."""
