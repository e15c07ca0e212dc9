"""`make bench`: the performance figures, each beside a baseline measured in the same run."""
