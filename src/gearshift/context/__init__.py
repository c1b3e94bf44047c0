"""What the model sees: a map of the repository for the planner, bounded file context for each step."""
