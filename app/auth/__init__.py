"""Users, roles, region scopes, JWT sessions, one-time codes and API tokens."""
