"""The learner's language: their stored choice, else the browser's (Accept-Language)."""
