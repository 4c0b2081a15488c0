"""Market intelligence: salaries and posting trends from the jobs Jobraker has seen."""
