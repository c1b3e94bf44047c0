"""Evidence: the same task under several strategies, and suites of real tasks, judged by tests the
model never saw, with statistics that say whether a difference is more than noise."""
