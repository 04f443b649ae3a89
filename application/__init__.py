"""The ServiceDesk application: commands, access policy and queries over the read side."""
