"""Reliability runs: soak, fuzzing, stored XSS in a browser, killed sync workers."""
