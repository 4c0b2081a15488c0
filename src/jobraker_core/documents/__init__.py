"""Generated documents: tailored résumés and cover letters that state only true facts."""
