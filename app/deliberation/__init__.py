"""Deliberation: resident representative meetings (村(居)民代表会议) and deliberation councils (议事会)."""
