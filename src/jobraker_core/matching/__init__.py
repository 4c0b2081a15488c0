"""Matching: skills, embeddings, and the explainable score that ranks jobs for a person."""
