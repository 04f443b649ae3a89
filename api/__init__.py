"""The HTTP API (Litestar), Open311, and the `civicdesk` command line."""
