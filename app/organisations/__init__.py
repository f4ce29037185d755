"""Social organisations (社会组织): registration by credit code, verification, membership, track record."""
