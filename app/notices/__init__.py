"""Public notices (公示), objections and the working-day calendar."""
