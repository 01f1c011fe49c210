"""Cyber-crisis drills: scenarios as data (scenarios/*.yaml), one engine that plays them per
tenant against the sandbox, the facilitator's and players' HTTP endpoints, and the CLI."""
