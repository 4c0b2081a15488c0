"""Moderation of job postings: quality flags with evidence, the review queue, and the policy."""
