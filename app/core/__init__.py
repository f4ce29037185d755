"""Infrastructure every domain may use: settings, clock, database sessions, errors, serving."""
