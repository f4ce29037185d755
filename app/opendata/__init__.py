"""Open data: one download per programme year with every public fact, as a Frictionless Data Package."""
