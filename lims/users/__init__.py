"""Users, roles, login policy and API tokens."""
