"""Applications: the lifecycle of a person's application to a job, and its submission."""
